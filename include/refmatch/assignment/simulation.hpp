#pragma once
/// @file simulation.hpp
/// Replays a period's reference requests day by day under one or more policies (quota limits,
/// fatigue, score weights, optimal or greedy assignment, holds on or off) and reports them side
/// by side, so that a program can try a policy before changing it. docs/assignment.md
/// ("Replaying a policy") gives the day's steps, the decline model and what the figures mean.
/// Link refmatch::assignment.

#include <refmatch/activity.hpp>
#include <refmatch/assignment/dated_request.hpp>
#include <refmatch/date.hpp>
#include <refmatch/match.hpp>
#include <refmatch/quota.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refmatch {

struct program;
struct vocabulary;

/// How a day's open requests get their references.
enum class assignment_method : std::uint8_t {
    optimal,  ///< `assign`: the highest total value the quotas allow
    greedy    ///< `assign_greedy`: due-date order, best reference first
};

/// "optimal" or "greedy".
[[nodiscard]] std::string_view to_string(assignment_method m);

/// One way of running the program, to be replayed.
struct simulation_policy {
    std::string name;  ///< unique and not empty within a replay
    /// Multiplies every count limit, the program's defaults and the references' own (rounded to
    /// the nearest whole use, at least 1); finite and > 0. Windows and cooldowns are unchanged.
    double quota_scale = 1.0;
    /// Program defaults replaced for these activities (after `quota_scale`; a reference's own
    /// limit still applies to it).
    std::vector<std::pair<activity_id, quota_limit>> quota_overrides;
    /// An optional cap per reference across all activities (see `assignment_options`).
    std::optional<quota_limit> per_reference;
    score_weights weights;
    double fatigue_weight = 0.5;  ///< φ, in [0, 1]
    assignment_method method = assignment_method::optimal;
    /// On: a reference promised to a request holds the slot (it counts like a use, for quota and
    /// fatigue) from the day it is promised until the activity happens on the request's due
    /// day. Off: the slot is counted only once it is used, so promises in between do not see it.
    bool holds = true;
    /// Maximise Σ value · score (true) or Σ score (false).
    bool weighted = true;
    std::size_t candidates = 8;  ///< the solver's m (speed only)
    /// With the optimal method: also run the greedy baseline on each day's state and report its
    /// value per day (`replay_day::greedy_value`), not applied. Costs a greedy pass a day.
    bool baseline = false;
};

/// How a replay runs.
struct simulation_options {
    /// Seeds the simulated customers' declines. The same seed, requests and program give the same
    /// replay; a decline is drawn per (request, reference), so every policy faces the same
    /// customers' moods.
    std::uint64_t seed = 1;
    /// A customer asked declines with probability `decline_base + decline_fatigue · u`, where `u`
    /// is its utilisation of the activity under the program's own limits (not the policy's:
    /// a policy does not change how tired a customer is), uses and promised slots counted.
    /// Each in [0, 1].
    double decline_base = 0.05;
    double decline_fatigue = 0.30;
    /// Hard filters, exclusions and predicate of every day's matches (as `match_options`);
    /// `now`, `activity`, weights and fatigue are the replay's and the policy's.
    match_options match;
    /// Threads for each day's engine batch (0: one per hardware thread). The result does not
    /// depend on it.
    std::size_t threads = 0;

    /// @throws validation_error for a probability outside [0, 1] or invalid match options.
    void validate() const;
};

/// What became of one request under one policy.
struct request_outcome {
    std::string request_id;
    /// The day its last wanted reference was promised (filled in time), none when it was not.
    std::optional<date> filled_on;
    std::vector<std::string> references;  ///< promised, in the order they were
    double score = 0.0;                   ///< Σ marginal scores of those references
    std::uint32_t declines = 0;           ///< asks it received a no to
};

/// One day of a replay.
struct replay_day {
    date day;
    std::size_t opened = 0;    ///< requests asked that day
    std::size_t open = 0;      ///< open requests assigned that day (the batch)
    std::size_t asked = 0;     ///< references asked (promised or declined)
    std::size_t declined = 0;  ///< of those, declined
    std::size_t filled = 0;    ///< requests whose last wanted reference was promised
    std::size_t expired = 0;   ///< requests that passed their due day short
    std::size_t used = 0;      ///< activities that happened (uses recorded in the ledger)
    double value = 0.0;        ///< the batch's objective (`assignment_totals::value`)
    /// With `simulation_policy::baseline`: the greedy objective on the same state; else 0.
    double greedy_value = 0.0;
};

/// The side-by-side figures of one policy.
struct replay_totals {
    std::size_t requests = 0;
    std::size_t filled_on_time = 0;  ///< got every reference wanted by the due day
    std::size_t asks = 0;            ///< references asked
    std::size_t declines = 0;
    std::size_t uses = 0;        ///< promised references whose activity happened
    double score = 0.0;          ///< Σ marginal scores of the promised references
    std::size_t promised = 0;    ///< promised references
    double value = 0.0;          ///< Σ value of all requests
    double value_covered = 0.0;  ///< Σ value of the requests filled on time
    /// The share of `uses` taken by the most used 5% of the active references (at least one).
    double top5_share = 0.0;
    std::size_t references = 0;   ///< active references of the program
    std::size_t never_asked = 0;  ///< active references no request asked during the replay
    /// Uses recorded while the quota rule, under the policy's limits and without holds, said the
    /// reference was at its limit (only possible with holds off) or in cooldown.
    std::size_t over_limit_uses = 0;
    std::size_t cooldown_uses = 0;
    double mean_days_to_fill = 0.0;  ///< over the requests filled on time

    [[nodiscard]] double filled_share() const {
        return requests ? static_cast<double>(filled_on_time) / static_cast<double>(requests) : 0.0;
    }
    [[nodiscard]] double mean_score() const {
        return promised ? score / static_cast<double>(promised) : 0.0;
    }
    [[nodiscard]] double decline_rate() const {
        return asks ? static_cast<double>(declines) / static_cast<double>(asks) : 0.0;
    }
};

/// One policy's replay.
struct policy_replay {
    simulation_policy policy;
    replay_totals totals;
    std::vector<replay_day> days;           ///< every day from the first request to the last due
    std::vector<request_outcome> requests;  ///< in the order of the call's requests
};

/// The result of `simulate`: `policies[i]` is the replay of `policies[i]` of the call.
struct simulation_result {
    std::vector<policy_replay> policies;
};

/// Replays `requests` on `p` under each policy, from the first request's day to the last due
/// day. Each policy starts from the same state, its own copy of `p` with the policy's limits
/// and the ledger's uses dated before the first day; every day, in order: the requests asked
/// that day open; open requests past their due day expire; the open requests are assigned at
/// `now` = that day (by `assign` or `assign_greedy`, the live holds as their holds when the
/// policy keeps holds) and each promised reference is asked and may decline (then it is
/// excluded for that request, which stays open); at the end of the day every promised activity
/// due that day happens and is recorded through `program::record_usage`. Quotas are the one
/// rule (`evaluate_quota`) throughout.
///
/// **Complexity:** per policy O(n log n) to copy the program and build an engine over its n
/// references, then per day one assignment of that day's open requests (see `assign`).
/// **Thread safety:** reentrant; reads `p` only (its ledger under a shared lock while copied).
/// @throws validation_error for invalid options or policies, a request with a count of 0, a due
///         day before its day, a negative or non-finite value, an unregistered activity or a
///         duplicate id; not_found_error for a request whose prospect is not in the program.
[[nodiscard]] simulation_result simulate(const program& p, std::span<const dated_request> requests,
                                         std::span<const simulation_policy> policies,
                                         const simulation_options& options = {});

/// Reads dated requests from CSV text with the columns `id,day,prospect_id,activity,count,due,
/// value` (any order; `count` defaults to 1 and `value` to 0 when the column is absent or the
/// cell empty). `source` names the text in messages.
/// @throws parse_error naming the source, line, field, what was expected and what was found.
[[nodiscard]] std::vector<dated_request> parse_dated_requests(std::string_view text,
                                                              std::string_view source,
                                                              const vocabulary& vocab);

/// Writes dated requests as CSV (the columns of `parse_dated_requests`, in that order).
[[nodiscard]] std::string format_dated_requests(std::span<const dated_request> requests,
                                                const vocabulary& vocab);

}  // namespace refmatch
