// The global assignment: `_assign(engine, prospects, ...)` converts the call's arguments, runs
// refmatch::assign without the GIL and returns plain columns, which refmatch/_assignment.py turns
// into DataFrames; `_assign_requests(book, ...)` does the same for a database's open requests
// and, asked to, applies the proposal through the request book.

#include "bind_engine.hpp"
#include "bind_requests.hpp"

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/assignment/open_requests.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace refmatch::python {
namespace {

// One row per (demand, reference given), one row per demand left short. `taken_by` names the
// demands that got the contested reference as the CLI does: by request id when the demands are
// requests (`request_ids`), else by prospect id.
py::dict assignment_columns(const program& prog, std::span<const assignment_demand> demands,
                            const std::vector<demand_assignment>& result,
                            std::span<const std::int64_t> request_ids) {
    const auto name_of = [&](std::size_t i) {
        return request_ids.empty() ? demands[i].request.id : std::to_string(request_ids[i]);
    };
    const auto& activities = prog.vocab->activities;
    std::vector<std::size_t> demand;
    std::vector<std::string> prospect_id, activity_name, reference_id, reason;
    std::vector<std::uint32_t> use;
    std::vector<double> marginal, value, final_score, base;
    std::vector<std::size_t> u_demand;
    std::vector<std::string> u_prospect, u_activity, u_reason, u_contested, u_taken_by;
    std::vector<std::uint32_t> u_wanted, u_got;
    for (std::size_t i = 0; i < result.size(); ++i) {
        const auto& d = result[i];
        const auto& p = demands[i].request;
        std::optional<activity_id> act = demands[i].activity ? demands[i].activity : p.activity;
        const std::string name = act ? activities.name(*act) : std::string();
        for (const auto& a : d.references) {
            demand.push_back(i);
            prospect_id.push_back(p.id);
            activity_name.push_back(name);
            reference_id.push_back(a.match.reference_id);
            use.push_back(a.use);
            marginal.push_back(a.marginal_score);
            value.push_back(a.value);
            final_score.push_back(a.match.final_score);
            base.push_back(a.match.base_score);
            reason.push_back(a.match.reason);
        }
        if (d.reason != unfilled_reason::none) {
            u_demand.push_back(i);
            u_prospect.push_back(p.id);
            u_activity.push_back(name);
            u_wanted.push_back(demands[i].count);
            u_got.push_back(static_cast<std::uint32_t>(d.references.size()));
            u_reason.push_back(std::string(to_string(d.reason)));
            u_contested.push_back(d.contested_reference);
            std::string by;
            for (const auto t : d.taken_by) by += (by.empty() ? "" : ",") + name_of(t);
            u_taken_by.push_back(by);
        }
    }
    py::dict assigned;
    assigned["demand"] = demand;
    assigned["prospect_id"] = prospect_id;
    assigned["activity"] = activity_name;
    assigned["reference_id"] = reference_id;
    assigned["use"] = use;
    assigned["marginal_score"] = marginal;
    assigned["value"] = value;
    assigned["final"] = final_score;
    assigned["base"] = base;
    assigned["reason"] = reason;
    py::dict unfilled;
    unfilled["demand"] = u_demand;
    unfilled["prospect_id"] = u_prospect;
    unfilled["activity"] = u_activity;
    unfilled["wanted"] = u_wanted;
    unfilled["got"] = u_got;
    unfilled["reason"] = u_reason;
    unfilled["contested_reference"] = u_contested;
    unfilled["taken_by"] = u_taken_by;
    py::dict out;
    out["assigned"] = assigned;
    out["unfilled"] = unfilled;
    return out;
}

py::dict totals_dict(const assignment_totals& t) {
    py::dict d;
    d["value"] = t.value;
    d["score"] = t.score;
    d["mean_score"] = t.mean_score();
    d["filled"] = t.filled;
    d["partial"] = t.partial;
    d["assigned"] = t.assigned;
    d["value_covered"] = t.value_covered;
    d["max_load"] = t.max_load;
    d["load_gini"] = t.load_gini;
    return d;
}

py::dict result_dict(const program& prog, std::span<const assignment_demand> demands,
                     const assignment_result& r, std::span<const std::int64_t> request_ids = {}) {
    py::dict out;
    out["optimal"] = assignment_columns(prog, demands, r.demands, request_ids);
    out["greedy"] = assignment_columns(prog, demands, r.greedy, request_ids);
    out["optimal_totals"] = totals_dict(r.totals);
    out["greedy_totals"] = totals_dict(r.greedy_totals);
    py::dict stats;
    stats["rounds"] = r.stats.rounds;
    stats["pairs"] = r.stats.pairs;
    stats["arcs"] = r.stats.arcs;
    stats["priced_in"] = r.stats.priced_in;
    stats["pricing_queries"] = r.stats.pricing_queries;
    stats["settled"] = r.stats.settled;
    out["stats"] = stats;
    return out;
}

assignment_options options_of(const match_options& options, std::size_t candidates, bool weighted,
                              std::optional<std::pair<std::uint32_t, std::uint32_t>> per_reference,
                              bool baseline, std::size_t threads) {
    assignment_options o;
    o.match = options;
    o.candidates = candidates;
    o.weighted = weighted;
    if (per_reference)
        o.per_reference = quota_limit{per_reference->first, per_reference->second, 0};
    o.baseline = baseline;
    o.threads = threads;
    return o;
}

}  // namespace

void bind_assignment(py::module_& m) {
    m.def(
        "_assign",
        [](const py_engine& e, const py::handle& prospects,
           const std::vector<std::uint32_t>& counts,
           const std::optional<std::vector<double>>& weights, const match_options& options,
           std::size_t candidates,
           std::optional<std::pair<std::uint32_t, std::uint32_t>> per_reference,
           const std::vector<std::tuple<std::string, activity_id, date>>& holds, bool baseline,
           std::size_t threads) {
            const auto list = to_prospects(e, prospects);
            if (counts.size() != 1 && counts.size() != list.size())
                throw py::value_error("count: expected one number or one per prospect (" +
                                      std::to_string(list.size()) + "), got " +
                                      std::to_string(counts.size()));
            if (weights && weights->size() != list.size())
                throw py::value_error("weight: expected one per prospect (" +
                                      std::to_string(list.size()) + "), got " +
                                      std::to_string(weights->size()));
            std::vector<assignment_demand> demands;
            demands.reserve(list.size());
            for (std::size_t i = 0; i < list.size(); ++i)
                demands.push_back({list[i], std::nullopt,
                                   counts.size() == 1 ? counts[0] : counts[i],
                                   weights ? (*weights)[i] : 1.0});
            auto o = options_of(options, candidates, weights.has_value(), per_reference, baseline,
                                threads);
            for (const auto& [id, act, day] : holds) o.holds.push_back({id, act, day});
            assignment_result r;
            {
                py::gil_scoped_release unlocked;
                r = assign(e.eng, demands, o);
            }
            return result_dict(*e.prog, demands, r);
        },
        py::arg("engine"), py::arg("prospects"), py::arg("counts"), py::arg("weights"),
        py::arg("options"), py::arg("candidates"), py::arg("per_reference"), py::arg("holds"),
        py::arg("baseline"), py::arg("threads"),
        "Runs refmatch::assign; returns plain columns (see refmatch.Engine.assign).");
    m.def(
        "_assign_requests",
        [](py_request_book& b, std::int64_t now, const match_options& options,
           std::size_t candidates, bool weighted,
           std::optional<std::pair<std::uint32_t, std::uint32_t>> per_reference, bool baseline,
           std::size_t threads, bool apply, const std::string& who) {
            const std::chrono::sys_seconds at{std::chrono::seconds{now}};
            auto o = options_of(options, candidates, weighted, per_reference, baseline, threads);
            o.match.now = std::chrono::floor<std::chrono::days>(at);
            o.match.holds.reset();  // the book's live holds, read in the same call
            std::shared_ptr<const program> prog;
            request_demands demands;
            assignment_result r;
            std::vector<applied_request> applied;
            {
                py::gil_scoped_release unlocked;
                prog = b.db->program();
                demands = open_request_demands(b.book, *prog, at);
                o.holds = b.book.live_holds(at);
                const engine e(prog);
                r = assign(e, demands.demands, o);
                if (apply) applied = apply_assignment(b.book, e, demands, r, {who, at, "assign"});
            }
            auto out = result_dict(*prog, demands.demands, r, demands.request_ids);
            out["request_ids"] = demands.request_ids;
            std::vector<std::int64_t> id;
            std::vector<std::string> state, references, message;
            for (const auto& a : applied) {
                id.push_back(a.request_id);
                state.push_back(std::string(to_string(a.state)));
                std::string refs;
                for (const auto& x : a.references) refs += (refs.empty() ? "" : ",") + x;
                references.push_back(std::move(refs));
                message.push_back(a.message);
            }
            py::dict columns;
            columns["request_id"] = id;
            columns["state"] = state;
            columns["references"] = references;
            columns["message"] = message;
            out["applied"] = columns;
            return out;
        },
        py::arg("book"), py::arg("now"), py::arg("options"), py::arg("candidates"),
        py::arg("weighted"), py::arg("per_reference"), py::arg("baseline"), py::arg("threads"),
        py::arg("apply"), py::arg("who"),
        "Runs refmatch::assign over the book's open requests and, with apply, "
        "refmatch::apply_assignment; returns plain columns (see refmatch.assign_requests).");
}

}  // namespace refmatch::python
