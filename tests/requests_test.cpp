// Reference requests (refmatch::requests) on real database files: the workflow by hand, refused
// operations that change nothing, holds counted by the engine, hand-worked scenarios, queues and
// service figures, a property test against an independent model of the state machine and its
// holds, threads and processes racing for the last slot, and kill -9 in mid-transition.

#include "requests/request_program.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/requests/request_book.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace refmatch;
using test_requests::ask_for;
using test_requests::at_hour;
using test_requests::by;
using test_requests::first_day;
namespace fs = std::filesystem;
using std::chrono::days;

fs::path scratch(const std::string& name) {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    const auto dir = fs::temp_directory_path() /
                     ("refmatch_requests_test_" + std::to_string(getpid())) /
                     (std::string(info->test_suite_name()) + "." + info->name()) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

// A database of the small program and a book on it.
struct fixture {
    fs::path path;
    std::unique_ptr<database> db;
    std::unique_ptr<request_book> book;
    explicit fixture(const fs::path& dir, std::uint32_t sales_calls = 2,
                     request_policy policy = {}) {
        path = dir / "program.db";
        test_requests::create_small_database(path, sales_calls);
        db = std::make_unique<database>(path);
        book = std::make_unique<request_book>(*db, std::move(policy));
    }
    engine make_engine() const { return engine(db->program()); }
    quota_state quota(const std::string& ref, activity_id a, long hour) const {
        const auto p = db->program();
        // The book's lock before the ledger's, the order the book itself takes them in.
        const auto holds = book->hold_index_at(at_hour(hour));
        const auto reader = p->usage.read();
        return evaluate_quota(p->references.at(ref), a, p->quotas, reader,
                              std::chrono::floor<days>(at_hour(hour)), holds->days(ref, a));
    }
};

std::vector<std::string> ids_of(const std::vector<request_candidate>& cs) {
    std::vector<std::string> out;
    for (const auto& c : cs) out.push_back(c.reference_id);
    return out;
}

std::vector<std::string> one(const std::string& id) {
    return {id};
}

// --- The workflow by hand -----------------------------------------------------------------------

TEST(Requests, AskToFeedbackRecordsOneUseLinkedToTheRequest) {
    fixture f(scratch("db"));
    auto e = f.make_engine();
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4), by("rep", 0));
    EXPECT_EQ(f.book->get(id).status, request_status::requested);
    const auto candidates = f.book->propose(id, e, by("pm", 1));
    ASSERT_EQ(candidates.size(), 5u);  // all five are eligible, the engine's order
    const auto direct = e.match("P-1", 5, [] {
        match_options o;
        o.activity = activity::sales_call;
        o.now = first_day;
        return o;
    }());
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(candidates[i].reference_id, direct[i].reference_id);
        EXPECT_DOUBLE_EQ(candidates[i].final_score, direct[i].final_score);
        EXPECT_EQ(candidates[i].reason, direct[i].reason);
    }
    const auto chosen = candidates.front().reference_id;
    f.book->pick(id, one(chosen), by("pm", 2));
    EXPECT_TRUE(f.book->live_holds(at_hour(2)).empty());  // holds start at approval
    f.book->approve(id, by("owner", 3));
    const auto holds = f.book->live_holds(at_hour(3));
    ASSERT_EQ(holds.size(), 1u);
    EXPECT_EQ(holds[0], (live_hold{chosen, activity::sales_call, first_day + days(4)}));
    EXPECT_EQ(f.quota(chosen, activity::sales_call, 3).used, 1u);  // the hold counts
    f.book->ask(id, outreach_channel::email, by("pm", 4));
    f.book->accept(id, by("pm", 5));
    f.book->schedule(id, first_day + days(3), by("pm", 6));
    EXPECT_EQ(f.book->live_holds(at_hour(6)).front().day, first_day + days(3));
    EXPECT_TRUE(f.db->history(chosen).empty());
    f.book->fulfil(id, by("pm", 80));
    EXPECT_TRUE(f.book->live_holds(at_hour(80)).empty());
    const auto ledger = f.db->history(chosen);
    ASSERT_EQ(ledger.size(), 1u);
    EXPECT_EQ(ledger[0].event.opportunity_id, "P-1");
    EXPECT_EQ(ledger[0].event.day, first_day + days(3));
    EXPECT_EQ(ledger[0].recorded_by, "pm");
    // The hold became the use: still 1, now from the ledger.
    EXPECT_EQ(f.quota(chosen, activity::sales_call, 80).used, 1u);
    f.book->feedback(id, {5, "won the deal", true, "great call"}, by("rep", 90));

    const auto r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::fulfilled);
    ASSERT_EQ(r.references.size(), 1u);
    EXPECT_EQ(r.references[0].state, attachment_state::used);
    EXPECT_EQ(r.references[0].event_id, ledger[0].event_id);
    EXPECT_TRUE(r.references[0].customer_asked);
    ASSERT_TRUE(r.feedback);
    EXPECT_EQ(r.feedback->rating, 5);
    std::vector<std::string> trail;
    for (const auto& t : r.trail) trail.push_back(std::string(to_string(t.to)) + " by " + t.who);
    EXPECT_EQ(trail,
              (std::vector<std::string>{
                  "requested by rep", "proposed by pm", "approval_asked by pm", "approved by owner",
                  "customer_asked by pm", "accepted by pm", "scheduled by pm", "fulfilled by pm"}));
    EXPECT_FALSE(r.trail[0].from);
    EXPECT_EQ(r.trail[3].from, request_status::approval_asked);
    ASSERT_EQ(r.outreach.size(), 1u);
    EXPECT_EQ(r.outreach[0].outcome, outreach_outcome::accepted);
    // The state survives reopening, and the program loads with the use.
    f.book.reset();
    f.db = std::make_unique<database>(f.path);
    EXPECT_EQ(request_book(*f.db).get(id), r);
    EXPECT_EQ(f.db->program()->usage.size(), 1u);
    EXPECT_TRUE(f.db->check().empty());
}

TEST(Requests, SelfServeGoesStraightToFulfilled) {
    fixture f(scratch("db"));
    const auto id = f.book->create(ask_for("P-2", activity::name_drop, 1), by("rep", 0));
    f.book->pick(id, one("R-C"), by("rep", 1));
    const auto r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::fulfilled);
    ASSERT_EQ(f.db->history("R-C").size(), 1u);
    EXPECT_EQ(f.db->history("R-C")[0].event.activity, activity::name_drop);
    EXPECT_EQ(f.db->history("R-C")[0].event.day, first_day);
    EXPECT_EQ(r.trail.back().from, request_status::requested);
    // Configurable: without self-serve activities, the same request asks for approval.
    request_policy strict;
    strict.self_serve.clear();
    request_book book(*f.db, strict);
    const auto id2 = book.create(ask_for("P-2", activity::name_drop, 1), by("rep", 0));
    book.pick(id2, one("R-C"), by("rep", 1));
    EXPECT_EQ(book.get(id2).status, request_status::approval_asked);
}

TEST(Requests, IllegalTransitionsAreRefusedAndChangeNothing) {
    fixture f(scratch("db"));
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4), by("rep", 0));
    const auto before = f.book->get(id);
    EXPECT_EQ(error_of([&] { f.book->approve(id, by("owner", 1)); }),
              "request 1: cannot approve a request that is requested (approve needs "
              "approval_asked); nothing changed");
    EXPECT_EQ(error_of([&] { f.book->fulfil(id, by("pm", 1)); }),
              "request 1: cannot fulfil a request that is requested (fulfil needs scheduled); "
              "nothing changed");
    EXPECT_EQ(error_of([&] {
                  f.book->contact(id, outreach_channel::phone, outreach_outcome::no_answer,
                                  by("pm", 1));
              }),
              "request 1: cannot contact a request that is requested (contact needs "
              "customer_asked); nothing changed");
    EXPECT_EQ(error_of([&] {
                  f.book->feedback(id, {4, "", true, ""}, by("pm", 1));
              }),
              "request 1: cannot give feedback on a request that is requested (give feedback on "
              "needs fulfilled); nothing changed");
    EXPECT_EQ(f.book->get(id), before);
    f.book->cancel(id, by("rep", 2));
    EXPECT_EQ(error_of([&] { f.book->cancel(id, by("rep", 3)); }),
              "request 1: cannot cancel a request that is cancelled (cancel needs requested, "
              "proposed, approval_asked, approved, owner_declined, customer_asked, accepted, "
              "customer_declined, scheduled); nothing changed");
    EXPECT_EQ(error_of([&] { (void)f.book->get(99); }), "no request 99");
    EXPECT_EQ(
        error_of([&] { f.book->create(ask_for("P-9", activity::sales_call, 1), by("r", 0)); }),
        "new request for 'P-9': field 'opportunity_id': expected a prospect of the program, "
        "got 'P-9'");
    const auto id2 = f.book->create(ask_for("P-1", activity::sales_call, 4), by("rep", 0));
    EXPECT_EQ(error_of([&] {
                  const std::vector<std::string> two = {"R-A", "R-B"};
                  f.book->pick(id2, two, by("pm", 1));
              }),
              "request 2: field 'references': expected 1 to 1 references, got '2'");
    EXPECT_EQ(f.book->get(id2).status, request_status::requested);
    EXPECT_TRUE(f.book->get(id2).references.empty());
}

TEST(Requests, HoldsCountInTheEnginesEligibilityFatigueAndExplanations) {
    fixture f(scratch("db"), 2);
    auto e = f.make_engine();
    // Two sales-call holds on R-A fill its limit of 2; one on R-B halves its headroom.
    for (const auto& [opportunity, ref] : std::vector<std::pair<std::string, std::string>>{
             {"P-1", "R-A"}, {"P-2", "R-A"}, {"P-3", "R-B"}}) {
        const auto id = f.book->create(ask_for(opportunity, activity::sales_call, 6), by("rep", 0));
        f.book->pick(id, one(ref), by("pm", 1));
        f.book->approve(id, by("owner", 1));
    }
    match_options o;
    o.activity = activity::sales_call;
    o.now = first_day;
    const auto without = e.match("P-1", 5, o);
    o.holds = f.book->hold_index_at(at_hour(2));
    EXPECT_EQ(o.holds->size(), 3u);
    const auto with = e.match("P-1", 5, o);
    ASSERT_EQ(without.size(), 5u);
    ASSERT_EQ(with.size(), 4u);  // R-A is at its limit
    for (const auto& r : with) {
        EXPECT_NE(r.reference_id, "R-A");
        const auto plain = std::find_if(without.begin(), without.end(), [&](const auto& x) {
            return x.reference_id == r.reference_id;
        });
        const std::uint32_t holds = r.reference_id == "R-B" ? 1 : 0;
        ASSERT_TRUE(r.quota);
        EXPECT_EQ(r.quota->used, holds);
        EXPECT_DOUBLE_EQ(r.quota->utilisation, holds / 2.0);
        EXPECT_DOUBLE_EQ(r.final_score, plain->base_score * (1.0 - 0.5 * holds / 2.0));
    }
    // A third request cannot hold R-A: it has no slot left.
    const auto id = f.book->create(ask_for("P-3", activity::sales_call, 6), by("rep", 0));
    EXPECT_EQ(error_of([&] { f.book->pick(id, one("R-A"), by("pm", 2)); }),
              "request 4: no slot left on R-A for sales_call on 2026-03-02: used 2 of 2 in 30 days "
              "(uses and 2 live holds); nothing changed");
    EXPECT_EQ(f.book->get(id).status, request_status::requested);
    // Cancelling one releases its slot.
    f.book->cancel(1, by("rep", 3));
    f.book->pick(id, one("R-A"), by("pm", 3));
    f.book->approve(id, by("owner", 3));
    EXPECT_EQ(f.quota("R-A", activity::sales_call, 3).used, 2u);
}

TEST(Requests, HoldsBlockACooldownBeforeAndAfterTheirDay) {
    fixture f(scratch("db"));
    auto e = f.make_engine();
    const auto id = f.book->create(ask_for("P-1", activity::case_study, 20), by("rep", 0));
    f.book->pick(id, one("R-D"), by("pm", 0));
    f.book->approve(id, by("owner", 0));
    // The hold is dated day 20 and the cooldown is 30 days: R-D is in cooldown from now (day 0,
    // 20 days before the hold) until day 50, for as long as the hold lives (to day 27).
    const auto q = f.quota("R-D", activity::case_study, 0);
    EXPECT_TRUE(q.cooling_down);
    EXPECT_EQ(q.cooldown_end, first_day + days(50));
    EXPECT_EQ(q.reason(), "in cooldown until 2026-04-21");
    match_options o;
    o.activity = activity::case_study;
    o.now = first_day;
    o.holds = f.book->hold_index_at(at_hour(0));
    for (const auto& r : e.match("P-2", 5, o)) EXPECT_NE(r.reference_id, "R-D");
    EXPECT_TRUE(f.book->live_holds(at_hour(27 * 24)).empty());  // expired
    EXPECT_EQ(f.book->live_holds(at_hour(26 * 24)).size(), 1u);
}

// --- Each attached reference's owner decides for it ----------------------------------------------

std::vector<std::string> held_ids(const request_book& book, long hour) {
    std::vector<std::string> out;
    for (const auto& h : book.live_holds(at_hour(hour))) out.push_back(h.reference_id);
    std::sort(out.begin(), out.end());
    return out;
}

// Three references attached; their owners answer one by one. The request waits until the last
// one decides, each decision is a trail row naming its reference, the approved ones are held,
// the declined one is never proposed again for the opportunity (but is for another).
TEST(RequestApproval, EachOwnerDecidesForTheirReference) {
    fixture f(scratch("db"), 2);
    auto e = f.make_engine();
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4, 3), by("rep", 0));
    f.book->pick(id, std::vector<std::string>{"R-A", "R-B", "R-C"}, by("pm", 1));
    f.book->approve(id, "R-B", by("ben", 2, "happy to"));
    auto r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::approval_asked);
    EXPECT_EQ(held_ids(*f.book, 2), one("R-B"));
    EXPECT_EQ(r.trail.back(),
              (request_transition{request_status::approval_asked, request_status::approval_asked,
                                  "ben", at_hour(2), "happy to", "R-B"}));
    // A reference that is not waiting for its owner: decided already, or not attached.
    for (const std::string ref : {"R-B", "R-D"})
        EXPECT_EQ(error_of([&] { f.book->approve(id, ref, by("ben", 2)); }),
                  "request 1: field 'reference': expected a reference waiting for its owner's "
                  "decision (R-A, R-C), got '" +
                      ref + "'");
    EXPECT_EQ(f.book->get(id), r);  // refused: nothing changed
    f.book->decline(id, "R-C", by("ana", 3, "not this quarter"));
    r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::approval_asked);
    EXPECT_EQ(r.trail.back().reference_id, "R-C");
    EXPECT_EQ(r.trail.back().to, request_status::approval_asked);
    f.book->approve(id, "R-A", by("ana", 4));
    r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::approved);
    EXPECT_EQ(r.trail.back(),
              (request_transition{request_status::approval_asked, request_status::approved, "ana",
                                  at_hour(4), "", "R-A"}));
    std::map<std::string, std::pair<attachment_state, bool>> states;
    for (const auto& a : r.references) states[a.reference_id] = {a.state, a.approved};
    EXPECT_EQ(states, (std::map<std::string, std::pair<attachment_state, bool>>{
                          {"R-A", {attachment_state::held, true}},
                          {"R-B", {attachment_state::held, true}},
                          {"R-C", {attachment_state::owner_declined, false}}}));
    EXPECT_EQ(held_ids(*f.book, 4), (std::vector<std::string>{"R-A", "R-B"}));
    // R-C declined opportunity P-1: not proposed nor picked for it again; P-2 still gets it.
    const auto again = f.book->create(ask_for("P-1", activity::sales_call, 4), by("rep", 5));
    const auto other = f.book->create(ask_for("P-2", activity::sales_call, 4), by("rep", 5));
    const auto proposed = ids_of(f.book->propose(again, e, by("pm", 5)));
    EXPECT_EQ(std::set<std::string>(proposed.begin(), proposed.end()),
              (std::set<std::string>{"R-A", "R-B", "R-D", "R-E"}));  // R-A, R-B: one slot left
    EXPECT_EQ(error_of([&] { f.book->pick(again, one("R-C"), by("pm", 5)); }),
              "request 2: field 'references': expected a reference that has not declined this "
              "opportunity, got 'R-C'");
    const auto elsewhere = ids_of(f.book->propose(other, e, by("pm", 5)));
    EXPECT_EQ(std::count(elsewhere.begin(), elsewhere.end(), "R-C"), 1);
    // The decline counts in R-C's owner decline rate: 1 of 1.
    const auto s = f.book->service(at_hour(6));
    const auto rc = std::find_if(s.by_reference.begin(), s.by_reference.end(),
                                 [](const decline_rate& d) { return d.key == "R-C"; });
    ASSERT_NE(rc, s.by_reference.end());
    EXPECT_EQ(rc->owner_declined, 1u);
    EXPECT_EQ(rc->owner_asked, 1u);
}

// With holds taken when the owners are asked, a declined reference's hold is released at once;
// when every owner declines, the request is owner_declined with no hold left.
TEST(RequestApproval, ADeclinedReferenceIsReleasedFromItsHold) {
    request_policy policy;
    policy.holds_from = hold_start::approval_asked;
    fixture f(scratch("db"), 1, policy);
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4, 2), by("rep", 0));
    f.book->pick(id, std::vector<std::string>{"R-A", "R-B"}, by("pm", 1));
    EXPECT_EQ(held_ids(*f.book, 1), (std::vector<std::string>{"R-A", "R-B"}));
    EXPECT_FALSE(f.quota("R-A", activity::sales_call, 1).eligible());  // its one slot is held
    f.book->decline(id, "R-A", by("ana", 2));
    EXPECT_EQ(held_ids(*f.book, 2), one("R-B"));
    EXPECT_TRUE(f.quota("R-A", activity::sales_call, 2).eligible());  // released
    EXPECT_EQ(f.book->get(id).status, request_status::approval_asked);
    f.book->decline(id, "R-B", by("ben", 3));
    const auto r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::owner_declined);
    EXPECT_EQ(r.trail.back().reference_id, "R-B");
    EXPECT_TRUE(f.book->live_holds(at_hour(3)).empty());
}

// Two owners approve; one customer declines, the other goes on to fulfilment alone.
TEST(RequestApproval, OneCustomerDeclinesTheOtherIsFulfilled) {
    fixture f(scratch("db"), 2);
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4, 2), by("rep", 0));
    f.book->pick(id, std::vector<std::string>{"R-A", "R-B"}, by("pm", 1));
    f.book->approve(id, by("owners", 2));  // the whole request: both at once
    EXPECT_EQ(f.book->get(id).trail.back().reference_id, "");
    f.book->ask(id, outreach_channel::email, by("pm", 3));
    EXPECT_EQ(error_of([&] { f.book->decline(id, "R-C", by("pm", 4)); }),
              "request 1: field 'reference': expected a reference whose customer was asked (R-A, "
              "R-B), got 'R-C'");
    f.book->decline(id, "R-A", by("pm", 4));
    auto r = f.book->get(id);
    EXPECT_EQ(r.status, request_status::customer_asked);
    EXPECT_EQ(r.trail.back().reference_id, "R-A");
    EXPECT_EQ(held_ids(*f.book, 4), one("R-B"));
    f.book->accept(id, by("pm", 5));
    f.book->schedule(id, first_day + days(2), by("pm", 5));
    f.book->fulfil(id, by("pm", 60));
    EXPECT_EQ(f.db->history("R-A").size(), 0u);
    EXPECT_EQ(f.db->history("R-B").size(), 1u);
    r = f.book->get(id);
    EXPECT_EQ(r.references[0].state, attachment_state::customer_declined);
    EXPECT_EQ(r.references[1].state, attachment_state::used);
}

// An approval that finds no slot is refused and changes nothing; the other owners still decide.
TEST(RequestApproval, AnApprovalWithoutASlotChangesNothing) {
    fixture f(scratch("db"), 1);
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 4, 2), by("rep", 0));
    f.book->pick(id, std::vector<std::string>{"R-B", "R-E"}, by("pm", 1));
    // Another request takes R-B's one slot first.
    const auto rival = f.book->create(ask_for("P-2", activity::sales_call, 4), by("rep", 0));
    f.book->pick(rival, one("R-B"), by("pm", 1));
    f.book->approve(rival, by("ben", 2));
    const auto before = f.book->get(id);
    EXPECT_EQ(error_of([&] { f.book->approve(id, "R-B", by("ben", 3)); }),
              "request 1: no slot left on R-B for sales_call on 2026-03-02: used 1 of 1 in 30 days "
              "(uses and 1 live hold); nothing changed");
    EXPECT_EQ(f.book->get(id), before);
    f.book->approve(id, "R-E", by("ben", 3));
    f.book->decline(id, "R-B", by("ben", 3, "no slot"));
    EXPECT_EQ(f.book->get(id).status, request_status::approved);
    EXPECT_EQ(held_ids(*f.book, 3), (std::vector<std::string>{"R-B", "R-E"}));  // rival's, ours
}

// A file of schema version 4 (before per-reference approval) opens migrated: the references of
// requests past their approval are approved, those still waiting are not, the trail rows name no
// reference, and the book goes on with them.
TEST(RequestApproval, AnOlderFileIsMigrated) {
    const auto dir = scratch("db");
    {
        fixture f(dir, 2);
        const auto done = f.book->create(ask_for("P-1", activity::sales_call, 4), by("rep", 0));
        f.book->pick(done, one("R-A"), by("pm", 0));
        f.book->approve(done, by("owner", 1));
        f.book->ask(done, outreach_channel::email, by("pm", 1));
        const auto waits = f.book->create(ask_for("P-2", activity::sales_call, 4), by("rep", 0));
        f.book->pick(waits, one("R-B"), by("pm", 0));
    }
    const auto path = dir / "program.db";
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    for (const char* sql :
         {"ALTER TABLE request_reference DROP COLUMN approved",
          "ALTER TABLE request_transition DROP COLUMN reference_id", "PRAGMA user_version = 4"})
        EXPECT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    sqlite3_close(raw);
    database db(path);
    request_book book(db);
    EXPECT_TRUE(book.get(1).references.at(0).approved);
    EXPECT_FALSE(book.get(2).references.at(0).approved);
    for (const auto& t : book.get(1).trail) EXPECT_EQ(t.reference_id, "");
    book.approve(2, "R-B", by("ben", 2));
    EXPECT_EQ(book.get(2).status, request_status::approved);
    EXPECT_TRUE(db.check().empty());
}

// --- Hand-worked scenarios
// ------------------------------------------------------------------------

// A prospect's call in 48 hours; R-E is the only reference that can take it and has one slot
// left (one use in the window). Two reps ask: the first to get approval holds the slot, the
// second request has no eligible candidate left and shows in the morning queues.
TEST(RequestScenarios, FortyEightHourCallWithOneSlotLeft) {
    fixture f(scratch("db"), 2);
    // Only R-E stays available: the others are paused.
    for (const auto* id : {"R-A", "R-B", "R-C", "R-D"})
        f.db->set_reference_status(id, reference_status::paused);
    f.db->record_usage({"R-E", activity::sales_call, "P-3", first_day - days(10)},
                       {"pm", at_hour(0)});
    auto e = f.make_engine();
    const auto first = f.book->create(ask_for("P-1", activity::sales_call, 1), by("ana", 0));
    const auto second = f.book->create(ask_for("P-2", activity::sales_call, 1), by("ben", 0));
    EXPECT_EQ(ids_of(f.book->propose(first, e, by("pm", 0))), one("R-E"));
    EXPECT_EQ(ids_of(f.book->propose(second, e, by("pm", 0))), one("R-E"));
    f.book->pick(first, one("R-E"), by("pm", 1));
    f.book->pick(second, one("R-E"), by("pm", 1));
    f.book->approve(first, by("owner", 2));
    EXPECT_EQ(error_of([&] { f.book->approve(second, by("owner", 2)); }),
              "request 2: no slot left on R-E for sales_call on 2026-03-02: used 2 of 2 in 30 days "
              "(uses and 1 live hold); nothing changed");
    EXPECT_EQ(f.book->get(second).status, request_status::approval_asked);
    f.book->decline(second, by("owner", 3, "no slot left"));
    EXPECT_TRUE(f.book->propose(second, e, by("pm", 3)).empty());
    const auto q = f.book->queues(at_hour(3), e);
    ASSERT_EQ(q.no_candidate.size(), 1u);
    EXPECT_EQ(q.no_candidate[0].request_id, second);
    EXPECT_DOUBLE_EQ(q.no_candidate[0].hours, 48.0 - 9 - 3);  // due 2026-03-04 00:00
    ASSERT_EQ(q.due_soon.size(), 2u);
    EXPECT_TRUE(q.overdue.empty());
    ASSERT_EQ(q.holds_expiring.size(), 0u);  // expires on day 8: 180 hours away
    const auto later = f.book->queues(at_hour(24 * 7), e, {});
    ASSERT_EQ(later.holds_expiring.size(), 1u);
    EXPECT_EQ(later.holds_expiring[0].references, "R-E");
    EXPECT_DOUBLE_EQ(later.holds_expiring[0].hours, 24.0 - 9);
    EXPECT_EQ(later.overdue.size(), 2u);
}

// The owner approves two days after the needed-by date: the hold is taken and counts until the
// expiry day (needed-by + 7 days); an approval on or after that day is refused.
TEST(RequestScenarios, ApprovalAfterTheNeededByDate) {
    fixture f(scratch("db"), 1);
    const auto late = f.book->create(ask_for("P-1", activity::sales_call, 1), by("rep", 0));
    f.book->pick(late, one("R-B"), by("pm", 0));
    f.book->approve(late, by("owner", 24 * 3));  // needed by day 1, approved on day 3
    EXPECT_EQ(f.book->live_holds(at_hour(24 * 3)).size(), 1u);
    EXPECT_TRUE(f.quota("R-B", activity::sales_call, 24 * 3).at_limit);
    EXPECT_TRUE(f.quota("R-B", activity::sales_call, 24 * 7).at_limit);
    EXPECT_FALSE(f.quota("R-B", activity::sales_call, 24 * 8).at_limit);  // expired on day 8
    const auto too_late = f.book->create(ask_for("P-2", activity::sales_call, 1), by("rep", 0));
    f.book->pick(too_late, one("R-C"), by("pm", 0));
    EXPECT_EQ(error_of([&] { f.book->approve(too_late, by("owner", 24 * 8)); }),
              "request 2: cannot approve: it expired on 2026-03-10 (its needed-by date "
              "2026-03-03 plus the hold expiry); nothing changed");
    EXPECT_EQ(f.book->get(too_late).status, request_status::approval_asked);
    EXPECT_EQ(f.book->expire(by("pm", 24 * 8)), (std::vector<std::int64_t>{late, too_late}));
    EXPECT_EQ(f.book->get(late).status, request_status::expired);
    EXPECT_EQ(f.book->get(late).references[0].state, attachment_state::released);
    EXPECT_TRUE(f.book->expire(by("pm", 24 * 9)).empty());
}

// R-A's customer declines twice, for two opportunities: it is not proposed again for either,
// cannot be picked for them, and its customer decline rate is 2 of 2.
TEST(RequestScenarios, ACustomerWhoDeclinesTwice) {
    fixture f(scratch("db"), 5);
    auto e = f.make_engine();
    for (const auto* opportunity : {"P-1", "P-2"}) {
        const auto id =
            f.book->create(ask_for(opportunity, activity::sales_call, 10), by("rep", 0));
        f.book->pick(id, one("R-A"), by("pm", 0));
        f.book->approve(id, by("owner", 1));
        f.book->ask(id, outreach_channel::email, by("pm", 2));
        f.book->contact(id, outreach_channel::phone, outreach_outcome::declined, by("pm", 3));
        EXPECT_EQ(f.book->get(id).status, request_status::customer_declined);
        const auto again = f.book->propose(id, e, by("pm", 4));
        EXPECT_EQ(again.size(), 4u);
        for (const auto& c : again) EXPECT_NE(c.reference_id, "R-A");
        EXPECT_EQ(error_of([&] { f.book->pick(id, one("R-A"), by("pm", 4)); }),
                  "request " + std::to_string(id) +
                      ": field 'references': expected a reference that has not declined this "
                      "opportunity, got 'R-A'");
    }
    // A new request for P-1 does not propose R-A either; P-3 still may.
    const auto p1 = f.book->create(ask_for("P-1", activity::sales_call, 10), by("rep", 5));
    EXPECT_EQ(ids_of(f.book->propose(p1, e, by("pm", 5))).size(), 4u);
    const auto p3 = f.book->create(ask_for("P-3", activity::sales_call, 10), by("rep", 5));
    EXPECT_EQ(ids_of(f.book->propose(p3, e, by("pm", 5))).size(), 5u);
    const auto s = f.book->service(at_hour(6));
    const auto ra = std::find_if(s.by_reference.begin(), s.by_reference.end(),
                                 [](const auto& d) { return d.key == "R-A"; });
    ASSERT_NE(ra, s.by_reference.end());
    EXPECT_EQ(ra->customer_asked, 2u);
    EXPECT_EQ(ra->customer_declined, 2u);
    EXPECT_DOUBLE_EQ(ra->customer_rate(), 1.0);
    EXPECT_EQ(ra->owner_asked, 2u);
    EXPECT_EQ(ra->owner_declined, 0u);
    ASSERT_EQ(s.by_activity.size(), 1u);
    EXPECT_EQ(s.by_activity[0].key, "sales_call");
    EXPECT_EQ(s.by_activity[0].customer_declined, 2u);
}

TEST(Requests, AtMostThreeFollowUpsAfterTheFirstAsk) {
    fixture f(scratch("db"));
    const auto id = f.book->create(ask_for("P-1", activity::sales_call, 10), by("rep", 0));
    f.book->pick(id, one("R-B"), by("pm", 0));
    f.book->approve(id, by("owner", 0));
    f.book->ask(id, outreach_channel::email, by("pm", 1));
    for (int i = 0; i < 3; ++i)
        f.book->contact(id, outreach_channel::phone, outreach_outcome::no_answer, by("pm", 2 + i));
    const auto before = f.book->get(id);
    EXPECT_EQ(error_of([&] {
                  f.book->contact(id, outreach_channel::video, outreach_outcome::accepted,
                                  by("pm", 9));
              }),
              "request 1: a follow-up number 4 is refused: at most 3 follow-ups after the first "
              "ask; nothing changed");
    EXPECT_EQ(f.book->get(id), before);
    f.book->accept(id, by("pm", 10));  // the customer answered the last attempt
    const auto s = f.book->service(at_hour(11));
    std::map<std::string, outreach_rate> by_channel;
    for (const auto& r : s.by_channel) by_channel[r.key] = r;
    EXPECT_EQ(by_channel["email"].attempts, 1u);
    EXPECT_EQ(by_channel["email"].responses, 0u);
    EXPECT_EQ(by_channel["phone"].attempts, 3u);
    EXPECT_EQ(by_channel["phone"].accepted, 1u);  // the last phone call was answered
    EXPECT_DOUBLE_EQ(by_channel["phone"].participation_rate(), 1.0 / 3.0);
    ASSERT_EQ(s.by_owner.size(), 1u);
    EXPECT_EQ(s.by_owner[0].key, "Ben");
    EXPECT_EQ(s.by_owner[0].attempts, 4u);
    // Configurable: with one follow-up allowed, the second is refused.
    request_policy brief;
    brief.max_follow_ups = 1;
    request_book book(*f.db, brief);
    const auto id2 = book.create(ask_for("P-2", activity::sales_call, 10), by("rep", 0));
    book.pick(id2, one("R-C"), by("pm", 0));
    book.approve(id2, by("owner", 0));
    book.ask(id2, outreach_channel::email, by("pm", 1));
    book.contact(id2, outreach_channel::email, outreach_outcome::no_answer, by("pm", 2));
    EXPECT_NE(error_of([&] {
                  book.contact(id2, outreach_channel::email, outreach_outcome::no_answer,
                               by("pm", 3));
              }).find("at most 1 follow-ups"),
              std::string::npos);
}

TEST(Requests, ServiceFiguresByActivity) {
    fixture f(scratch("db"), 10);
    // Three sales calls fulfilled after 10, 20 and 40 hours; the last one after its needed-by.
    const long hours[] = {10, 20, 40};
    for (int i = 0; i < 3; ++i) {
        const auto id = f.book->create(ask_for("P-1", activity::sales_call, 1), by("rep", 0));
        f.book->pick(id, one("R-C"), by("pm", 0));
        f.book->approve(id, by("owner", 0));
        f.book->ask(id, outreach_channel::email, by("pm", 0));
        f.book->accept(id, by("pm", 0));
        f.book->schedule(id, first_day + days(i == 2 ? 2 : 1), by("pm", 0));
        f.book->fulfil(id, by("pm", hours[i]));
    }
    const auto open = f.book->create(ask_for("P-2", activity::sales_call, 30), by("rep", 0));
    (void)open;
    const auto s = f.book->service(at_hour(50));
    ASSERT_EQ(s.time_to_fulfil.size(), 1u);
    EXPECT_EQ(s.time_to_fulfil[0].fulfilled, 3u);
    EXPECT_DOUBLE_EQ(s.time_to_fulfil[0].median_hours, 20.0);
    EXPECT_DOUBLE_EQ(s.time_to_fulfil[0].p90_hours, 40.0);
    ASSERT_EQ(s.on_time.size(), 1u);
    EXPECT_EQ(s.on_time[0].settled, 3u);  // the open one is not due yet
    EXPECT_EQ(s.on_time[0].on_time, 2u);
    EXPECT_DOUBLE_EQ(nearest_rank({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9), 9.0);
    EXPECT_DOUBLE_EQ(nearest_rank({3, 1, 2}, 0.5), 2.0);
}

TEST(Requests, QueueOfApprovalsWaitingTooLong) {
    fixture f(scratch("db"));
    auto e = f.make_engine();
    const auto old = f.book->create(ask_for("P-1", activity::sales_call, 20), by("rep", 0));
    f.book->pick(old, one("R-A"), by("pm", 0));
    const auto fresh = f.book->create(ask_for("P-2", activity::sales_call, 20), by("rep", 0));
    f.book->pick(fresh, one("R-B"), by("pm", 70));
    const auto q = f.book->queues(at_hour(80), e);
    ASSERT_EQ(q.awaiting_approval.size(), 1u);
    EXPECT_EQ(q.awaiting_approval[0].request_id, old);
    EXPECT_DOUBLE_EQ(q.awaiting_approval[0].hours, 80.0);
    EXPECT_EQ(q.awaiting_approval[0].references, "R-A");
    queue_options shorter;
    shorter.approval_waiting = std::chrono::hours(5);
    EXPECT_EQ(f.book->queues(at_hour(80), e, shorter).awaiting_approval.size(), 2u);
}

// --- Property: random operations against an independent model ---------------------------------

// The model knows the diagram, the holds and the quota (sales calls: at most `limit` uses and
// holds in 30 days; name drops: self-serve, unlimited) in its own words.
struct model {
    struct req {
        std::string opportunity;
        bool self_serve = false;
        std::uint32_t wanted = 1;
        date needed_by{};
        std::string status = "requested";
        std::map<std::string, std::string> refs;  // reference -> attached/held/...
        std::set<std::string> approved;           // by their owners
        date hold_day{};
        int attempts = 0;
    };
    std::uint32_t limit = 2;
    std::vector<req> requests;  // id = index + 1
    std::vector<std::pair<std::string, date>> sales_uses;
    // (opportunity, reference): its owner or its customer declined it for the opportunity.
    std::set<std::pair<std::string, std::string>> declines;

    static bool open(const req& r) {
        return r.status != "fulfilled" && r.status != "cancelled" && r.status != "expired";
    }
    static date expiry(const req& r) { return r.needed_by + days(7); }
    std::vector<std::pair<std::string, date>> holds(date today, std::size_t except = 0) const {
        std::vector<std::pair<std::string, date>> out;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            const auto& r = requests[i];
            if (i + 1 == except || !open(r) || today >= expiry(r) || r.self_serve) continue;
            for (const auto& [ref, state] : r.refs)
                if (state == "held") out.push_back({ref, r.hold_day});
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    std::uint32_t used(const std::string& ref, date today, std::size_t except = 0) const {
        std::uint32_t n = 0;
        for (const auto& [r, d] : sales_uses) n += r == ref && d <= today && d > today - days(30);
        for (const auto& h : holds(today, except)) n += h.first == ref;
        return n;
    }
    bool slot(const req& r, const std::string& ref, date today, std::size_t id) const {
        return r.self_serve || used(ref, today, id) < limit;
    }
    // The attached references waiting for their owner's decision.
    static std::vector<std::string> waiting(const req& r) {
        std::vector<std::string> out;
        for (const auto& [ref, state] : r.refs)
            if ((state == "attached" || state == "held") && !r.approved.contains(ref))
                out.push_back(ref);
        return out;
    }
    static std::vector<std::string> held(const req& r) {
        std::vector<std::string> out;
        for (const auto& [ref, state] : r.refs)
            if (state == "held") out.push_back(ref);
        return out;
    }
    // The status once an owner's decision leaves `left` references waiting.
    static std::string after_owner(const req& r, std::size_t left) {
        if (left > 0) return r.status;
        for (const auto& ref : r.approved)
            if (r.refs.at(ref) == "held") return "approved";
        return "owner_declined";
    }
};

TEST(RequestProperty, RandomOperationsAgreeWithTheModel) {
    const std::vector<std::string> refs = {"R-A", "R-B", "R-C", "R-D", "R-E"};
    std::map<std::string, int> succeeded, refused;  // the runs must reach every arrow
    int conflicts = 0;                              // approvals refused for want of a slot
    for (unsigned seed = 1; seed <= 16; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        // One sales call per 30 days: slots run out, and requests race for them.
        fixture f(scratch("db" + std::to_string(seed)), 1);
        auto e = f.make_engine();
        model m;
        m.limit = 1;
        std::mt19937 rng(seed);
        long hour = 0;
        for (int step = 0; step < 120; ++step) {
            hour += static_cast<long>(rng() % 8);
            const auto now = at_hour(hour);
            const date today = std::chrono::floor<days>(now);
            const request_actor who{"p", now, ""};
            const std::size_t n = m.requests.size();
            // Mostly one of the latest requests, so that many get far along the diagram.
            const std::size_t id = n == 0           ? 0
                                   : rng() % 5 == 0 ? 1 + rng() % n
                                                    : n - rng() % std::min<std::size_t>(n, 3);
            model::req* r = id ? &m.requests[id - 1] : nullptr;
            const bool live = r && model::open(*r) && today < model::expiry(*r);
            bool ok = false;
            std::string op;
            const auto attempt = [&](auto&& f_) {
                try {
                    f_();
                    return true;
                } catch (const error&) {
                    return false;
                }
            };
            // Mostly the arrow the request's status calls for, else any operation (most of those
            // are refused, which the model must predict too).
            const auto natural = [&]() -> unsigned {
                const std::map<std::string, std::vector<unsigned>> next = {
                    {"requested", {1, 2}},         {"proposed", {2}},
                    {"approval_asked", {3, 3, 4}}, {"approved", {5}},
                    {"customer_asked", {6, 7, 4}}, {"accepted", {7}},
                    {"scheduled", {8, 8, 7}},      {"owner_declined", {1}},
                    {"customer_declined", {1}}};
                const auto it = next.find(r->status);
                if (it == next.end()) return 0;
                return it->second[rng() % it->second.size()];
            };
            const auto choice = static_cast<unsigned>(n == 0 || rng() % 12 == 0 ? 0
                                                      : rng() % 3 != 0          ? natural()
                                                                                : rng() % 11);
            switch (choice) {
                case 0: {
                    op = "create";
                    const bool self = rng() % 5 == 0;
                    auto nr = ask_for("P-" + std::to_string(1 + rng() % 3),
                                      self ? activity::name_drop : activity::sales_call, 0,
                                      static_cast<std::uint32_t>(1 + rng() % 2));
                    nr.needed_by = today + days(static_cast<int>(rng() % 6));
                    ok = attempt([&] { f.book->create(nr, who); });
                    EXPECT_TRUE(ok);
                    model::req fresh;
                    fresh.opportunity = nr.opportunity_id;
                    fresh.self_serve = self;
                    fresh.wanted = nr.wanted;
                    fresh.needed_by = nr.needed_by;
                    m.requests.push_back(std::move(fresh));
                    break;
                }
                case 1: {
                    op = "propose";
                    std::vector<request_candidate> got;
                    ok = attempt(
                        [&] { got = f.book->propose(static_cast<std::int64_t>(id), e, who); });
                    const bool expect_ok =
                        live && (r->status == "requested" || r->status == "proposed" ||
                                 r->status == "owner_declined" || r->status == "customer_declined");
                    EXPECT_EQ(ok, expect_ok) << op;
                    if (ok) {
                        // Every reference is a candidate unless it declined or has no slot.
                        std::set<std::string> expected;
                        for (const auto& ref : refs)
                            if (!r->refs.contains(ref) &&
                                !m.declines.contains({r->opportunity, ref}) &&
                                (r->self_serve || m.used(ref, today) < m.limit))
                                expected.insert(ref);
                        const auto names = ids_of(got);
                        EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected);
                        r->status = "proposed";
                    }
                    break;
                }
                case 2: {
                    op = "pick";
                    std::vector<std::string> pick;
                    const std::size_t k = rng() % 4 == 0 ? 2 : 1;
                    for (std::size_t i = 0; i < k; ++i) pick.push_back(refs[rng() % refs.size()]);
                    ok = attempt([&] { f.book->pick(static_cast<std::int64_t>(id), pick, who); });
                    bool expect_ok =
                        live && (r->status == "requested" || r->status == "proposed") &&
                        pick.size() <= r->wanted &&
                        std::set<std::string>(pick.begin(), pick.end()).size() == pick.size();
                    for (const auto& ref : pick)
                        expect_ok = expect_ok && !r->refs.contains(ref) &&
                                    !m.declines.contains({r->opportunity, ref}) &&
                                    m.slot(*r, ref, today, id);
                    EXPECT_EQ(ok, expect_ok) << op;
                    if (ok) {
                        for (const auto& ref : pick) {
                            r->refs[ref] = r->self_serve ? "used" : "attached";
                            if (r->self_serve) {
                                // name drops: not part of the sales-call quota
                            }
                        }
                        r->status = r->self_serve ? "fulfilled" : "approval_asked";
                    }
                    break;
                }
                case 3: {
                    op = "approve";
                    // The whole request, or one reference (attached or not, waiting or not).
                    const bool whole = rng() % 2 == 0;
                    const std::string one_ref = refs[rng() % refs.size()];
                    ok = attempt([&] {
                        if (whole)
                            f.book->approve(static_cast<std::int64_t>(id), who);
                        else
                            f.book->approve(static_cast<std::int64_t>(id), one_ref, who);
                    });
                    bool expect_ok = live && r->status == "approval_asked";
                    const auto waiting =
                        expect_ok ? model::waiting(*r) : std::vector<std::string>{};
                    std::vector<std::string> chosen = waiting;
                    if (!whole) {
                        chosen.clear();
                        if (std::find(waiting.begin(), waiting.end(), one_ref) != waiting.end())
                            chosen.push_back(one_ref);
                        expect_ok = expect_ok && !chosen.empty();
                    }
                    if (expect_ok && !ok) ++conflicts;
                    // Holds are taken one by one: a request's own earlier hold counts for its
                    // later references only through other requests (distinct refs).
                    for (const auto& ref : chosen)
                        if (r->refs[ref] == "attached")
                            expect_ok = expect_ok && m.slot(*r, ref, today, id);
                    EXPECT_EQ(ok, expect_ok) << op << (whole ? " all" : " " + one_ref);
                    if (ok) {
                        for (const auto& ref : chosen) {
                            r->refs[ref] = "held";
                            r->approved.insert(ref);
                        }
                        r->hold_day = r->needed_by;
                        r->status = model::after_owner(*r, waiting.size() - chosen.size());
                    }
                    break;
                }
                case 4: {
                    op = "decline";
                    const bool whole = rng() % 2 == 0;
                    const std::string one_ref = refs[rng() % refs.size()];
                    ok = attempt([&] {
                        if (whole)
                            f.book->decline(static_cast<std::int64_t>(id), who);
                        else
                            f.book->decline(static_cast<std::int64_t>(id), one_ref, who);
                    });
                    const bool customer = live && r->status == "customer_asked";
                    const bool owner = live && r->status == "approval_asked";
                    const auto deciding = customer ? model::held(*r)
                                          : owner  ? model::waiting(*r)
                                                   : std::vector<std::string>{};
                    std::vector<std::string> chosen = deciding;
                    if (!whole) {
                        chosen.clear();
                        if (std::find(deciding.begin(), deciding.end(), one_ref) != deciding.end())
                            chosen.push_back(one_ref);
                    }
                    const bool expect_ok = (customer || owner) && !chosen.empty();
                    EXPECT_EQ(ok, expect_ok) << op << (whole ? " all" : " " + one_ref);
                    if (ok) {
                        for (const auto& ref : chosen) {
                            r->refs[ref] = customer ? "customer_declined" : "owner_declined";
                            m.declines.insert({r->opportunity, ref});
                        }
                        const auto left = deciding.size() - chosen.size();
                        if (customer)
                            r->status = left > 0 ? "customer_asked" : "customer_declined";
                        else
                            r->status = model::after_owner(*r, left);
                    }
                    break;
                }
                case 5: {
                    op = "ask";
                    ok = attempt([&] {
                        f.book->ask(static_cast<std::int64_t>(id), outreach_channel::email, who);
                    });
                    EXPECT_EQ(ok, live && r->status == "approved") << op;
                    if (ok) {
                        r->status = "customer_asked";
                        r->attempts = 1;
                    }
                    break;
                }
                case 6: {
                    op = "contact";
                    const auto outcome = static_cast<outreach_outcome>(rng() % 3);
                    ok = attempt([&] {
                        f.book->contact(static_cast<std::int64_t>(id), outreach_channel::phone,
                                        outcome, who);
                    });
                    EXPECT_EQ(ok, live && r->status == "customer_asked" && r->attempts <= 3) << op;
                    if (ok) {
                        ++r->attempts;
                        if (outcome == outreach_outcome::accepted) r->status = "accepted";
                        if (outcome == outreach_outcome::declined) {
                            for (auto& [ref, state] : r->refs)
                                if (state == "held") {
                                    state = "customer_declined";
                                    m.declines.insert({r->opportunity, ref});
                                }
                            r->status = "customer_declined";
                        }
                    }
                    break;
                }
                case 7: {
                    op = "accept/schedule";
                    if (r->status == "accepted" || r->status == "scheduled") {
                        const date day = today + days(static_cast<int>(rng() % 4));
                        ok = attempt(
                            [&] { f.book->schedule(static_cast<std::int64_t>(id), day, who); });
                        EXPECT_EQ(ok, live && day < model::expiry(*r)) << op;
                        if (ok) {
                            r->status = "scheduled";
                            r->hold_day = day;
                        }
                    } else {
                        ok = attempt([&] { f.book->accept(static_cast<std::int64_t>(id), who); });
                        EXPECT_EQ(ok, live && r->status == "customer_asked") << op;
                        if (ok) r->status = "accepted";
                    }
                    break;
                }
                case 8: {
                    op = "fulfil";
                    ok = attempt([&] { f.book->fulfil(static_cast<std::int64_t>(id), who); });
                    EXPECT_EQ(ok, live && r->status == "scheduled") << op;
                    if (ok) {
                        for (auto& [ref, state] : r->refs)
                            if (state == "held") {
                                state = "used";
                                m.sales_uses.push_back({ref, r->hold_day});
                            }
                        r->status = "fulfilled";
                    }
                    break;
                }
                case 9: {
                    op = "cancel";
                    ok = attempt([&] { f.book->cancel(static_cast<std::int64_t>(id), who); });
                    EXPECT_EQ(ok, model::open(*r)) << op;
                    if (ok) {
                        for (auto& [ref, state] : r->refs)
                            if (state == "held" || state == "attached") state = "released";
                        r->status = "cancelled";
                    }
                    break;
                }
                default: {
                    op = "expire";
                    std::vector<std::int64_t> expected;
                    for (std::size_t i = 0; i < m.requests.size(); ++i) {
                        auto& q = m.requests[i];
                        if (model::open(q) && today >= model::expiry(q)) {
                            expected.push_back(static_cast<std::int64_t>(i + 1));
                            for (auto& [ref, state] : q.refs)
                                if (state == "held" || state == "attached") state = "released";
                            q.status = "expired";
                        }
                    }
                    EXPECT_EQ(f.book->expire(who), expected);
                    ok = true;
                }
            }
            ++(ok ? succeeded : refused)[op];
            // States, holds, ledger and quotas agree with the model at every step.
            const auto stored = f.book->list();
            ASSERT_EQ(stored.size(), m.requests.size()) << op;
            for (std::size_t i = 0; i < stored.size(); ++i) {
                EXPECT_EQ(to_string(stored[i].status), m.requests[i].status) << op << " #" << i + 1;
                std::map<std::string, std::string> states;
                std::set<std::string> approved;
                for (const auto& a : stored[i].references) {
                    states[a.reference_id] = std::string(to_string(a.state));
                    if (a.approved) approved.insert(a.reference_id);
                }
                EXPECT_EQ(states, m.requests[i].refs) << op << " #" << i + 1;
                EXPECT_EQ(approved, m.requests[i].approved) << op << " #" << i + 1;
            }
            std::vector<std::pair<std::string, date>> holds;
            for (const auto& h : f.book->live_holds(now)) holds.push_back({h.reference_id, h.day});
            std::sort(holds.begin(), holds.end());
            EXPECT_EQ(holds, m.holds(today)) << op;
            std::vector<std::pair<std::string, date>> ledger;
            for (const auto& l : f.db->history(""))
                if (l.event.activity == activity::sales_call)
                    ledger.push_back({l.event.reference_id, l.event.day});
            auto expected_ledger = m.sales_uses;
            std::sort(ledger.begin(), ledger.end());
            std::sort(expected_ledger.begin(), expected_ledger.end());
            EXPECT_EQ(ledger, expected_ledger) << op;
            EXPECT_EQ(f.db->program()->usage.size(), f.db->history("").size());
            for (const auto& ref : refs) {
                const auto q = f.quota(ref, activity::sales_call, hour);
                EXPECT_EQ(q.used, m.used(ref, today)) << op << " " << ref;
                EXPECT_EQ(q.eligible(), m.used(ref, today) < m.limit) << op << " " << ref;
            }
            if (testing::Test::HasFailure()) return;
        }
    }
    for (const auto* op : {"create", "propose", "pick", "approve", "decline", "ask", "contact",
                           "accept/schedule", "fulfil", "cancel"}) {
        EXPECT_GE(succeeded[op], 3) << op;
        if (std::string(op) != "create") {
            EXPECT_GE(refused[op], 1) << op;
        }
    }
    EXPECT_GE(conflicts, 3);
}

// --- Racing for the last slot --------------------------------------------------------------------

// Requests 1..n, each with R-A attached, R-A with one slot left.
void attach_everywhere(request_book& book, int n) {
    for (int i = 0; i < n; ++i) {
        const auto id = book.create(
            ask_for("P-" + std::to_string(1 + i % 3), activity::sales_call, 5), by("rep", 0));
        book.pick(id, one("R-A"), by("pm", 0));
    }
}

TEST(RequestRace, ThreadsRacingForTheLastSlotOneWins) {
    const auto dir = scratch("db");
    const auto path = dir / "program.db";
    test_requests::create_small_database(path, 1);
    constexpr int n = 6;
    {
        database db(path);
        request_book book(db);
        attach_everywhere(book, n);
    }
    std::atomic<int> ready{0};
    std::atomic<int> won{0}, lost{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            database db(path);  // a connection per thread
            request_book book(db);
            ++ready;
            while (ready.load() < n) std::this_thread::yield();
            try {
                book.approve(i + 1, by("owner", 1));
                ++won;
            } catch (const hold_conflict&) {
                ++lost;
            } catch (...) {
                ++other;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(lost.load(), n - 1);
    EXPECT_EQ(other.load(), 0);
    database db(path);
    request_book book(db);
    EXPECT_EQ(book.live_holds(at_hour(1)).size(), 1u);
    int approved = 0;
    for (const auto& r : book.list()) approved += r.status == request_status::approved;
    EXPECT_EQ(approved, 1);
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& out) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(RequestRace, TwoProcessesRacingForTheLastSlotOneWins) {
    for (int round = 0; round < 5; ++round) {
        const auto dir = scratch("db" + std::to_string(round));
        const auto path = dir / "program.db";
        test_requests::create_small_database(path, 1);
        {
            database db(path);
            request_book book(db);
            attach_everywhere(book, 2);
        }
        const auto go = dir / "go";
        const pid_t a = spawn({REFMATCH_REQUEST_CHILD, "approve", path.string(), "1", go.string()},
                              dir / "a.out");
        const pid_t b = spawn({REFMATCH_REQUEST_CHILD, "approve", path.string(), "2", go.string()},
                              dir / "b.out");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ofstream(go) << "go";
        int sa = 0, sb = 0;
        waitpid(a, &sa, 0);
        waitpid(b, &sb, 0);
        ASSERT_TRUE(WIFEXITED(sa) && WIFEXITED(sb));
        const int ea = WEXITSTATUS(sa), eb = WEXITSTATUS(sb);
        EXPECT_TRUE((ea == 0 && eb == 3) || (ea == 3 && eb == 0))
            << read_text(dir / "a.out") << read_text(dir / "b.out");
        const auto loser = read_text(dir / (ea == 3 ? "a.out" : "b.out"));
        EXPECT_NE(loser.find("no slot left on R-A for sales_call"), std::string::npos) << loser;
        database db(path);
        EXPECT_EQ(request_book(db).live_holds(at_hour(1)).size(), 1u);
    }
}

// --- kill -9 in mid-transition -------------------------------------------------------------------

TEST(RequestCrash, KillNineLeavesEachRequestInItsOldOrNewState) {
    const auto dir = scratch("db");
    const auto path = dir / "program.db";
    test_requests::create_small_database(path, 1000000);
    const auto acks = dir / "acks";
    std::mt19937 rng(7);
    const std::vector<std::string> order = {"requested",      "approval_asked", "approved",
                                            "customer_asked", "accepted",       "scheduled",
                                            "fulfilled"};
    int kills = 0;
    const auto acked_bytes = [&] {
        std::error_code ec;
        const auto n = std::filesystem::file_size(acks, ec);
        return ec ? std::uintmax_t{0} : n;
    };
    for (int k = 0; k < 20; ++k) {
        const auto before = acked_bytes();
        const pid_t pid = fork();
        if (pid == 0) {
            const int devnull = ::open("/dev/null", O_WRONLY);
            dup2(devnull, 2);
            execl(REFMATCH_REQUEST_CHILD, REFMATCH_REQUEST_CHILD, "cycle", path.c_str(),
                  acks.c_str(), std::to_string(k).c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        // The kill lands at a random moment after the child's first acknowledged transition
        // (a slow or loaded machine may take long to start it; a kill before it tests nothing).
        for (int waited = 0; acked_bytes() == before && waited < 120000; waited += 5)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 120));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        kills += WIFSIGNALED(status);
    }
    EXPECT_EQ(kills, 20);
    database db(path);
    EXPECT_TRUE(db.check().empty());
    request_book book(db);
    const auto requests = book.list();
    ASSERT_FALSE(requests.empty());
    std::map<std::int64_t, std::string> acked;  // the last acknowledged status of each
    {
        std::ifstream in(acks);
        std::int64_t id = 0;
        std::string status;
        while (in >> id >> status) acked[id] = status;
    }
    std::set<std::int64_t> used_events;
    for (const auto& l : db.history("")) used_events.insert(l.event_id);
    std::size_t linked = 0;
    for (const auto& r : requests) {
        SCOPED_TRACE("request " + std::to_string(r.id));
        // The status is the trail's last arrow: status and trail changed together.
        ASSERT_FALSE(r.trail.empty());
        EXPECT_EQ(r.trail.back().to, r.status);
        // The attachments agree with the status.
        for (const auto& a : r.references) {
            switch (r.status) {
                case request_status::approval_asked:
                    EXPECT_EQ(a.state, attachment_state::attached);
                    break;
                case request_status::approved:
                case request_status::customer_asked:
                case request_status::accepted:
                case request_status::scheduled:
                    EXPECT_EQ(a.state, attachment_state::held);
                    break;
                case request_status::fulfilled:
                    EXPECT_EQ(a.state, attachment_state::used);
                    ASSERT_TRUE(a.event_id);
                    EXPECT_TRUE(used_events.contains(*a.event_id));
                    ++linked;
                    break;
                case request_status::owner_declined:
                case request_status::cancelled:
                    EXPECT_EQ(a.state, attachment_state::owner_declined);
                    break;
                default:
                    ADD_FAILURE() << "unexpected status " << to_string(r.status);
            }
        }
        if (r.status == request_status::requested) {
            EXPECT_TRUE(r.references.empty());
        }
        // What was acknowledged is there: the status reached at least the acknowledged one.
        if (const auto it = acked.find(r.id); it != acked.end()) {
            const auto pos = [&](std::string_view s) {
                return std::find(order.begin(), order.end(), s) - order.begin();
            };
            const std::string now(to_string(r.status));
            if (it->second == "owner_declined" || it->second == "cancelled") {
                EXPECT_TRUE(now == "owner_declined" || now == "cancelled") << now;
            } else if (now != "owner_declined" && now != "cancelled") {
                EXPECT_GE(pos(now), pos(it->second)) << now << " acknowledged " << it->second;
            }
        }
    }
    for (const auto& [id, status] : acked)
        EXPECT_LE(id, static_cast<std::int64_t>(requests.size()));
    // Every use in the ledger is a fulfilled request's: none without its request, none twice.
    EXPECT_EQ(linked, used_events.size());
    EXPECT_EQ(db.program()->usage.size(), used_events.size());
}

}  // namespace
