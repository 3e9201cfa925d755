#pragma once
/// @file requests/request_book.hpp
/// Reference requests kept in the program database (link refmatch::requests): every operation
/// is one arrow of the state diagram of docs/requests.md, made in one SQLite transaction with
/// its audit-trail row, its holds and, on fulfilment, its uses in the ledger.

#include <refmatch/db/database.hpp>
#include <refmatch/live_holds.hpp>
#include <refmatch/requests/queues.hpp>
#include <refmatch/requests/request.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

class engine;

/// Who makes a change and when: the library never reads the clock.
struct request_actor {
    std::string who;
    std::chrono::sys_seconds now{};
    std::string comment;
};

/// The reference requests of one program database.
///
/// Each operation checks that its arrow is in the state diagram and that its input is valid,
/// then writes in one `BEGIN IMMEDIATE` transaction the request's new status, the audit-trail
/// row, the holds taken or released and (on fulfilment) the uses, through the database's one
/// ledger write path; a kill -9 leaves the request in its old or its new state. A refused
/// operation (`illegal_transition`, `hold_conflict`, `validation_error`, `not_found_error`)
/// changes nothing.
///
/// **Holds:** a slot is taken on each attached reference when the owner approves (or, with
/// `hold_start::approval_asked`, when asked). Taking it checks, inside the write transaction and
/// so against every other connection's committed uses and holds, that the reference is active
/// and eligible by `evaluate_quota` with the other live holds counted like uses: of two requests
/// racing for a reference's last slot, in threads or processes, exactly one wins. A hold is live
/// from then until the request is fulfilled (it becomes a use), cancelled, or its expiry day
/// (`needed_by + hold_expiry_days`) comes, whichever is first; `live_holds(now)` lists them for
/// `match_options::holds` and `assignment_options::holds`.
///
/// **Thread safety:** one object may be shared by threads (its calls are serialised); objects
/// on the same file in several threads or processes are the way to work in parallel. Its
/// operations read the program's ledger while they hold the book's lock, so do not call the book
/// while holding a `usage_ledger::reader` yourself (take `hold_index_at` first, then the reader).
///
/// **Complexity:** each operation is one transaction (one fsync) plus O(log n) index work per
/// row it touches; `propose` adds one engine match; `live_holds` is linear in the holds;
/// `list` and the queues are linear in the requests.
class request_book {
public:
    /// Opens the requests of `db` (its own connection to the same file). `db` must outlive it.
    explicit request_book(database& db, request_policy policy = {});
    ~request_book();
    request_book(request_book&&) noexcept;
    request_book& operator=(request_book&&) noexcept;
    request_book(const request_book&) = delete;
    request_book& operator=(const request_book&) = delete;

    [[nodiscard]] const request_policy& policy() const noexcept;

    /// A new request (status `requested`). @throws validation_error for an unknown opportunity
    /// or activity, `wanted == 0`, or an empty requester. Returns its id.
    std::int64_t create(const new_request& r, const request_actor& by);

    /// requested / proposed / owner_declined / customer_declined → proposed: the engine's top
    /// `policy().candidates` eligible references for the opportunity and activity at `by.now`,
    /// with the live holds counted and without the references that declined this opportunity
    /// or this request. Returns the candidates (possibly none: the queue of requests with no
    /// eligible candidate shows it). `e` must match over `db.program()`.
    std::vector<request_candidate> propose(std::int64_t id, const engine& e,
                                           const request_actor& by);

    /// requested / proposed → approval_asked: attaches references (1 to `wanted`, each active,
    /// eligible and not declined for this opportunity) and asks their owners. For a self-serve
    /// activity → fulfilled at once: each use is recorded on `by.now`'s day.
    void pick(std::int64_t id, std::span<const std::string> reference_ids, const request_actor& by);
    /// approval_asked → approved: every attached reference still waiting for its owner is
    /// approved (its hold taken, unless taken when asked). @throws hold_conflict when one has no
    /// slot left (none is approved then).
    void approve(std::int64_t id, const request_actor& by);
    /// The owner of the attached `reference` approves it (its hold taken, unless taken when
    /// asked). The request stays approval_asked while another attached reference waits for its
    /// owner (the trail row, approval_asked → approval_asked, names the reference) and moves to
    /// approved once none waits. @throws validation_error when `reference` is not attached and
    /// waiting for its owner; hold_conflict when it has no slot left.
    void approve(std::int64_t id, const std::string& reference, const request_actor& by);
    /// approval_asked: every attached reference still waiting for its owner is declined →
    /// owner_declined, or approved when some were approved before. customer_asked →
    /// customer_declined: every held reference's customer declined. Holds released; each decline is
    /// remembered: the reference is not proposed again for the opportunity and counts in its
    /// decline rate.
    void decline(std::int64_t id, const request_actor& by);
    /// One attached reference declined: while approval_asked by its owner (it must be waiting
    /// for that decision), while customer_asked by its customer (it must be held). Its hold is
    /// released and the decline remembered as above. The request moves as the whole-request
    /// `decline` when no other reference waits for its owner (approved when one was approved,
    /// else owner_declined) or, for a customer, when no other reference is held; else it stays
    /// and the trail row names the reference. @throws validation_error for another reference.
    void decline(std::int64_t id, const std::string& reference, const request_actor& by);
    /// approved → customer_asked: the first contact attempt.
    void ask(std::int64_t id, outreach_channel channel, const request_actor& by);
    /// A follow-up contact while customer_asked; `accepted` / `declined` outcomes move the request
    /// as `accept` / `decline` do. @throws validation_error past `max_follow_ups` follow-ups.
    void contact(std::int64_t id, outreach_channel channel, outreach_outcome outcome,
                 const request_actor& by);
    /// customer_asked → accepted.
    void accept(std::int64_t id, const request_actor& by);
    /// accepted / scheduled → scheduled on `day`: the holds are dated `day` from then on.
    void schedule(std::int64_t id, date day, const request_actor& by);
    /// scheduled → fulfilled: each held reference's use is recorded (on the planned day unless
    /// `day` says otherwise), linked to the request and the opportunity.
    void fulfil(std::int64_t id, const request_actor& by, std::optional<date> day = {});
    /// Any open status → cancelled: holds released.
    void cancel(std::int64_t id, const request_actor& by);
    /// Feedback on a fulfilled request (once). @throws validation_error for a rating outside
    /// 1–5 or feedback already given.
    void feedback(std::int64_t id, const request_feedback& f, const request_actor& by);
    /// Every open request whose expiry day has come → expired (holds released), each in its own
    /// transaction. Returns their ids.
    std::vector<std::int64_t> expire(const request_actor& by);

    /// One request, everything about it. @throws not_found_error.
    [[nodiscard]] request get(std::int64_t id) const;
    /// All requests, by id (their trails, candidates and outreach included).
    [[nodiscard]] std::vector<request> list() const;
    /// The live holds at `now`: held references of open requests whose expiry day is after
    /// `now`'s day.
    [[nodiscard]] std::vector<live_hold> live_holds(std::chrono::sys_seconds now) const;
    /// `live_holds(now)` as the index `match_options::holds` takes.
    [[nodiscard]] std::shared_ptr<const hold_index> hold_index_at(
        std::chrono::sys_seconds now) const;

    /// The morning views at `now` (queues.hpp). `e` answers "no eligible candidate left".
    [[nodiscard]] request_queues queues(std::chrono::sys_seconds now, const engine& e,
                                        const queue_options& options = {}) const;
    /// Service figures over all requests at `now` (queues.hpp).
    [[nodiscard]] service_figures service(std::chrono::sys_seconds now) const;

private:
    [[nodiscard]] std::shared_ptr<const refmatch::program> current_program() const;
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace refmatch
