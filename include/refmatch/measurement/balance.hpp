#pragma once
/// @file measurement/balance.hpp
/// Balance of use: whether the same few references do all the work. Uses per active reference
/// over a period, their concentration (top 5% / 10% shares, Gini, Lorenz curve), the active
/// references never asked that have headroom, those at a quota, those not contacted for N days,
/// and decline rates when the caller has them (docs/measurement.md, "Balance of use").

#include <refmatch/date.hpp>
#include <refmatch/measurement/statistics.hpp>
#include <refmatch/program.hpp>
#include <refmatch/quota_state.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace refmatch::measurement {

/// How often a reference was asked and said no. The usage ledger records only uses; asks and
/// declines come from the requests workflow, which hands them in here (an empty span reports no
/// decline rates).
struct reference_declines {
    std::string reference_id;
    std::uint64_t asked = 0;
    std::uint64_t declined = 0;
};

/// What to look at.
struct balance_options {
    /// The period is `(now − period_days, now]`; quotas are evaluated on `now`.
    date now;
    std::uint32_t period_days = 365;
    /// "Not contacted": neither a use nor `last_contact` within this many days before `now`.
    std::uint32_t not_contacted_days = 90;
    /// A decline rate counts as high when its Wilson lower bound is above this.
    double high_decline_rate = 0.5;
};

/// One active reference.
struct reference_balance {
    std::string reference_id;
    std::size_t uses = 0;            ///< in the period
    std::optional<date> last_touch;  ///< the later of its latest use and `last_contact`
    bool has_headroom = false;  ///< eligible (evaluate_quota) for at least one consented activity
    std::vector<std::string> at_quota;     ///< consented activities whose limit is reached
    std::optional<estimate> decline_rate;  ///< declines / asks with a Wilson interval, when known
};

/// The balance of use of a program.
struct balance_report {
    std::vector<reference_balance> references;  ///< active ones, most used first, then by id
    std::size_t uses = 0;                       ///< uses of active references in the period
    concentration spread;                       ///< of `uses` over active references
    std::vector<std::string> never_asked_with_headroom;  ///< no use in the period, in id order
    std::vector<std::string> at_quota;                   ///< at least one activity at its limit
    std::vector<std::string> not_contacted;              ///< nothing for `not_contacted_days`
    std::vector<std::string> high_decline;               ///< decline rate clearly high
};

/// The balance of use of `p` as of `options.now`. Quotas are the program's rule
/// (`evaluate_quota`), asked once per active reference and consented activity.
/// @throws validation_error for a `high_decline_rate` outside [0, 1] or declines of a reference
///         that is not in the program.
///
/// **Complexity:** O(u + n·a·log m) for u uses, n references, a consents each.
/// **Thread safety:** as the program's readers (holds the ledger's shared lock throughout).
[[nodiscard]] inline balance_report measure_balance(
    const program& p, const balance_options& options,
    std::span<const reference_declines> declines = {}) {
    if (!(options.high_decline_rate >= 0 && options.high_decline_rate <= 1))
        throw validation_error("balance options", "high_decline_rate", "a value in [0, 1]",
                               std::to_string(options.high_decline_rate));
    const date now = options.now;
    const auto period = std::chrono::days(options.period_days);
    const auto quiet = std::chrono::days(options.not_contacted_days);
    const auto reader = p.usage.read();
    std::unordered_map<std::string, std::size_t> uses;
    std::unordered_map<std::string, date> last_use;
    for (const auto& e : reader.events()) {
        if (e.day > now) continue;
        if (now - e.day < period) ++uses[e.reference_id];
        const auto [it, fresh] = last_use.try_emplace(e.reference_id, e.day);
        if (!fresh && it->second < e.day) it->second = e.day;
    }
    std::unordered_map<std::string_view, const reference_declines*> declines_of;
    for (const auto& d : declines) {
        if (!p.references.contains(d.reference_id))
            throw validation_error("declines of '" + d.reference_id + "'", "reference_id",
                                   "a reference id of the program", d.reference_id);
        declines_of[d.reference_id] = &d;
    }

    balance_report report;
    for (const auto& r : p.references.with_status(reference_status::active)) {
        reference_balance b;
        b.reference_id = r.id;
        if (const auto it = uses.find(r.id); it != uses.end()) b.uses = it->second;
        if (const auto it = last_use.find(r.id); it != last_use.end()) b.last_touch = it->second;
        if (r.last_contact && *r.last_contact <= now &&
            (!b.last_touch || *b.last_touch < *r.last_contact))
            b.last_touch = r.last_contact;
        for (const auto& c : r.consents) {
            const auto q = evaluate_quota(r, c.activity, p.quotas, reader, now);
            if (q.eligible()) b.has_headroom = true;
            if (q.at_limit) b.at_quota.push_back(p.vocab->activities.name(c.activity));
        }
        if (const auto it = declines_of.find(r.id); it != declines_of.end())
            b.decline_rate = wilson_interval(it->second->declined, it->second->asked);
        report.uses += b.uses;
        if (b.uses == 0 && b.has_headroom) report.never_asked_with_headroom.push_back(r.id);
        if (!b.at_quota.empty()) report.at_quota.push_back(r.id);
        if (!b.last_touch || now - *b.last_touch >= quiet) report.not_contacted.push_back(r.id);
        if (b.decline_rate && b.decline_rate->low > options.high_decline_rate)
            report.high_decline.push_back(r.id);
        report.references.push_back(std::move(b));
    }
    std::vector<double> counts;
    for (const auto& b : report.references) counts.push_back(static_cast<double>(b.uses));
    report.spread = concentration_of(std::move(counts));
    std::stable_sort(
        report.references.begin(), report.references.end(),
        [](const reference_balance& a, const reference_balance& b) { return a.uses > b.uses; });
    return report;
}

}  // namespace refmatch::measurement
