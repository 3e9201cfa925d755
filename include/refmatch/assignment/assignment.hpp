#pragma once
/// @file assignment.hpp
/// Assigns references to many demands at once, optimally under quotas: the maximum total final
/// score over all demands, with each reference's headroom, cooldowns, an optional cap per
/// reference across activities, and fatigue that makes each further use of a reference in the
/// batch worth less. docs/assignment.md gives the model, the exactness argument and the figures.
/// Link refmatch::assignment.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/live_holds.hpp>
#include <refmatch/match.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/quota.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

class engine;

/// What one demand asks for: `count` distinct references for `request` (a prospect of the
/// program, or any prospect with resolvable codes).
struct assignment_demand {
    prospect request;
    /// The activity wanted; when unset, the activity the match options put in force for
    /// `request` (the options' activity, else the prospect's own).
    std::optional<activity_id> activity;
    /// References wanted (at least 1).
    std::uint32_t count = 1;
    /// Multiplies the demand's scores in the objective when `assignment_options::weighted`
    /// (deal value, priority); finite and >= 0.
    double weight = 1.0;
};

/// How an assignment is computed.
struct assignment_options {
    /// As in matching: `now`, score weights, fatigue weight, hard filters, exclusions, predicate,
    /// `explain`. The activity of each demand is its own (see `assignment_demand::activity`).
    match_options match;
    /// m: the engine's top-m references per demand seed the network; pricing then adds whatever
    /// else could improve the result, so m changes the speed, never the answer.
    std::size_t candidates = 8;
    /// Maximise Σ weight · score (true) or Σ score (false).
    bool weighted = true;
    /// A cap per reference across all activities: at most `max_uses` uses (all activities
    /// together, live holds included) in the window `(now − window_days, now]`. Cooldown is not
    /// read. Unset: no such cap.
    std::optional<quota_limit> per_reference;
    /// Live holds, counted against headroom and in fatigue.
    std::vector<live_hold> holds;
    /// Also compute the greedy baseline (`assignment_result::greedy`) in the same call.
    bool baseline = true;
    /// Threads for the engine's candidate batch (0: one per hardware thread). The result does
    /// not depend on it.
    std::size_t threads = 0;

    /// @throws validation_error for invalid match options, `candidates == 0`, or an invalid
    ///         `per_reference` limit.
    void validate() const;
};

/// Why a demand got fewer references than it asked for.
enum class unfilled_reason : std::uint8_t {
    none,                   ///< it got all it asked for
    no_eligible_reference,  ///< no further reference is eligible with headroom left
    taken_by_other_demands  ///< eligible references were left, but they went to demands whose
                            ///< scores (× weight) made the total higher
};

[[nodiscard]] std::string_view to_string(unfilled_reason r);

/// One reference given to a demand.
struct assigned_reference {
    /// The engine's result for this demand and reference, with its explanation: the score and
    /// quota state at the start of the batch (before any use the batch adds).
    match_result match;
    /// This is the `use`-th new use of the reference for this activity in the batch (1-based).
    std::uint32_t use = 1;
    /// The score this use is worth: `base · (1 − φ · min(1, (used + holds + use − 1) / max))`.
    double marginal_score = 0.0;
    /// `marginal_score · weight` (the demand's weight, or 1 when not weighted).
    double value = 0.0;
};

/// What one demand got.
struct demand_assignment {
    std::vector<assigned_reference> references;  ///< best marginal score first
    unfilled_reason reason = unfilled_reason::none;
    /// For `taken_by_other_demands`: the demand's best-scoring eligible reference it did not
    /// get, and the demands (indices) that got it.
    std::string contested_reference;
    std::vector<std::size_t> taken_by;
};

/// Totals of one assignment.
struct assignment_totals {
    double score = 0.0;          ///< Σ marginal scores
    double value = 0.0;          ///< Σ values (the objective)
    std::size_t filled = 0;      ///< demands that got all they asked for
    std::size_t partial = 0;     ///< demands that got some but not all
    std::size_t assigned = 0;    ///< references handed out (new uses)
    double value_covered = 0.0;  ///< Σ deal_value of the filled demands
    /// Load = new uses a reference takes in this batch, all activities together. `max_load`
    /// over all references; `load_gini` the Gini coefficient of the loads over all active
    /// references of the engine's snapshot (0: even, towards 1: a few take everything).
    std::uint32_t max_load = 0;
    double load_gini = 0.0;
    /// `score / assigned` (0 when nothing is assigned).
    [[nodiscard]] double mean_score() const {
        return assigned ? score / static_cast<double>(assigned) : 0.0;
    }
};

/// How the solve went.
struct assignment_stats {
    std::size_t rounds = 0;           ///< network solves (1 + pricing rounds that added arcs)
    std::size_t pairs = 0;            ///< (demand, reference) pairs in the final network
    std::size_t arcs = 0;             ///< arcs of the final network
    std::size_t priced_in = 0;        ///< pairs added by pricing
    std::size_t pricing_queries = 0;  ///< engine queries made by pricing
    /// Demands of the final solve settled outside the network: each wanted one reference and
    /// its most valuable pair was the only pair of that reference (docs/assignment.md).
    std::size_t settled = 0;
};

/// The result of `assign`: `demands[i]` is what `demands[i]` of the call got.
struct assignment_result {
    std::vector<demand_assignment> demands;
    assignment_totals totals;
    /// The greedy baseline on the same demands (empty unless `assignment_options::baseline`).
    std::vector<demand_assignment> greedy;
    assignment_totals greedy_totals;
    assignment_stats stats;
};

/// The assignment that maximises the total final score (× weight) of all demands at once.
///
/// Each (reference, activity) can take at most its headroom `max_uses − used − holds` (no bound
/// without a limit), at most one new use under a cooldown, and each reference at most its
/// `per_reference` headroom; a demand never gets the same reference twice. Eligibility (status,
/// consent, quota, cooldown, exclusions, hard filters, predicate) is the engine's. The j-th new
/// use of a reference for an activity is scored with the fatigue of `used + holds + j − 1`
/// uses. The result is optimal for the full problem, not only among the top-m candidates
/// (docs/assignment.md), up to the scaling of scores to integers (2^-30 of the largest weight
/// per assigned reference).
///
/// **Complexity:** one engine batch for the candidates (see `engine::match_batch`, on
/// `assignment_options::threads` threads), then rounds of a network simplex over
/// O(demands · m · levels) arcs (only the demands not settled by their uncontested best pair)
/// and a pricing pass that asks the engine again only for demands whose dual value is below
/// their m-th candidate's score. The
/// greedy baseline costs O(demands · m) more, plus engine queries when its candidates run out.
///
/// **Thread safety:** reentrant; reads the engine's program like a match (shared lock on the
/// ledger per engine query), so usage recorded during the call may or may not be seen.
///
/// @throws validation_error for invalid options or demands (a count of 0, a negative weight),
///         as `engine::match_batch` for a prospect with unknown codes or a missing `now`.
[[nodiscard]] assignment_result assign(const engine& e, std::span<const assignment_demand> demands,
                                       const assignment_options& options = {});

/// Only the greedy baseline: demands in due-date order (needed_by, none last, ties in input
/// order), each taking its best eligible references one at a time at their current marginal
/// score, respecting the same capacities. `assignment_result::demands` holds it.
///
/// **Complexity / thread safety:** as `assign`.
[[nodiscard]] assignment_result assign_greedy(const engine& e,
                                              std::span<const assignment_demand> demands,
                                              const assignment_options& options = {});

}  // namespace refmatch
