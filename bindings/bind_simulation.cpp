// Replaying requests under policies: `_simulate(program, requests, policies, ...)` converts the
// call's columns and policy dicts, runs refmatch::simulate without the GIL and returns plain
// columns, which refmatch/_simulation.py turns into DataFrames; `_generate_request_year` returns
// a generated year as columns, `_recorded_requests` a database's requests of a period.

#include "bind_common.hpp"
#include "bind_requests.hpp"

#include <refmatch/assignment/open_requests.hpp>
#include <refmatch/assignment/simulation.hpp>
#include <refmatch/generator.hpp>
#include <refmatch/program.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace refmatch::python {

namespace {

// The columns of dated requests: id, day, prospect_id, activity (names), count, due, value.
py::dict request_columns(const program& prog, const std::vector<dated_request>& requests) {
    std::vector<std::string> id, prospect_id, activity;
    std::vector<date> day, due;
    std::vector<std::uint32_t> count;
    std::vector<double> value;
    for (const auto& r : requests) {
        id.push_back(r.id);
        day.push_back(r.day);
        prospect_id.push_back(r.prospect_id);
        activity.push_back(prog.vocab->activities.name(r.activity));
        count.push_back(r.count);
        due.push_back(r.due);
        value.push_back(r.value);
    }
    py::dict out;
    out["id"] = id;
    out["day"] = day;
    out["prospect_id"] = prospect_id;
    out["activity"] = activity;
    out["count"] = count;
    out["due"] = due;
    out["value"] = value;
    return out;
}

simulation_policy policy_from(const program& prog, const py::dict& d) {
    simulation_policy p;
    for (const auto& [k, v] : d) {
        const auto key = k.cast<std::string>();
        if (key == "name") {
            p.name = v.cast<std::string>();
        } else if (key == "method") {
            const auto m = v.cast<std::string>();
            if (m != "optimal" && m != "greedy")
                throw py::value_error("policy method: expected 'optimal' or 'greedy', got '" + m +
                                      "'");
            p.method = m == "greedy" ? assignment_method::greedy : assignment_method::optimal;
        } else if (key == "holds") {
            p.holds = v.cast<bool>();
        } else if (key == "quota_scale") {
            p.quota_scale = v.cast<double>();
        } else if (key == "quotas") {
            for (const auto& [a, limit] : v.cast<py::dict>())
                p.quota_overrides.emplace_back(prog.vocab->activities.at(a.cast<std::string>()),
                                               limit.cast<quota_limit>());
        } else if (key == "per_reference") {
            if (!v.is_none()) {
                const auto [uses, days] = v.cast<std::pair<std::uint32_t, std::uint32_t>>();
                p.per_reference = quota_limit{uses, days, 0};
            }
        } else if (key == "weights") {
            const auto [industry, product, geography, size] =
                v.cast<std::tuple<double, double, double, double>>();
            p.weights = {industry, product, geography, size};
        } else if (key == "fatigue_weight") {
            p.fatigue_weight = v.cast<double>();
        } else if (key == "weighted") {
            p.weighted = v.cast<bool>();
        } else if (key == "candidates") {
            p.candidates = v.cast<std::size_t>();
        } else if (key == "baseline") {
            p.baseline = v.cast<bool>();
        } else {
            throw py::value_error("policy: unknown key '" + key +
                                  "' (expected name, method, holds, quota_scale, quotas, "
                                  "per_reference, weights, fatigue_weight, weighted, candidates "
                                  "or baseline)");
        }
    }
    return p;
}

py::dict replay_columns(const simulation_result& r) {
    std::vector<std::string> s_policy, s_method;
    std::vector<bool> s_holds;
    std::vector<std::size_t> requests, filled, asks, declines, uses, promised, references, never,
        over, cooldown;
    std::vector<double> filled_share, mean_score, value, covered, covered_share, top5, decline_rate,
        days_to_fill;
    std::vector<std::string> d_policy;
    std::vector<date> d_day;
    std::vector<std::size_t> d_opened, d_open, d_asked, d_declined, d_filled, d_expired, d_used;
    std::vector<double> d_value, d_greedy;
    std::vector<std::string> q_policy, q_id, q_refs;
    std::vector<std::optional<date>> q_filled;
    std::vector<std::size_t> q_got;
    std::vector<double> q_score;
    std::vector<std::uint32_t> q_declines;
    for (const auto& p : r.policies) {
        const auto& t = p.totals;
        s_policy.push_back(p.policy.name);
        s_method.push_back(std::string(to_string(p.policy.method)));
        s_holds.push_back(p.policy.holds);
        requests.push_back(t.requests);
        filled.push_back(t.filled_on_time);
        filled_share.push_back(t.filled_share());
        mean_score.push_back(t.mean_score());
        value.push_back(t.value);
        covered.push_back(t.value_covered);
        covered_share.push_back(t.value > 0 ? t.value_covered / t.value : 0.0);
        top5.push_back(t.top5_share);
        references.push_back(t.references);
        never.push_back(t.never_asked);
        asks.push_back(t.asks);
        declines.push_back(t.declines);
        decline_rate.push_back(t.decline_rate());
        promised.push_back(t.promised);
        uses.push_back(t.uses);
        over.push_back(t.over_limit_uses);
        cooldown.push_back(t.cooldown_uses);
        days_to_fill.push_back(t.mean_days_to_fill);
        for (const auto& d : p.days) {
            d_policy.push_back(p.policy.name);
            d_day.push_back(d.day);
            d_opened.push_back(d.opened);
            d_open.push_back(d.open);
            d_asked.push_back(d.asked);
            d_declined.push_back(d.declined);
            d_filled.push_back(d.filled);
            d_expired.push_back(d.expired);
            d_used.push_back(d.used);
            d_value.push_back(d.value);
            d_greedy.push_back(d.greedy_value);
        }
        for (const auto& q : p.requests) {
            q_policy.push_back(p.policy.name);
            q_id.push_back(q.request_id);
            q_filled.push_back(q.filled_on);
            q_got.push_back(q.references.size());
            std::string refs;
            for (const auto& id : q.references) refs += (refs.empty() ? "" : ",") + id;
            q_refs.push_back(std::move(refs));
            q_score.push_back(q.score);
            q_declines.push_back(q.declines);
        }
    }
    py::dict summary;
    summary["policy"] = s_policy;
    summary["method"] = s_method;
    summary["holds"] = s_holds;
    summary["requests"] = requests;
    summary["filled_on_time"] = filled;
    summary["filled_share"] = filled_share;
    summary["mean_score"] = mean_score;
    summary["value"] = value;
    summary["value_covered"] = covered;
    summary["value_covered_share"] = covered_share;
    summary["top5_share"] = top5;
    summary["references"] = references;
    summary["never_asked"] = never;
    summary["asks"] = asks;
    summary["declines"] = declines;
    summary["decline_rate"] = decline_rate;
    summary["promised"] = promised;
    summary["uses"] = uses;
    summary["over_limit_uses"] = over;
    summary["cooldown_uses"] = cooldown;
    summary["mean_days_to_fill"] = days_to_fill;
    py::dict days;
    days["policy"] = d_policy;
    days["day"] = d_day;
    days["opened"] = d_opened;
    days["open"] = d_open;
    days["asked"] = d_asked;
    days["declined"] = d_declined;
    days["filled"] = d_filled;
    days["expired"] = d_expired;
    days["used"] = d_used;
    days["value"] = d_value;
    days["greedy_value"] = d_greedy;
    py::dict req;
    req["policy"] = q_policy;
    req["request_id"] = q_id;
    req["filled_on"] = q_filled;
    req["got"] = q_got;
    req["references"] = q_refs;
    req["score"] = q_score;
    req["declines"] = q_declines;
    py::dict out;
    out["summary"] = summary;
    out["days"] = days;
    out["requests"] = req;
    return out;
}

}  // namespace

void bind_simulation(py::module_& m) {
    m.def(
        "_generate_request_year",
        [](const program& prog, std::uint64_t seed, std::size_t requests, std::optional<date> start,
           std::uint32_t days) {
            request_year_options o;
            o.seed = seed;
            o.requests = requests;
            if (start) o.start = *start;
            o.days = days;
            std::vector<dated_request> year;
            {
                py::gil_scoped_release unlocked;
                year = generate_request_year(prog, o);
            }
            return request_columns(prog, year);
        },
        py::arg("program"), py::arg("seed"), py::arg("requests"), py::arg("start"), py::arg("days"),
        "Runs refmatch::generate_request_year; returns plain columns.");
    m.def(
        "_recorded_requests",
        [](const py_request_book& b, std::optional<date> since, std::optional<date> until) {
            std::shared_ptr<const program> prog;
            std::vector<dated_request> requests;
            {
                py::gil_scoped_release unlocked;
                prog = b.db->program();
                requests = dated_requests(b.book, *prog, since, until);
            }
            return request_columns(*prog, requests);
        },
        py::arg("book"), py::arg("since"), py::arg("until"),
        "Runs refmatch::dated_requests; returns plain columns (see refmatch.recorded_requests).");
    m.def(
        "_simulate",
        [](const program& prog, const std::vector<std::string>& id, const std::vector<date>& day,
           const std::vector<std::string>& prospect_id, const std::vector<std::string>& activity,
           const std::vector<std::uint32_t>& count, const std::vector<date>& due,
           const std::vector<double>& value, const std::vector<py::dict>& policies,
           std::uint64_t seed, double decline_base, double decline_fatigue, std::size_t threads) {
            const std::size_t n = id.size();
            for (const auto* size : {&day, &due})
                if (size->size() != n) throw py::value_error("requests: columns of unequal length");
            if (prospect_id.size() != n || activity.size() != n || count.size() != n ||
                value.size() != n)
                throw py::value_error("requests: columns of unequal length");
            std::vector<dated_request> requests(n);
            for (std::size_t i = 0; i < n; ++i)
                requests[i] = {
                    id[i],    day[i], prospect_id[i], prog.vocab->activities.at(activity[i]),
                    count[i], due[i], value[i]};
            std::vector<simulation_policy> list;
            for (const auto& p : policies) list.push_back(policy_from(prog, p));
            simulation_options o;
            o.seed = seed;
            o.decline_base = decline_base;
            o.decline_fatigue = decline_fatigue;
            o.threads = threads;
            simulation_result r;
            {
                py::gil_scoped_release unlocked;
                r = simulate(prog, requests, list, o);
            }
            return replay_columns(r);
        },
        py::arg("program"), py::arg("id"), py::arg("day"), py::arg("prospect_id"),
        py::arg("activity"), py::arg("count"), py::arg("due"), py::arg("value"),
        py::arg("policies"), py::arg("seed"), py::arg("decline_base"), py::arg("decline_fatigue"),
        py::arg("threads"),
        "Runs refmatch::simulate; returns plain columns (see refmatch.simulate).");
}

}  // namespace refmatch::python
