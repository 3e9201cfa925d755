#pragma once
/// @file measurement/influence.hpp
/// Influence: which uses of references touched which deals, how the won revenue is credited to
/// them (five documented attribution rules), and how deals with reference activity compare with
/// deals without (win rate, deal size, cycle length). docs/measurement.md gives every rule.
///
/// The comparison is an association, not proof of cause: references are asked for the deals that
/// were going well, or going badly, and the figures cannot tell which.

#include <refmatch/activity.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/measurement/segment.hpp>
#include <refmatch/measurement/statistics.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch::measurement {

/// How the amount of a won deal is credited to the uses that influenced it.
enum class attribution : std::uint8_t {
    full,        ///< every influencing use gets the whole amount (totals exceed revenue)
    even,        ///< each of k uses gets amount / k
    first,       ///< the earliest use gets the amount
    last,        ///< the latest use gets the amount
    time_decay,  ///< weights 2^(−days before close / half-life), normalised to the amount
};

inline constexpr std::array<std::string_view, 5> attribution_names = {"full", "even", "first",
                                                                      "last", "time_decay"};
[[nodiscard]] inline std::string_view to_string(attribution a) {
    return attribution_names[static_cast<std::size_t>(a)];
}
[[nodiscard]] inline std::optional<attribution> parse_attribution(std::string_view s) {
    for (std::size_t i = 0; i < attribution_names.size(); ++i)
        if (attribution_names[i] == s) return static_cast<attribution>(i);
    return std::nullopt;
}

/// How periods are named: "2025-04" (month), "2025-Q2" (quarter), "2025" (year).
enum class period_unit : std::uint8_t { month, quarter, year };

/// The period of a day.
[[nodiscard]] inline std::string period_of(date d, period_unit unit) {
    const std::chrono::year_month_day ymd{d};
    const auto y = std::to_string(static_cast<int>(ymd.year()));
    const auto m = static_cast<unsigned>(ymd.month());
    switch (unit) {
        case period_unit::month:
            return y + (m < 10 ? "-0" : "-") + std::to_string(m);
        case period_unit::quarter:
            return y + "-Q" + std::to_string((m - 1) / 3 + 1);
        case period_unit::year:
            break;
    }
    return y;
}

/// What influence is and how it is credited.
struct influence_options {
    /// A use influences a deal when it names the deal and falls in `(closed − window_days,
    /// closed]`: on or before the close day, at most `window_days − 1` days before it.
    std::uint32_t window_days = 365;
    attribution rule = attribution::even;
    /// Half-life of `time_decay`, in days (> 0).
    double half_life_days = 30.0;
    /// Only deals closed in `[from, to]` (either bound optional).
    std::optional<date> from, to;
    period_unit period = period_unit::quarter;
    /// Upper bounds of the deal-size bands that stratify the win-rate comparison with the segment
    /// (amount < bound[0] is band 0, ...), increasing.
    std::vector<double> deal_size_bounds = {25000, 100000, 500000};
    bootstrap_options bootstrap;

    /// @throws validation_error for a zero window, a half-life that is not > 0 or bounds that do
    ///         not increase.
    void validate() const {
        if (window_days == 0)
            throw validation_error("influence options", "window_days", "at least 1", "0");
        if (!(half_life_days > 0))
            throw validation_error("influence options", "half_life_days", "a number > 0",
                                   std::to_string(half_life_days));
        for (std::size_t i = 1; i < deal_size_bounds.size(); ++i)
            if (!(deal_size_bounds[i] > deal_size_bounds[i - 1]))
                throw validation_error("influence options", "deal_size_bounds", "increasing bounds",
                                       std::to_string(deal_size_bounds[i]));
    }
};

/// One use credited with part of a won deal.
struct credited_use {
    std::string reference_id;
    activity_id activity;
    date day;
    double credit = 0.0;
};

/// One closed deal in the period, with the uses that influenced it (sorted by day, then
/// recording order) and their credit (0 for a lost deal).
struct influenced_deal {
    const opportunity_outcome* outcome = nullptr;
    measurement::segment segment;
    std::vector<credited_use> uses;
    [[nodiscard]] bool influenced() const noexcept { return !uses.empty(); }
};

/// Credit summed over one key (a reference, an activity, a segment or a period).
struct credit_total {
    double revenue = 0.0;   ///< credited won amount
    std::size_t deals = 0;  ///< won deals it has credit in
    std::size_t uses = 0;   ///< influencing uses on won deals
};

/// Deals with reference activity against deals without.
struct comparison {
    std::size_t closed_with = 0, won_with = 0, closed_without = 0, won_without = 0;
    estimate win_rate_with, win_rate_without;  ///< Wilson intervals
    /// Mantel–Haenszel win-rate ratio (with / without), stratified by segment × deal-size band.
    estimate pooled_ratio;
    std::vector<std::pair<std::string, stratum_counts>> strata;  ///< "segment | band", sorted
    /// Mean won amount with − without, percentile bootstrap.
    estimate deal_size_difference;
    /// Mean days from created to closed of won deals, with − without, percentile bootstrap
    /// (deals without a created day are left out).
    estimate cycle_days_difference;
};

/// Everything `measure_influence` finds.
struct influence_report {
    std::vector<influenced_deal> deals;  ///< closed in the period, in outcome order
    double won_revenue = 0.0;            ///< all won deals of the period
    double influenced_revenue = 0.0;     ///< won deals with at least one influencing use
    double credited_revenue = 0.0;       ///< Σ credit (= influenced revenue unless `full`)
    std::size_t influencing_uses = 0;    ///< on won and lost deals
    /// Uses that name an opportunity absent from the outcomes (or outside the window / after the
    /// close): counted so that a mismatch of ids shows.
    std::size_t unmatched_uses = 0;
    std::map<std::string, credit_total> by_reference, by_activity, by_segment, by_period;
    comparison versus;
};

/// The deal-size band of an amount: the number of bounds it is not below.
[[nodiscard]] inline std::size_t deal_size_band(double amount, std::span<const double> bounds) {
    return static_cast<std::size_t>(std::upper_bound(bounds.begin(), bounds.end(), amount) -
                                    bounds.begin());
}

/// Joins `usage` with `outcomes` and credits revenue (docs/measurement.md, "Influence").
/// `outcomes` must have passed `check_outcomes` against `v`; they must outlive the report
/// (deals point into them).
/// @throws validation_error for invalid options or outcomes.
///
/// **Complexity:** O(u + d log d) for u uses and d deals, plus the bootstrap
/// O(resamples · d). **Thread safety:** reentrant.
[[nodiscard]] inline influence_report measure_influence(
    std::span<const usage_event> usage, std::span<const opportunity_outcome> outcomes,
    const vocabulary& v, const influence_options& options = {}) {
    options.validate();
    check_outcomes(outcomes, v);
    influence_report report;
    std::unordered_map<std::string_view, std::size_t> deal_of;
    for (const auto& o : outcomes) {
        if (o.status == deal_status::open) continue;
        if ((options.from && *o.closed < *options.from) || (options.to && *o.closed > *options.to))
            continue;
        influenced_deal d;
        d.outcome = &o;
        d.segment =
            segment_of(v, "outcome '" + o.opportunity_id + "'", o.industry, o.country, o.size);
        deal_of.emplace(o.opportunity_id, report.deals.size());
        report.deals.push_back(std::move(d));
    }
    const auto window = std::chrono::days(options.window_days);
    for (const auto& e : usage) {
        if (e.opportunity_id.empty()) continue;
        const auto it = deal_of.find(e.opportunity_id);
        if (it == deal_of.end()) {
            ++report.unmatched_uses;
            continue;
        }
        auto& d = report.deals[it->second];
        const date closed = *d.outcome->closed;
        if (e.day > closed || closed - e.day >= window) {
            ++report.unmatched_uses;
            continue;
        }
        d.uses.push_back({e.reference_id, e.activity, e.day, 0.0});
        ++report.influencing_uses;
    }
    const auto add = [](credit_total& t, double credit) {
        t.revenue += credit;
        ++t.uses;
    };
    for (auto& d : report.deals) {
        std::stable_sort(
            d.uses.begin(), d.uses.end(),
            [](const credited_use& a, const credited_use& b) { return a.day < b.day; });
        const auto& o = *d.outcome;
        if (o.status != deal_status::won) continue;
        report.won_revenue += o.amount;
        if (d.uses.empty()) continue;
        report.influenced_revenue += o.amount;
        const double k = static_cast<double>(d.uses.size());
        switch (options.rule) {
            case attribution::full:
                for (auto& u : d.uses) u.credit = o.amount;
                break;
            case attribution::even:
                for (auto& u : d.uses) u.credit = o.amount / k;
                break;
            case attribution::first:
                d.uses.front().credit = o.amount;
                break;
            case attribution::last:
                d.uses.back().credit = o.amount;
                break;
            case attribution::time_decay: {
                std::vector<double> w;
                double sum = 0;
                for (const auto& u : d.uses) {
                    const double before = static_cast<double>((*o.closed - u.day).count());
                    w.push_back(std::exp2(-before / options.half_life_days));
                    sum += w.back();
                }
                for (std::size_t i = 0; i < d.uses.size(); ++i)
                    d.uses[i].credit = o.amount * w[i] / sum;
                break;
            }
        }
        // A deal counts once per key it has any use under, whatever the rule credits.
        std::map<std::string, bool> seen_ref, seen_act;
        const auto period = period_of(*o.closed, options.period);
        for (const auto& u : d.uses) {
            report.credited_revenue += u.credit;
            auto& r = report.by_reference[u.reference_id];
            add(r, u.credit);
            if (!seen_ref[u.reference_id]) ++r.deals, seen_ref[u.reference_id] = true;
            const std::string act = v.activities.name(u.activity);
            auto& a = report.by_activity[act];
            add(a, u.credit);
            if (!seen_act[act]) ++a.deals, seen_act[act] = true;
            add(report.by_segment[d.segment.label()], u.credit);
            add(report.by_period[period], u.credit);
        }
        ++report.by_segment[d.segment.label()].deals;
        ++report.by_period[period].deals;
    }

    // With against without.
    auto& c = report.versus;
    std::map<std::string, stratum_counts> strata;
    std::vector<double> size_with, size_without, cycle_with, cycle_without;
    for (const auto& d : report.deals) {
        const auto& o = *d.outcome;
        const bool won = o.status == deal_status::won;
        const auto band = deal_size_band(o.amount, options.deal_size_bounds);
        auto& s = strata[d.segment.label() + " | " + std::to_string(band)];
        if (d.influenced()) {
            ++c.closed_with, ++s.exposed_trials;
            if (won) ++c.won_with, ++s.exposed_successes;
        } else {
            ++c.closed_without, ++s.unexposed_trials;
            if (won) ++c.won_without, ++s.unexposed_successes;
        }
        if (!won) continue;
        (d.influenced() ? size_with : size_without).push_back(o.amount);
        if (o.created)
            (d.influenced() ? cycle_with : cycle_without)
                .push_back(static_cast<double>((*o.closed - *o.created).count()));
    }
    c.win_rate_with = wilson_interval(c.won_with, c.closed_with);
    c.win_rate_without = wilson_interval(c.won_without, c.closed_without);
    std::vector<stratum_counts> counts;
    for (auto& [k, s] : strata) {
        counts.push_back(s);
        c.strata.emplace_back(k, s);
    }
    c.pooled_ratio = mantel_haenszel_ratio(counts);
    c.deal_size_difference = bootstrap_mean_difference(size_with, size_without, options.bootstrap);
    c.cycle_days_difference =
        bootstrap_mean_difference(cycle_with, cycle_without, options.bootstrap);
    return report;
}

}  // namespace refmatch::measurement
