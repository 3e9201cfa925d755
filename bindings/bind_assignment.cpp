// The global assignment: `_assign(engine, prospects, ...)` converts the call's arguments, runs
// refmatch::assign without the GIL and returns plain columns, which refmatch/_assignment.py turns
// into DataFrames.

#include "bind_engine.hpp"

#include <refmatch/assignment/assignment.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace refmatch::python {
namespace {

// One row per (demand, reference given), one row per demand left short.
py::dict assignment_columns(const program& prog, std::span<const assignment_demand> demands,
                            const std::vector<demand_assignment>& result) {
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
            for (const auto t : d.taken_by) by += (by.empty() ? "" : ",") + demands[t].request.id;
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
            assignment_options o;
            o.match = options;
            o.candidates = candidates;
            o.weighted = weights.has_value();
            if (per_reference)
                o.per_reference = quota_limit{per_reference->first, per_reference->second, 0};
            for (const auto& [id, act, day] : holds) o.holds.push_back({id, act, day});
            o.baseline = baseline;
            o.threads = threads;
            assignment_result r;
            {
                py::gil_scoped_release unlocked;
                r = assign(e.eng, demands, o);
            }
            py::dict out;
            out["optimal"] = assignment_columns(*e.prog, demands, r.demands);
            out["greedy"] = assignment_columns(*e.prog, demands, r.greedy);
            out["optimal_totals"] = totals_dict(r.totals);
            out["greedy_totals"] = totals_dict(r.greedy_totals);
            py::dict stats;
            stats["rounds"] = r.stats.rounds;
            stats["pairs"] = r.stats.pairs;
            stats["arcs"] = r.stats.arcs;
            stats["priced_in"] = r.stats.priced_in;
            stats["pricing_queries"] = r.stats.pricing_queries;
            out["stats"] = stats;
            return out;
        },
        py::arg("engine"), py::arg("prospects"), py::arg("counts"), py::arg("weights"),
        py::arg("options"), py::arg("candidates"), py::arg("per_reference"), py::arg("holds"),
        py::arg("baseline"), py::arg("threads"),
        "Runs refmatch::assign; returns plain columns (see refmatch.Engine.assign).");
}

}  // namespace refmatch::python
