// refmatch influence | balance | recruit --program PATH: the program measured
// (docs/measurement.md). Influence joins the usage with the opportunity outcomes; balance shows
// whether the same few references do all the work; recruit ranks candidates by the pipeline at
// risk they would cover.

#include "commands.hpp"
#include "match_common.hpp"
#include "measure_source.hpp"

#include <refmatch/measurement/balance.hpp>
#include <refmatch/measurement/influence.hpp>
#include <refmatch/measurement/recruitment.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace refmatch::cli {
namespace {

using namespace refmatch::measurement;

std::string money(double v) {
    if (std::isnan(v)) return "-";
    std::string digits = std::to_string(static_cast<long long>(std::llround(std::abs(v))));
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return (v < 0 ? "-" : "") + digits;
}

std::string interval(const estimate& e, int digits, double scale = 1,
                     const std::string& unit = "") {
    if (std::isnan(e.value)) return "-";
    const auto f = [&](double x) { return fixed(scale * x, digits) + unit; };
    return f(e.value) + " [" + f(e.low) + ", " + f(e.high) + "]";
}

nlohmann::ordered_json to_json(const estimate& e) {
    const auto v = [](double x) {
        return std::isnan(x) ? nlohmann::ordered_json() : nlohmann::ordered_json(x);
    };
    return {{"value", v(e.value)}, {"low", v(e.low)}, {"high", v(e.high)}};
}

// --- influence ----------------------------------------------------------------------------------

struct influence_command {
    std::string program, from, to, rule = "even", period = "quarter", by = "reference";
    influence_options options;
    std::size_t top = 10;
    bool json = false;
};

int run_influence(influence_command c) {
    const auto m = open_measured(c.program);
    const auto rule = parse_attribution(c.rule);
    c.options.rule = *rule;  // CLI11 checked the name
    c.options.period = c.period == "month"  ? period_unit::month
                       : c.period == "year" ? period_unit::year
                                            : period_unit::quarter;
    if (!c.from.empty()) c.options.from = program_now(*m.prog, c.from);
    if (!c.to.empty()) c.options.to = program_now(*m.prog, c.to);
    const auto r = measure_influence(m.prog->usage.events(), m.outcomes, *m.prog->vocab, c.options);
    const auto& by = c.by == "activity"  ? r.by_activity
                     : c.by == "segment" ? r.by_segment
                     : c.by == "period"  ? r.by_period
                                         : r.by_reference;
    std::vector<std::pair<std::string, credit_total>> rows(by.begin(), by.end());
    if (c.by != "period")
        std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
            return a.second.revenue > b.second.revenue;
        });
    const auto& v = r.versus;
    if (c.json) {
        nlohmann::ordered_json breakdown = nlohmann::ordered_json::array();
        for (const auto& [k, t] : rows)
            breakdown.push_back(
                {{c.by, k}, {"revenue", t.revenue}, {"deals", t.deals}, {"uses", t.uses}});
        nlohmann::ordered_json out{{"rule", c.rule},
                                   {"window_days", c.options.window_days},
                                   {"deals", r.deals.size()},
                                   {"won_revenue", r.won_revenue},
                                   {"influenced_revenue", r.influenced_revenue},
                                   {"credited_revenue", r.credited_revenue},
                                   {"influencing_uses", r.influencing_uses},
                                   {"unmatched_uses", r.unmatched_uses},
                                   {"closed_with", v.closed_with},
                                   {"won_with", v.won_with},
                                   {"closed_without", v.closed_without},
                                   {"won_without", v.won_without},
                                   {"win_rate_with", to_json(v.win_rate_with)},
                                   {"win_rate_without", to_json(v.win_rate_without)},
                                   {"pooled_ratio", to_json(v.pooled_ratio)},
                                   {"deal_size_difference", to_json(v.deal_size_difference)},
                                   {"cycle_days_difference", to_json(v.cycle_days_difference)},
                                   {"by", c.by},
                                   {"breakdown", std::move(breakdown)}};
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    const double share = r.won_revenue > 0 ? 100 * r.influenced_revenue / r.won_revenue : 0;
    std::cout << "Influence: " << r.deals.size() << " closed deals, " << c.rule
              << " attribution of uses within " << c.options.window_days
              << " days before the close\n";
    std::cout << "Won revenue " << money(r.won_revenue) << ", influenced by references "
              << money(r.influenced_revenue) << " (" << fixed(share, 1) << "%), credited "
              << money(r.credited_revenue) << "\n";
    std::cout << "Uses naming an opportunity: " << r.influencing_uses << " influencing, "
              << r.unmatched_uses << " not matched to a closed deal in the window\n\n";
    std::cout << "Win rate with reference activity  " << interval(v.win_rate_with, 1, 100, "%")
              << "  (" << v.won_with << " of " << v.closed_with << ")\n";
    std::cout << "Win rate without                  " << interval(v.win_rate_without, 1, 100, "%")
              << "  (" << v.won_without << " of " << v.closed_without << ")\n";
    std::cout << "Win-rate ratio, Mantel-Haenszel over segment x deal size  "
              << interval(v.pooled_ratio, 2) << "\n";
    std::cout << "Mean won deal size, with - without  " << money(v.deal_size_difference.value)
              << " [" << money(v.deal_size_difference.low) << ", "
              << money(v.deal_size_difference.high) << "]\n";
    std::cout << "Mean sales cycle (days), with - without  " << interval(v.cycle_days_difference, 1)
              << "\n";
    std::cout << "(95% intervals: Wilson, Greenland-Robins, percentile bootstrap. This is an "
                 "association, not proof that references cause wins.)\n\n";
    std::cout << pad_to(c.by, 30) << pad_to("credited", 16) << pad_to("won deals", 11) << "uses\n";
    std::size_t shown = 0;
    for (const auto& [k, t] : rows) {
        if (shown++ == c.top) {
            std::cout << "... " << rows.size() - c.top << " more (--top)\n";
            break;
        }
        std::cout << pad_to(cut_to(k, 28), 30) << pad_to(money(t.revenue), 16)
                  << pad_to(std::to_string(t.deals), 11) << t.uses << '\n';
    }
    return 0;
}

// --- balance ------------------------------------------------------------------------------------

struct balance_command {
    std::string program, now;
    balance_options options;
    std::size_t top = 10;
    bool json = false;
};

int run_balance(balance_command c) {
    const auto prog = open_program(c.program);
    c.options.now = program_now(*prog, c.now);
    // On a database, the request book knows who was asked and who declined.
    const auto declines = request_figures_at(c.program, *prog, c.options.now).declines;
    const auto r = measure_balance(*prog, c.options, declines);
    std::vector<const reference_balance*> rated;  // references with a decline rate, highest first
    for (const auto& b : r.references)
        if (b.decline_rate) rated.push_back(&b);
    std::stable_sort(rated.begin(), rated.end(), [](const auto* a, const auto* b) {
        return a->decline_rate->value > b->decline_rate->value;
    });
    if (c.json) {
        nlohmann::ordered_json rates = nlohmann::ordered_json::array();
        for (const auto* b : rated)
            rates.push_back(
                {{"reference_id", b->reference_id}, {"rate", to_json(*b->decline_rate)}});
        nlohmann::ordered_json lorenz = nlohmann::ordered_json::array();
        for (const auto& [x, y] : r.spread.lorenz) lorenz.push_back({x, y});
        nlohmann::ordered_json out{{"now", format_date(c.options.now)},
                                   {"active_references", r.references.size()},
                                   {"uses", r.uses},
                                   {"gini", r.spread.gini},
                                   {"top5_share", r.spread.top5_share},
                                   {"top10_share", r.spread.top10_share},
                                   {"never_asked_with_headroom", r.never_asked_with_headroom},
                                   {"at_quota", r.at_quota},
                                   {"not_contacted", r.not_contacted},
                                   {"high_decline", r.high_decline},
                                   {"decline_rates", std::move(rates)},
                                   {"lorenz", std::move(lorenz)}};
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    std::cout << "Balance of use: " << r.uses << " uses of " << r.references.size()
              << " active references in the " << c.options.period_days << " days to "
              << format_date(c.options.now) << "\n";
    std::cout << "Top 5% of references: " << fixed(100 * r.spread.top5_share, 1)
              << "% of uses; top 10%: " << fixed(100 * r.spread.top10_share, 1) << "%; Gini "
              << fixed(r.spread.gini, 3) << "\n";
    std::cout << "Never asked, with headroom: " << r.never_asked_with_headroom.size() << "\n";
    std::cout << "At a quota: " << r.at_quota.size() << "\n";
    std::cout << "Not contacted for " << c.options.not_contacted_days
              << " days: " << r.not_contacted.size() << "\n";
    if (is_program_directory(c.program))
        std::cout << "Decline rates: none (a program directory has no requests)\n";
    else
        std::cout << "High decline rate (Wilson lower bound above "
                  << fixed(100 * c.options.high_decline_rate, 0) << "%): " << r.high_decline.size()
                  << " of " << rated.size() << " references asked\n";
    for (std::size_t i = 0; i < rated.size() && i < c.top; ++i)
        std::cout << "  " << pad_to(rated[i]->reference_id, 14)
                  << interval(*rated[i]->decline_rate, 1, 100, "%") << " declined\n";
    std::cout << '\n';
    std::cout << pad_to("most used", 14) << pad_to("uses", 7) << "at quota\n";
    for (std::size_t i = 0; i < r.references.size() && i < c.top; ++i) {
        const auto& b = r.references[i];
        std::string quota;
        for (const auto& a : b.at_quota) quota += (quota.empty() ? "" : ", ") + a;
        std::cout << pad_to(b.reference_id, 14) << pad_to(std::to_string(b.uses), 7)
                  << (quota.empty() ? "-" : quota) << '\n';
    }
    return 0;
}

// --- recruit ------------------------------------------------------------------------------------

struct recruit_command {
    match_flags flags;
    recruit_options options;
    bool include_paused = false;
    bool json = false;
    std::size_t threads = 0;
};

int run_recruit(recruit_command c) {
    const auto prog = open_program(c.flags.program);
    c.options.gaps.match = to_match_options(*prog, c.flags);
    c.options.advocacy.now = *c.options.gaps.match.now;
    if (c.include_paused) c.options.statuses.push_back(reference_status::paused);
    batch_options batch;
    batch.threads = c.threads;
    const auto pipeline = prog->prospects.all();
    const auto r = recommend_recruits(*prog, pipeline, c.options, batch);
    if (c.json) {
        nlohmann::ordered_json picks = nlohmann::ordered_json::array();
        for (const auto& p : r.shortlist)
            picks.push_back({{"reference_id", p.reference_id},
                             {"marginal_value", p.marginal_value},
                             {"cumulative_value", p.cumulative_value},
                             {"newly_covered", p.newly_covered}});
        nlohmann::ordered_json out{
            {"prospects", r.prospects},           {"uncovered", r.uncovered},
            {"pipeline_value", r.pipeline_value}, {"value_at_risk", r.value_at_risk},
            {"candidates", r.candidates.size()},  {"shortlist", std::move(picks)}};
        std::cout << out.dump(2) << '\n';
        return 0;
    }
    std::cout << "Recruiting: " << r.uncovered << " of " << r.prospects
              << " prospects lack references; " << money(r.value_at_risk) << " pipeline at risk; "
              << r.candidates.size() << " candidates\n\n";
    std::cout << pad_to("pick", 6) << pad_to("candidate", 12) << pad_to("name", 30)
              << pad_to("marginal", 14) << pad_to("cumulative", 14) << pad_to("covers", 8)
              << "advocacy\n";
    std::unordered_map<std::string, const recruit_candidate*> of;
    for (const auto& x : r.candidates) of[x.reference_id] = &x;
    for (std::size_t i = 0; i < r.shortlist.size(); ++i) {
        const auto& p = r.shortlist[i];
        const auto ref = prog->references.find(p.reference_id);
        std::cout << pad_to(std::to_string(i + 1), 6) << pad_to(p.reference_id, 12)
                  << pad_to(cut_to(ref ? ref->name : "", 28), 30)
                  << pad_to(money(p.marginal_value), 14) << pad_to(money(p.cumulative_value), 14)
                  << pad_to(std::to_string(p.newly_covered.size()), 8)
                  << fixed(of.at(p.reference_id)->advocacy.score, 2) << '\n';
    }
    if (r.shortlist.empty()) std::cout << "(no candidate would cover any gap)\n";
    return 0;
}

}  // namespace

void add_measure(CLI::App& app, std::vector<command>& commands) {
    {
        auto o = std::make_shared<influence_command>();
        auto* sub = app.add_subcommand(
            "influence",
            "Revenue influenced by references: uses joined with opportunity outcomes, credited "
            "by an attribution rule; win rates with and without reference activity.");
        sub->add_option("--program,-p", o->program, program_help)->required();
        sub->add_option("--rule", o->rule, "Attribution: full, even, first, last, time_decay")
            ->check(CLI::IsMember({"full", "even", "first", "last", "time_decay"}))
            ->capture_default_str();
        sub->add_option("--window-days", o->options.window_days,
                        "A use counts when at most this many days before the close")
            ->capture_default_str();
        sub->add_option("--half-life", o->options.half_life_days, "Half-life of time_decay (days)")
            ->capture_default_str();
        sub->add_option("--from", o->from, "Deals closed on or after YYYY-MM-DD");
        sub->add_option("--to", o->to, "Deals closed on or before YYYY-MM-DD");
        sub->add_option("--period", o->period, "Period of --by period: month, quarter, year")
            ->check(CLI::IsMember({"month", "quarter", "year"}))
            ->capture_default_str();
        sub->add_option("--by", o->by, "Breakdown: reference, activity, segment, period")
            ->check(CLI::IsMember({"reference", "activity", "segment", "period"}))
            ->capture_default_str();
        sub->add_option("--seed", o->options.bootstrap.seed, "Bootstrap seed")
            ->capture_default_str();
        sub->add_option("--resamples", o->options.bootstrap.resamples, "Bootstrap resamples")
            ->capture_default_str();
        sub->add_option("--top", o->top, "Rows shown")->capture_default_str();
        sub->add_flag("--json", o->json, "Print JSON instead of a table");
        commands.push_back({sub, [o] { return run_influence(*o); }});
    }
    {
        auto o = std::make_shared<balance_command>();
        auto* sub = app.add_subcommand(
            "balance",
            "Balance of use: concentration of uses over active references (top shares, Gini), "
            "never-asked references with headroom, references at quota or not contacted, and on "
            "a database the customers' decline rates from the request book.");
        sub->add_option("--program,-p", o->program, program_help)->required();
        sub->add_option("--now", o->now, "Day of the report (default: the latest usage date)");
        sub->add_option("--period-days", o->options.period_days, "Days of use counted")
            ->capture_default_str();
        sub->add_option("--not-contacted-days", o->options.not_contacted_days,
                        "Days without a use or a contact that count as not contacted")
            ->capture_default_str();
        sub->add_option("--high-decline-rate", o->options.high_decline_rate,
                        "A decline rate is high when its Wilson lower bound is above this")
            ->capture_default_str();
        sub->add_option("--top", o->top, "Most used (and most declining) references shown")
            ->capture_default_str();
        sub->add_flag("--json", o->json, "Print JSON instead of a table");
        commands.push_back({sub, [o] { return run_balance(*o); }});
    }
    {
        auto o = std::make_shared<recruit_command>();
        auto* sub = app.add_subcommand(
            "recruit",
            "Gap-driven recruiting: the pipeline value at risk each candidate would cover if it "
            "became active, and a greedy shortlist of those that cover the most together.");
        add_match_flags(*sub, o->flags, false);
        sub->add_option("--threshold", o->options.gaps.threshold,
                        "Final score a reference must reach")
            ->capture_default_str();
        sub->add_option("--min-references,-m", o->options.gaps.min_references,
                        "References a prospect needs above the threshold")
            ->capture_default_str();
        sub->add_option("-n,--shortlist", o->options.shortlist, "Candidates to pick")
            ->capture_default_str();
        sub->add_flag("--include-paused", o->include_paused,
                      "Paused references may be recruited back too");
        sub->add_option("--threads", o->threads, "Worker threads (0: all cores)");
        sub->add_flag("--json", o->json, "Print JSON instead of a table");
        commands.push_back({sub, [o] { return run_recruit(*o); }});
    }
}

}  // namespace refmatch::cli
