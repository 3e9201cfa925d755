#pragma once
/// @file open_requests.hpp
/// The assignment over a program database's reference requests: the open requests that await
/// references become the demands, the proposal goes back through the request workflow (the
/// request book's own `propose` and `pick`, so that every hold is checked against the quotas
/// inside its write transaction), and a period's requests become the dated requests a replay
/// reads. docs/assignment.md ("On a program database") describes it. Link refmatch::assignment.

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/assignment/dated_request.hpp>
#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// The open requests awaiting references, as demands: `demands[i]` is the request
/// `request_ids[i]`.
struct request_demands {
    std::vector<std::int64_t> request_ids;
    std::vector<assignment_demand> demands;
};

/// The requests of `book` that await references at `now`: those `requested`, `proposed`,
/// `owner_declined` or `customer_declined` and not past their expiry day, by id. Each demand is
/// the request's opportunity (the prospect of `p`, needed by the request's needed-by date, so
/// that the greedy baseline takes them in due-date order), its activity, `wanted` references,
/// weighted by the opportunity's deal value, and never the references the workflow would refuse
/// to attach: those attached to it before (in any state) and those whose customer or owner
/// declined the opportunity on any request (the workflow remembers both declines per
/// opportunity). `p` is the program of the book's database.
///
/// **Complexity:** linear in the requests of the book (one `list`).
/// **Thread safety:** as `request_book::list`.
/// @throws not_found_error for a request whose opportunity is no longer a prospect of `p`.
[[nodiscard]] request_demands open_request_demands(const request_book& book, const program& p,
                                                   std::chrono::sys_seconds now);

/// What became of one request's proposal when applied.
enum class applied_state : std::uint8_t {
    held,       ///< attached and its slots held (the owners asked to approve)
    attached,   ///< attached, owners asked; the book's policy takes the holds at approval
    fulfilled,  ///< a self-serve activity: attaching it recorded the uses at once
    lost_slot,  ///< refused: a reference had no slot left any more (`hold_conflict`)
    changed,    ///< refused: the request moved on or was refused meanwhile (another user)
    unfilled,   ///< the assignment gave it nothing: nothing to apply
};

/// "held", "attached", "fulfilled", "lost_slot", "changed", "unfilled".
[[nodiscard]] std::string_view to_string(applied_state s);

/// One request's proposal, applied or not.
struct applied_request {
    std::int64_t request_id = 0;
    std::vector<std::string> references;  ///< the references proposed to it
    applied_state state = applied_state::unfilled;
    /// For `lost_slot` and `changed`: the workflow's refusal, naming the request and why.
    std::string message;
};

/// Turns an assignment of `open_request_demands` into the workflow's own steps, request by
/// request in order: a declined request is proposed again first (`request_book::propose`, the
/// arrow the state diagram requires), then its assigned references are picked
/// (`request_book::pick`), which asks their owners and, when the book's policy takes holds at
/// approval_asked, holds their slots. Each request is one transaction of the book: a pick
/// re-checks every reference's slot against the quotas and all live holds at `by.now` inside
/// it, so a proposal that lost its slot to another connection meanwhile is refused and reported
/// (`lost_slot`), never forced, and a request that another user moved is reported (`changed`).
/// Returns one entry per demand, in order. `e` must match over the book's program.
///
/// **Complexity:** one transaction (one fsync) per request given references, plus one engine
/// match per declined request.
/// **Thread safety:** as the book's operations.
/// @throws validation_error when `result` does not have one entry per demand; database errors
///         as the book's operations (the requests applied before stay applied).
std::vector<applied_request> apply_assignment(request_book& book, const engine& e,
                                              const request_demands& demands,
                                              const assignment_result& result,
                                              const request_actor& by);

/// The requests of `book` opened (created) on days in `[from, to]`, any status, as dated
/// requests for a replay (`simulate`), by id: id = the request id, day = the day it was
/// created, the opportunity, activity, wanted count, due = its needed-by date (or the day it
/// was opened, when that is later), value = the opportunity's deal value in `p`. Unset bounds
/// are open.
///
/// **Complexity / thread safety:** as `request_book::list`.
/// @throws not_found_error for a request whose opportunity is no longer a prospect of `p`.
[[nodiscard]] std::vector<dated_request> dated_requests(const request_book& book, const program& p,
                                                        std::optional<date> from = {},
                                                        std::optional<date> to = {});

}  // namespace refmatch
