// refmatch::request_book: the request workflow over the program database. Every operation is one
// write transaction on the book's own connection; the ledger rows of a fulfilment go through the
// database's ledger write path (db::insert_usage) inside it, and the database's in-memory program
// catches up after the commit.

#include "db/sqlite.hpp"
#include "db/tables.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/requests/request_book.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace refmatch {
namespace {

using std::chrono::sys_seconds;

sys_seconds parse_time(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SSZ, as format_timestamp writes it.
    const auto day = parse_date(text.substr(0, 10));
    int h = 0, m = 0, s = 0;
    if (!day || text.size() < 19 ||
        std::sscanf(std::string(text.substr(11, 8)).c_str(), "%d:%d:%d", &h, &m, &s) != 3)
        throw parse_error("request tables", 0, "time", "YYYY-MM-DDTHH:MM:SSZ", std::string(text));
    return sys_seconds{*day} + std::chrono::hours(h) + std::chrono::minutes(m) +
           std::chrono::seconds(s);
}

date parse_day(std::string_view text, std::string_view field) {
    const auto d = parse_date(text);
    if (!d)
        throw parse_error("request tables", 0, std::string(field), "YYYY-MM-DD", std::string(text));
    return *d;
}

template <class Enum, class Parse>
Enum enum_of(std::string_view text, std::string_view field, Parse parse) {
    const auto v = parse(text);
    if (!v)
        throw parse_error("request tables", 0, std::string(field), "a known value",
                          std::string(text));
    return *v;
}

std::optional<attachment_state> parse_attachment(std::string_view name) {
    for (std::uint8_t i = 0; i < 6; ++i)
        if (to_string(static_cast<attachment_state>(i)) == name)
            return static_cast<attachment_state>(i);
    return std::nullopt;
}

std::string subject(std::int64_t id) {
    return "request " + std::to_string(id);
}

// The common checks of an arrow: not expired, and in the diagram.
void expect(const request& r, request_status to, std::string_view verb, date today) {
    // A request past its expiry day can still be closed: expired, or cancelled.
    if (to != request_status::expired && to != request_status::cancelled && !is_closed(r.status) &&
        today >= r.expires_on)
        throw illegal_transition(subject(r.id) + ": cannot " + std::string(verb) +
                                 ": it expired on " + format_date(r.expires_on) +
                                 " (its needed-by date " + format_date(r.needed_by) +
                                 " plus the hold expiry); nothing changed");
    if (!transition_allowed(r.status, to)) {
        std::string expected;
        for (std::size_t i = 0; i < request_status_count; ++i) {
            const auto s = static_cast<request_status>(i);
            if (!transition_allowed(s, to)) continue;
            if (!expected.empty()) expected += ", ";
            expected += to_string(s);
        }
        throw illegal_transition(subject(r.id) + ": cannot " + std::string(verb) +
                                 " a request that is " + std::string(to_string(r.status)) + " (" +
                                 std::string(verb) + " needs " + expected + "); nothing changed");
    }
}

// An attached reference whose owner has not decided yet (with holds from the ask it is held).
bool waits_for_owner(const attached_reference& a) {
    return !a.approved &&
           (a.state == attachment_state::attached || a.state == attachment_state::held);
}

std::vector<std::string> held_references(const request& r) {
    std::vector<std::string> out;
    for (const auto& a : r.references)
        if (a.state == attachment_state::held) out.push_back(a.reference_id);
    return out;
}

// For the operations that need exactly these statuses (the diagram allows more arrows into
// their target from elsewhere).
void require_status(const request& r, std::initializer_list<request_status> allowed,
                    std::string_view verb, date today) {
    if (!is_closed(r.status) && today >= r.expires_on)
        expect(r, request_status::proposed, verb, today);
    if (std::find(allowed.begin(), allowed.end(), r.status) != allowed.end()) return;
    std::string expected;
    for (const auto s : allowed) {
        if (!expected.empty()) expected += ", ";
        expected += to_string(s);
    }
    throw illegal_transition(subject(r.id) + ": cannot " + std::string(verb) +
                             " a request that is " + std::string(to_string(r.status)) + " (" +
                             std::string(verb) + " needs " + expected + "); nothing changed");
}

constexpr const char* request_columns =
    "id, requester, opportunity_id, activity, wanted, needed_by, expires_on, planned_on, "
    "created_at, notes, status, status_at";

}  // namespace

double nearest_rank(std::vector<double> values, double p) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const auto n = static_cast<double>(values.size());
    auto rank = static_cast<std::size_t>(std::ceil(p * n - 1e-9));
    rank = std::clamp<std::size_t>(rank, 1, values.size());
    return values[rank - 1];
}

struct request_book::impl {
    database& db;
    request_policy policy;
    db::connection conn;
    mutable std::mutex mutex;

    impl(database& d, request_policy p) : db(d), policy(std::move(p)) {
        const auto& o = db.options();
        conn = db::connection(db.path().string(),
                              o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE,
                              o.vfs.empty() ? nullptr : o.vfs.c_str());
        sqlite3_busy_timeout(conn.get(), static_cast<int>(o.busy_timeout.count()));
        conn.exec("PRAGMA foreign_keys = ON", "open the requests");
        conn.exec("PRAGMA synchronous = FULL", "open the requests");
    }

    [[nodiscard]] std::shared_ptr<const program> prog() const { return db.program(); }
    [[nodiscard]] const std::string& activity_name(activity_id a) const {
        return prog()->vocab->activities.name(a);
    }

    // --- reading -------------------------------------------------------------------------------

    // The requests selected by `where` (with `bind`), everything about them, by id.
    std::vector<request> load(const std::string& where,
                              const std::function<void(db::statement&)>& bind) const {
        const auto p = prog();
        const auto& activities = p->vocab->activities;
        std::vector<request> out;
        std::unordered_map<std::int64_t, std::size_t> at;
        {
            db::statement s(conn,
                            std::string("SELECT ") + request_columns + " FROM request " + where +
                                " ORDER BY id",
                            "read requests");
            if (bind) bind(s);
            while (s.step()) {
                request r;
                r.id = s.integer(0);
                r.requester = s.text(1);
                r.opportunity_id = s.text(2);
                r.activity = activities.at(s.text(3));
                r.wanted = static_cast<std::uint32_t>(s.integer(4));
                r.needed_by = parse_day(s.text(5), "needed_by");
                r.expires_on = parse_day(s.text(6), "expires_on");
                if (!s.text(7).empty()) r.planned_on = parse_day(s.text(7), "planned_on");
                r.created_at = parse_time(s.text(8));
                r.notes = s.text(9);
                r.status = enum_of<request_status>(s.text(10), "status", parse_request_status);
                r.status_at = parse_time(s.text(11));
                at.emplace(r.id, out.size());
                out.push_back(std::move(r));
            }
        }
        if (out.empty()) return out;
        // The child rows of the selected requests (all of them when listing: one pass each).
        const std::string ids =
            where.empty() ? "" : " WHERE request_id IN (SELECT id FROM request " + where + ")";
        const auto rows = [&](const std::string& sql, auto&& on_row) {
            db::statement s(conn, sql, "read requests");
            if (bind && !where.empty()) bind(s);
            while (s.step()) {
                const auto it = at.find(s.integer(0));
                if (it != at.end()) on_row(out[it->second], s);
            }
        };
        rows(
            "SELECT request_id, reference_id, state, hold_day, event_id, customer_asked, approved "
            "FROM request_reference" +
                ids + " ORDER BY request_id, rowid",
            [&](request& r, const db::statement& s) {
                attached_reference a;
                a.reference_id = s.text(1);
                a.state = enum_of<attachment_state>(s.text(2), "state", parse_attachment);
                if (!s.text(3).empty()) a.hold_day = parse_day(s.text(3), "hold_day");
                if (!s.text(4).empty()) a.event_id = s.integer(4);
                a.customer_asked = s.integer(5) != 0;
                a.approved = s.integer(6) != 0;
                r.references.push_back(std::move(a));
            });
        rows(
            "SELECT request_id, reference_id, final_score, reason FROM request_candidate" + ids +
                " ORDER BY request_id, position",
            [&](request& r, const db::statement& s) {
                r.candidates.push_back({std::string(s.text(1)), s.real(2), std::string(s.text(3))});
            });
        rows(
            "SELECT request_id, from_status, to_status, who, at, comment, reference_id FROM "
            "request_transition" +
                ids + " ORDER BY request_id, id",
            [&](request& r, const db::statement& s) {
                request_transition t;
                if (!s.text(1).empty())
                    t.from =
                        enum_of<request_status>(s.text(1), "from_status", parse_request_status);
                t.to = enum_of<request_status>(s.text(2), "to_status", parse_request_status);
                t.who = s.text(3);
                t.at = parse_time(s.text(4));
                t.comment = s.text(5);
                t.reference_id = s.text(6);
                r.trail.push_back(std::move(t));
            });
        rows(
            "SELECT request_id, channel, day, outcome, who, at FROM request_outreach" + ids +
                " ORDER BY request_id, id",
            [&](request& r, const db::statement& s) {
                outreach_attempt o;
                o.channel = enum_of<outreach_channel>(s.text(1), "channel", parse_outreach_channel);
                o.day = parse_day(s.text(2), "day");
                o.outcome = enum_of<outreach_outcome>(s.text(3), "outcome", parse_outreach_outcome);
                o.who = s.text(4);
                o.at = parse_time(s.text(5));
                r.outreach.push_back(std::move(o));
            });
        rows("SELECT request_id, rating, outcome, again, comment FROM request_feedback" + ids,
             [&](request& r, const db::statement& s) {
                 r.feedback =
                     request_feedback{static_cast<int>(s.integer(1)), std::string(s.text(2)),
                                      s.integer(3) != 0, std::string(s.text(4))};
             });
        return out;
    }

    request read(std::int64_t id) const {
        auto found = load("WHERE id = ?1", [id](db::statement& s) { s.bind(1, id); });
        if (found.empty()) throw not_found_error("no " + subject(id));
        return std::move(found.front());
    }

    // The live holds at `today` (expiry day after it), optionally of one reference and activity,
    // leaving out one request's own.
    std::vector<live_hold> holds(date today, const std::string* reference = nullptr,
                                 std::optional<activity_id> activity = {},
                                 std::int64_t except = 0) const {
        const auto p = prog();
        std::string sql =
            "SELECT rr.reference_id, q.activity, rr.hold_day FROM request_reference rr "
            "JOIN request q ON q.id = rr.request_id WHERE rr.state = 'held' AND q.expires_on > ?1 "
            "AND q.id != ?2";
        if (reference) sql += " AND rr.reference_id = ?3 AND q.activity = ?4";
        db::statement s(conn, sql + " ORDER BY rr.reference_id", "read the live holds");
        s.bind(1, format_date(today)).bind(2, except);
        if (reference) s.bind(3, *reference).bind(4, activity_name(*activity));
        std::vector<live_hold> out;
        while (s.step())
            out.push_back({std::string(s.text(0)), p->vocab->activities.at(s.text(1)),
                           parse_day(s.text(2), "hold_day")});
        return out;
    }

    // The references that declined, their owner or their customer: for the opportunity, or on
    // this request.
    std::vector<std::string> declined(const request& r) const {
        std::set<std::string> out;
        db::statement s(conn,
                        "SELECT reference_id FROM request_decline WHERE opportunity_id = ?1 OR "
                        "request_id = ?2",
                        "read the declines");
        s.bind(1, r.opportunity_id).bind(2, r.id);
        while (s.step()) out.emplace(s.text(0));
        return {out.begin(), out.end()};
    }

    // --- checks --------------------------------------------------------------------------------

    // A slot for `r`'s activity on `reference` at `today`: active, and eligible by the one quota
    // rule with the other live holds counted like uses. @throws hold_conflict.
    void check_slot(const request& r, const std::string& reference, date today) const {
        const auto p = prog();
        const auto record = p->references.find(reference);
        if (!record)
            throw validation_error(subject(r.id), "reference", "a reference id of the program",
                                   reference);
        if (record->status != reference_status::active)
            throw hold_conflict(subject(r.id) + ": " + reference + " is " +
                                std::string(to_string(record->status)) +
                                ", not active; nothing changed");
        std::vector<date> days;
        for (const auto& h : holds(today, &reference, r.activity, r.id)) days.push_back(h.day);
        quota_state q;
        {
            const auto reader = p->usage.read();
            q = evaluate_quota(*record, r.activity, p->quotas, reader, today, days);
        }
        if (!q.eligible())
            throw hold_conflict(subject(r.id) + ": no slot left on " + reference + " for " +
                                activity_name(r.activity) + " on " + format_date(today) + ": " +
                                q.reason() + " (uses and " + std::to_string(days.size()) +
                                " live hold" + (days.size() == 1 ? "" : "s") +
                                "); nothing changed");
    }

    // --- writing -------------------------------------------------------------------------------

    // The reference the trail row of the running operation names ("" for the whole request).
    std::string trail_reference;

    void write_status(const request& r, request_status to, const request_actor& by) {
        db::statement u(conn, "UPDATE request SET status = ?1, status_at = ?2 WHERE id = ?3",
                        "change a request");
        u.bind(1, to_string(to)).bind(2, format_timestamp(by.now)).bind(3, r.id).run();
        write_trail(r, to, by);
    }

    // A trail row from `r`'s status to `to`, naming `trail_reference` when set.
    void write_trail(const request& r, request_status to, const request_actor& by) {
        db::statement t(conn,
                        "INSERT INTO request_transition (request_id, at, who, from_status, "
                        "to_status, comment, reference_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        "change a request");
        t.bind(1, r.id)
            .bind(2, format_timestamp(by.now))
            .bind(3, by.who)
            .bind(4, to_string(r.status));
        t.bind(5, to_string(to)).bind(6, by.comment).bind(7, trail_reference).run();
    }

    void set_attachment(const request& r, const std::string& reference, attachment_state to) {
        db::statement s(conn,
                        "UPDATE request_reference SET state = ?1 WHERE request_id = ?2 AND "
                        "reference_id = ?3",
                        "change a request");
        s.bind(1, to_string(to)).bind(2, r.id).bind(3, reference).run();
    }

    void remember_decline(const request& r, const std::string& reference, const char* by_whom,
                          const request_actor& by) {
        db::statement s(conn,
                        "INSERT INTO request_decline (request_id, reference_id, opportunity_id, "
                        "activity, by_whom, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        "decline a request");
        s.bind(1, r.id).bind(2, reference).bind(3, r.opportunity_id);
        s.bind(4, activity_name(r.activity)).bind(5, std::string_view(by_whom));
        s.bind(6, format_timestamp(by.now)).run();
    }

    // The owners' decisions on `r`'s attached references waiting for them: `reference` alone, or
    // (null) every one. Approving takes its hold (unless taken when asked); declining releases
    // it and remembers the decline. Returns the new status once no reference waits (approved
    // when one is approved, else owner_declined); while another waits, writes the decision's
    // trail row itself and returns nullopt.
    std::optional<request_status> decide(const request& r, const std::string* reference,
                                         bool approve, const request_actor& by) {
        const date today = day_of(by.now);
        require_status(r, {request_status::approval_asked}, approve ? "approve" : "decline", today);
        std::vector<const attached_reference*> chosen;
        std::string waiting;
        std::size_t waiting_count = 0, approved_count = 0;
        for (const auto& a : r.references) {
            approved_count += a.approved && a.state == attachment_state::held;
            if (!waits_for_owner(a)) continue;
            ++waiting_count;
            waiting += (waiting.empty() ? "" : ", ") + a.reference_id;
            if (!reference || a.reference_id == *reference) chosen.push_back(&a);
        }
        if (reference && chosen.empty())
            throw validation_error(subject(r.id), "reference",
                                   "a reference waiting for its owner's decision (" + waiting + ")",
                                   *reference);
        const auto day = format_date(r.planned_on.value_or(r.needed_by));
        for (const auto* a : chosen) {
            if (!approve) {
                remember_decline(r, a->reference_id, "owner", by);
                set_attachment(r, a->reference_id, attachment_state::owner_declined);
                continue;
            }
            if (a->state == attachment_state::attached) check_slot(r, a->reference_id, today);
            db::statement s(conn,
                            "UPDATE request_reference SET state = 'held', approved = 1, hold_day "
                            "= coalesce(hold_day, ?1) WHERE request_id = ?2 AND reference_id = ?3",
                            "approve a reference");
            s.bind(1, day).bind(2, r.id).bind(3, a->reference_id).run();
            ++approved_count;
        }
        if (chosen.size() == 1) trail_reference = chosen.front()->reference_id;
        if (chosen.size() < waiting_count) {
            write_trail(r, r.status, by);
            return std::nullopt;
        }
        return approved_count > 0 ? request_status::approved : request_status::owner_declined;
    }

    // The customers' declines while `r` is customer_asked: of `reference` alone, or (null) of
    // every held reference. Returns customer_declined once no reference is held; else writes the
    // decline's trail row itself and returns nullopt.
    std::optional<request_status> customer_declines(const request& r, const std::string* reference,
                                                    const request_actor& by) {
        std::string held;
        std::size_t held_count = 0;
        bool found = false;
        for (const auto& a : r.references) {
            if (a.state != attachment_state::held) continue;
            ++held_count;
            held += (held.empty() ? "" : ", ") + a.reference_id;
            if (!reference || a.reference_id == *reference) {
                remember_decline(r, a.reference_id, "customer", by);
                set_attachment(r, a.reference_id, attachment_state::customer_declined);
                found = true;
            }
        }
        if (reference && !found)
            throw validation_error(subject(r.id), "reference",
                                   "a reference whose customer was asked (" + held + ")",
                                   *reference);
        if (reference) trail_reference = *reference;
        if (reference && held_count > 1) {
            write_trail(r, r.status, by);
            return std::nullopt;
        }
        if (!reference && held_count == 1) trail_reference = held;
        db::statement o(conn,
                        "UPDATE request_outreach SET outcome = 'declined' WHERE id = (SELECT "
                        "max(id) FROM request_outreach WHERE request_id = ?1)",
                        "decline");
        o.bind(1, r.id).run();
        return request_status::customer_declined;
    }

    void set_attachments(const request& r, std::initializer_list<attachment_state> from,
                         attachment_state to) {
        for (const auto f : from) {
            db::statement s(conn,
                            "UPDATE request_reference SET state = ?1 WHERE request_id = ?2 AND "
                            "state = ?3",
                            "change a request");
            s.bind(1, to_string(to)).bind(2, r.id).bind(3, to_string(f)).run();
        }
    }

    // Takes a hold on every attached reference (checked one by one).
    void take_holds(const request& r, date today) {
        const auto day = format_date(r.planned_on.value_or(r.needed_by));
        for (const auto& a : r.references) {
            if (a.state != attachment_state::attached) continue;
            check_slot(r, a.reference_id, today);
            db::statement s(conn,
                            "UPDATE request_reference SET state = 'held', hold_day = ?1 WHERE "
                            "request_id = ?2 AND reference_id = ?3",
                            "hold a reference");
            s.bind(1, day).bind(2, r.id).bind(3, a.reference_id).run();
        }
    }

    // Records the uses of `references` on `day` through the ledger write path; marks them used.
    void record_uses(const request& r, const std::vector<std::string>& references, date day,
                     const request_actor& by) {
        const auto p = prog();
        std::vector<usage_event> events;
        for (const auto& ref : references)
            events.push_back({ref, r.activity, r.opportunity_id, day});
        const auto first =
            db::insert_usage(conn, *p->vocab, events, by.who, format_timestamp(by.now));
        for (std::size_t i = 0; i < references.size(); ++i) {
            db::statement s(conn,
                            "UPDATE request_reference SET state = 'used', event_id = ?1, "
                            "hold_day = ?2 WHERE request_id = ?3 AND "
                            "reference_id = ?4",
                            "fulfil a request");
            s.bind(1, first + static_cast<std::int64_t>(i)).bind(2, format_date(day));
            s.bind(3, r.id).bind(4, references[i]).run();
        }
    }

    // One operation: inside a write transaction (with every committed use in memory, since no
    // other connection can commit meanwhile) `body` checks and writes, returning the new status
    // (nullopt: the status stays, no trail row); then the status, the trail row and the
    // revision; after the commit the database's program catches up.
    template <class F>
    void operate(std::int64_t id, std::string_view operation, const request_actor& by, F&& body) {
        std::lock_guard lock(mutex);
        trail_reference.clear();
        if (db.options().read_only)
            throw database_error(db.path().string() + ": " + std::string(operation) +
                                 ": the database is open read-only");
        db::transaction t(conn, db::transaction::write, operation);
        db.refresh();
        const request r = read(id);
        const std::optional<request_status> to = body(r);
        if (to) {
            expect(r, *to, operation, day_of(by.now));
            write_status(r, *to, by);
        }
        db::bump_revision(conn, operation);
        t.commit();
        db.refresh();
    }
};

request_book::request_book(database& db, request_policy policy)
    : impl_(std::make_unique<impl>(db, std::move(policy))) {}
request_book::~request_book() = default;
request_book::request_book(request_book&&) noexcept = default;
request_book& request_book::operator=(request_book&&) noexcept = default;

std::shared_ptr<const program> request_book::current_program() const {
    return impl_->prog();
}

const request_policy& request_book::policy() const noexcept {
    return impl_->policy;
}

std::int64_t request_book::create(const new_request& r, const request_actor& by) {
    auto& m = *impl_;
    std::lock_guard lock(m.mutex);
    m.db.refresh();  // the prospects other connections added
    const auto p = m.prog();
    const std::string what = "new request for '" + r.opportunity_id + "'";
    if (r.requester.empty()) throw validation_error(what, "requester", "a name", "");
    if (r.wanted == 0) throw validation_error(what, "wanted", "at least 1 reference", "0");
    if (r.activity.value >= p->vocab->activities.size())
        throw validation_error(what, "activity", "a registered activity type",
                               std::to_string(r.activity.value));
    if (!p->prospects.contains(r.opportunity_id))
        throw validation_error(what, "opportunity_id", "a prospect of the program",
                               r.opportunity_id);
    db::transaction t(m.conn, db::transaction::write, "create a request");
    const auto at = format_timestamp(by.now);
    db::statement s(m.conn,
                    "INSERT INTO request (requester, opportunity_id, activity, wanted, needed_by, "
                    "expires_on, planned_on, created_at, notes, status, status_at) VALUES (?1, "
                    "?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, 'requested', ?7) RETURNING id",
                    "create a request");
    s.bind(1, r.requester).bind(2, r.opportunity_id).bind(3, m.activity_name(r.activity));
    s.bind(4, std::int64_t{r.wanted}).bind(5, format_date(r.needed_by));
    s.bind(6, format_date(r.needed_by + std::chrono::days(m.policy.hold_expiry_days)));
    s.bind(7, at).bind(8, r.notes);
    if (!s.step()) throw database_error(m.conn.file() + ": create a request: no id");
    const auto id = s.integer(0);
    s.reset();
    db::statement tr(m.conn,
                     "INSERT INTO request_transition (request_id, at, who, from_status, "
                     "to_status, comment) VALUES (?1, ?2, ?3, NULL, 'requested', ?4)",
                     "create a request");
    tr.bind(1, id).bind(2, at).bind(3, by.who).bind(4, by.comment).run();
    db::bump_revision(m.conn, "create a request");
    t.commit();
    return id;
}

std::vector<request_candidate> request_book::propose(std::int64_t id, const engine& e,
                                                     const request_actor& by) {
    auto& m = *impl_;
    std::vector<request_candidate> out;
    m.operate(id, "propose", by, [&](const request& r) -> std::optional<request_status> {
        const date today = day_of(by.now);
        expect(r, request_status::proposed, "propose", today);
        match_options o;
        o.activity = r.activity;
        o.now = today;
        o.holds = std::make_shared<const hold_index>(m.holds(today));
        o.exclusions = m.declined(r);
        for (const auto& a : r.references) o.exclusions.push_back(a.reference_id);
        for (const auto& c : e.match(r.opportunity_id, m.policy.candidates, o))
            out.push_back({c.reference_id, c.final_score, c.reason});
        db::statement del(m.conn, "DELETE FROM request_candidate WHERE request_id = ?1", "propose");
        del.bind(1, r.id).run();
        db::statement ins(m.conn,
                          "INSERT INTO request_candidate (request_id, position, reference_id, "
                          "final_score, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                          "propose");
        for (std::size_t i = 0; i < out.size(); ++i) {
            ins.bind(1, r.id).bind(2, static_cast<std::int64_t>(i)).bind(3, out[i].reference_id);
            ins.bind_real(4, out[i].final_score).bind(5, out[i].reason).run();
        }
        return request_status::proposed;
    });
    return out;
}

void request_book::pick(std::int64_t id, std::span<const std::string> reference_ids,
                        const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "pick", by, [&](const request& r) -> std::optional<request_status> {
        const date today = day_of(by.now);
        const bool self_serve = m.policy.is_self_serve(r.activity);
        const auto to = self_serve ? request_status::fulfilled : request_status::approval_asked;
        require_status(r, {request_status::requested, request_status::proposed}, "pick", today);
        if (reference_ids.empty() || reference_ids.size() > r.wanted)
            throw validation_error(subject(r.id), "references",
                                   "1 to " + std::to_string(r.wanted) + " references",
                                   std::to_string(reference_ids.size()));
        const auto declined = m.declined(r);
        std::set<std::string> seen;
        for (const auto& ref : reference_ids) {
            if (!seen.insert(ref).second)
                throw validation_error(subject(r.id), "references", "distinct references", ref);
            if (std::find(declined.begin(), declined.end(), ref) != declined.end())
                throw validation_error(subject(r.id), "references",
                                       "a reference that has not declined this opportunity", ref);
            if (std::any_of(r.references.begin(), r.references.end(),
                            [&](const attached_reference& a) { return a.reference_id == ref; }))
                throw validation_error(subject(r.id), "references",
                                       "a reference not attached before", ref);
            m.check_slot(r, ref, today);
        }
        db::statement ins(m.conn,
                          "INSERT INTO request_reference (request_id, reference_id, state) "
                          "VALUES (?1, ?2, 'attached')",
                          "pick");
        for (const auto& ref : reference_ids) ins.bind(1, r.id).bind(2, ref).run();
        if (self_serve) {
            m.record_uses(r, {reference_ids.begin(), reference_ids.end()}, today, by);
        } else if (m.policy.holds_from == hold_start::approval_asked) {
            auto fresh = m.read(r.id);
            m.take_holds(fresh, today);
        }
        return to;
    });
}

void request_book::approve(std::int64_t id, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "approve", by, [&](const request& r) -> std::optional<request_status> {
        expect(r, request_status::approved, "approve", day_of(by.now));
        return m.decide(r, nullptr, true, by);
    });
}

void request_book::approve(std::int64_t id, const std::string& reference, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "approve", by, [&](const request& r) -> std::optional<request_status> {
        return m.decide(r, &reference, true, by);
    });
}

void request_book::decline(std::int64_t id, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "decline", by, [&](const request& r) -> std::optional<request_status> {
        const date today = day_of(by.now);
        if (r.status == request_status::customer_asked) {
            expect(r, request_status::customer_declined, "decline", today);
            return m.customer_declines(r, nullptr, by);
        }
        expect(r, request_status::owner_declined, "decline", today);
        return m.decide(r, nullptr, false, by);
    });
}

void request_book::decline(std::int64_t id, const std::string& reference, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "decline", by, [&](const request& r) -> std::optional<request_status> {
        const date today = day_of(by.now);
        if (r.status == request_status::customer_asked) {
            expect(r, request_status::customer_declined, "decline", today);
            return m.customer_declines(r, &reference, by);
        }
        expect(r, request_status::owner_declined, "decline", today);
        return m.decide(r, &reference, false, by);
    });
}

namespace {

void add_attempt(const db::connection& c, const request& r, outreach_channel channel,
                 outreach_outcome outcome, const request_actor& by) {
    db::statement s(c,
                    "INSERT INTO request_outreach (request_id, channel, day, outcome, who, at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    "contact the customer");
    s.bind(1, r.id).bind(2, to_string(channel)).bind(3, format_date(day_of(by.now)));
    s.bind(4, to_string(outcome)).bind(5, by.who).bind(6, format_timestamp(by.now)).run();
}

}  // namespace

void request_book::ask(std::int64_t id, outreach_channel channel, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "ask", by, [&](const request& r) -> std::optional<request_status> {
        expect(r, request_status::customer_asked, "ask", day_of(by.now));
        db::statement a(m.conn,
                        "UPDATE request_reference SET customer_asked = 1 WHERE request_id = ?1 "
                        "AND state = 'held'",
                        "ask");
        a.bind(1, r.id).run();
        add_attempt(m.conn, r, channel, outreach_outcome::no_answer, by);
        return request_status::customer_asked;
    });
}

void request_book::contact(std::int64_t id, outreach_channel channel, outreach_outcome outcome,
                           const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "contact", by, [&](const request& r) -> std::optional<request_status> {
        const date today = day_of(by.now);
        require_status(r, {request_status::customer_asked}, "contact", today);
        const auto follow_ups = r.outreach.empty() ? 0 : r.outreach.size() - 1;
        if (follow_ups >= m.policy.max_follow_ups)
            throw validation_error(subject(r.id) + ": a follow-up number " +
                                   std::to_string(follow_ups + 1) + " is refused: at most " +
                                   std::to_string(m.policy.max_follow_ups) +
                                   " follow-ups after the first ask; nothing changed");
        add_attempt(m.conn, r, channel, outcome, by);
        switch (outcome) {
            case outreach_outcome::accepted:
                return request_status::accepted;
            case outreach_outcome::declined:
                return m.customer_declines(r, nullptr, by);
            case outreach_outcome::no_answer:
                break;
        }
        return std::nullopt;
    });
}

void request_book::accept(std::int64_t id, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "accept", by, [&](const request& r) -> std::optional<request_status> {
        expect(r, request_status::accepted, "accept", day_of(by.now));
        db::statement o(m.conn,
                        "UPDATE request_outreach SET outcome = 'accepted' WHERE id = (SELECT "
                        "max(id) FROM request_outreach WHERE request_id = ?1)",
                        "accept");
        o.bind(1, r.id).run();
        return request_status::accepted;
    });
}

void request_book::schedule(std::int64_t id, date day, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "schedule", by, [&](const request& r) -> std::optional<request_status> {
        expect(r, request_status::scheduled, "schedule", day_of(by.now));
        if (day >= r.expires_on)
            throw validation_error(
                subject(r.id), "day",
                "a day before the request's expiry day " + format_date(r.expires_on),
                format_date(day));
        db::statement s(m.conn, "UPDATE request SET planned_on = ?1 WHERE id = ?2", "schedule");
        s.bind(1, format_date(day)).bind(2, r.id).run();
        db::statement h(m.conn,
                        "UPDATE request_reference SET hold_day = ?1 WHERE request_id = ?2 AND "
                        "state = 'held'",
                        "schedule");
        h.bind(1, format_date(day)).bind(2, r.id).run();
        return request_status::scheduled;
    });
}

void request_book::fulfil(std::int64_t id, const request_actor& by, std::optional<date> day) {
    auto& m = *impl_;
    m.operate(id, "fulfil", by, [&](const request& r) -> std::optional<request_status> {
        require_status(r, {request_status::scheduled}, "fulfil", day_of(by.now));
        m.record_uses(r, held_references(r), day.value_or(r.planned_on.value_or(day_of(by.now))),
                      by);
        return request_status::fulfilled;
    });
}

void request_book::cancel(std::int64_t id, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "cancel", by, [&](const request& r) -> std::optional<request_status> {
        if (!transition_allowed(r.status, request_status::cancelled))
            expect(r, request_status::cancelled, "cancel", day_of(by.now));
        m.set_attachments(r, {attachment_state::attached, attachment_state::held},
                          attachment_state::released);
        return request_status::cancelled;
    });
}

void request_book::feedback(std::int64_t id, const request_feedback& f, const request_actor& by) {
    auto& m = *impl_;
    m.operate(id, "feedback", by, [&](const request& r) -> std::optional<request_status> {
        require_status(r, {request_status::fulfilled}, "give feedback on", day_of(by.now));
        if (f.rating < 1 || f.rating > 5)
            throw validation_error(subject(r.id) + " feedback", "rating", "1 to 5",
                                   std::to_string(f.rating));
        if (r.feedback)
            throw validation_error(subject(r.id) + ": feedback was given already; nothing changed");
        db::statement s(m.conn,
                        "INSERT INTO request_feedback (request_id, rating, outcome, again, "
                        "comment, who, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        "feedback");
        s.bind(1, r.id).bind(2, std::int64_t{f.rating}).bind(3, f.outcome);
        s.bind(4, std::int64_t{f.would_do_again ? 1 : 0}).bind(5, f.comment).bind(6, by.who);
        s.bind(7, format_timestamp(by.now)).run();
        return std::nullopt;
    });
}

std::vector<std::int64_t> request_book::expire(const request_actor& by) {
    auto& m = *impl_;
    std::vector<std::int64_t> due;
    {
        std::lock_guard lock(m.mutex);
        db::statement s(m.conn,
                        "SELECT id FROM request WHERE status NOT IN ('fulfilled', 'cancelled', "
                        "'expired') AND expires_on <= ?1 ORDER BY id",
                        "expire requests");
        s.bind(1, format_date(day_of(by.now)));
        while (s.step()) due.push_back(s.integer(0));
    }
    std::vector<std::int64_t> out;
    for (const auto id : due) {
        bool moved = false;
        m.operate(id, "expire", by, [&](const request& r) -> std::optional<request_status> {
            // Another connection may have closed it meanwhile.
            if (is_closed(r.status) || day_of(by.now) < r.expires_on) return std::nullopt;
            m.set_attachments(r, {attachment_state::attached, attachment_state::held},
                              attachment_state::released);
            moved = true;
            return request_status::expired;
        });
        if (moved) out.push_back(id);
    }
    return out;
}

request request_book::get(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    db::transaction t(impl_->conn, db::transaction::read, "read a request");
    auto r = impl_->read(id);
    t.commit();
    return r;
}

std::vector<request> request_book::list() const {
    std::lock_guard lock(impl_->mutex);
    db::transaction t(impl_->conn, db::transaction::read, "read requests");
    auto out = impl_->load("", {});
    t.commit();
    return out;
}

std::vector<live_hold> request_book::live_holds(std::chrono::sys_seconds now) const {
    std::lock_guard lock(impl_->mutex);
    return impl_->holds(day_of(now));
}

std::shared_ptr<const hold_index> request_book::hold_index_at(std::chrono::sys_seconds now) const {
    return std::make_shared<const hold_index>(live_holds(now));
}

}  // namespace refmatch
