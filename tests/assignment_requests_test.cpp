// The assignment over a program database's requests, on real SQLite files: the open requests
// are the demands (with the workflow's exclusions), applying turns the proposal into holds
// through the request book, quotas are never exceeded, a second assignment sees the holds, a
// slot taken by another connection meanwhile is reported and not forced, and a period's
// requests replay.

#include "requests/request_program.hpp"

#include <refmatch/assignment/open_requests.hpp>
#include <refmatch/assignment/simulation.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/requests/request_book.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
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

fs::path scratch() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    const auto dir = fs::temp_directory_path() /
                     ("refmatch_assignment_requests_test_" + std::to_string(getpid())) /
                     (std::string(info->test_suite_name()) + "." + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir / "program.db";
}

request_policy holds_when_asked() {
    request_policy p;
    p.holds_from = hold_start::approval_asked;
    return p;
}

// The assignment the way `refmatch assign` makes it on a database: open requests, live holds.
struct proposal {
    request_demands demands;
    assignment_result result;
};

proposal propose_all(const request_book& book, const database& db, long hour) {
    const auto p = db.program();
    proposal out;
    out.demands = open_request_demands(book, *p, at_hour(hour));
    assignment_options o;
    o.match.now = std::chrono::floor<days>(at_hour(hour));
    o.weighted = false;
    o.threads = 1;
    o.holds = book.live_holds(at_hour(hour));
    const engine e(p);
    out.result = assign(e, out.demands.demands, o);
    return out;
}

// Live holds per (reference, activity), counted from the requests themselves.
std::map<std::pair<std::string, std::uint16_t>, int> holds_per_slot(const request_book& book,
                                                                    long hour) {
    std::map<std::pair<std::string, std::uint16_t>, int> out;
    for (const auto& h : book.live_holds(at_hour(hour))) ++out[{h.reference_id, h.activity.value}];
    return out;
}

TEST(AssignRequests, OpenRequestsAreTheDemandsWithTheWorkflowsExclusions) {
    const auto path = scratch();
    test_requests::create_small_database(path);
    database db(path);
    request_book book(db);
    const auto fresh = book.create(ask_for("P-1", activity::sales_call, 5, 2), by("rep", 0));
    const auto picked = book.create(ask_for("P-2", activity::sales_call, 5), by("rep", 0));
    book.pick(picked, std::vector<std::string>{"R-A"}, by("pm", 1));
    const auto cancelled = book.create(ask_for("P-2", activity::case_study, 9), by("rep", 0));
    book.cancel(cancelled, by("pm", 1));
    // The customer R-B declines P-3: no request of P-3 may be given R-B again.
    const auto declined = book.create(ask_for("P-3", activity::sales_call, 5), by("rep", 0));
    book.pick(declined, std::vector<std::string>{"R-B"}, by("pm", 1));
    book.approve(declined, by("owner", 2));
    book.ask(declined, outreach_channel::email, by("pm", 3));
    book.decline(declined, by("pm", 4));
    const auto other = book.create(ask_for("P-3", activity::case_study, 20), by("rep", 5));
    const auto late = book.create(ask_for("P-1", activity::case_study, 1), by("rep", 5));

    // At hour 6 the late one (needed by day 1, expiring on day 8) is still open; at day 9 not.
    const auto d = open_request_demands(book, *db.program(), at_hour(6));
    ASSERT_EQ(d.request_ids, (std::vector<std::int64_t>{fresh, declined, other, late}));
    EXPECT_EQ(d.demands[0].request.id, "P-1");
    EXPECT_EQ(d.demands[0].activity, activity::sales_call);
    EXPECT_EQ(d.demands[0].count, 2u);
    EXPECT_EQ(d.demands[0].request.needed_by, first_day + days(5));
    EXPECT_TRUE(d.demands[0].request.exclusions.empty());
    EXPECT_EQ(d.demands[1].request.exclusions, (std::vector<std::string>{"R-B"}));
    EXPECT_EQ(d.demands[2].request.exclusions, (std::vector<std::string>{"R-B"}));
    EXPECT_EQ(d.demands[2].activity, activity::case_study);
    EXPECT_EQ(open_request_demands(book, *db.program(), at_hour(9 * 24)).request_ids,
              (std::vector<std::int64_t>{fresh, declined, other}));
}

TEST(AssignRequests, ApplyHoldsThroughTheWorkflowAndNeverExceedsAQuota) {
    const auto path = scratch();
    test_requests::create_small_database(path, 2);  // sales calls: 2 per 30 days, 5 references
    database db(path);
    request_book book(db, holds_when_asked());
    const char* opportunities[] = {"P-1", "P-2", "P-3"};
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 7; ++i)  // 14 references wanted, 10 slots
        ids.push_back(book.create(ask_for(opportunities[i % 3], activity::sales_call, 3 + i, 2),
                                  by("rep", 0)));
    // An owner declined R-C on the last one: it is proposed again, never with R-C.
    book.pick(ids.back(), std::vector<std::string>{"R-C"}, by("pm", 1));
    book.decline(ids.back(), by("owner", 2));
    const auto self_serve = book.create(ask_for("P-2", activity::name_drop, 3), by("rep", 2));

    const auto plan = propose_all(book, db, 3);
    ASSERT_EQ(plan.demands.request_ids.size(), 8u);
    // The owner's decline holds for the whole opportunity, as the workflow's pick checks it.
    EXPECT_EQ(plan.demands.demands[0].request.exclusions, std::vector<std::string>{"R-C"});
    // Each reference has two slots and each request takes a reference once: every slot is worth
    // taking (fatigue leaves every use a positive score), so all ten go.
    EXPECT_EQ(plan.result.totals.assigned, 10u + 1u);
    const engine e(db.program());
    const auto applied = apply_assignment(book, e, plan.demands, plan.result, by("planner", 3));
    ASSERT_EQ(applied.size(), 8u);
    std::size_t held = 0;
    for (std::size_t i = 0; i < applied.size(); ++i) {
        const auto& a = applied[i];
        EXPECT_EQ(a.request_id, plan.demands.request_ids[i]);
        EXPECT_TRUE(a.message.empty()) << a.message;
        const auto r = book.get(a.request_id);
        if (a.request_id == self_serve) {
            EXPECT_EQ(a.state, applied_state::fulfilled);
            EXPECT_EQ(r.status, request_status::fulfilled);
            ASSERT_EQ(a.references.size(), 1u);
            EXPECT_EQ(db.history(a.references[0]).size(), 1u);  // the use is in the ledger
            continue;
        }
        if (a.references.empty()) {
            EXPECT_EQ(a.state, applied_state::unfilled);
            EXPECT_EQ(r.status, request_status::requested);
            continue;
        }
        EXPECT_EQ(a.state, applied_state::held);
        EXPECT_EQ(r.status, request_status::approval_asked);
        std::set<std::string> got;
        for (const auto& x : r.references)
            if (x.state == attachment_state::held) got.insert(x.reference_id);
        EXPECT_EQ(got, std::set<std::string>(a.references.begin(), a.references.end()));
        held += got.size();
        if (a.request_id == ids.back()) {
            EXPECT_FALSE(got.contains("R-C"));
            EXPECT_EQ(r.trail.back().from, request_status::proposed);  // proposed again first
        }
    }
    EXPECT_EQ(held, 10u);
    // No reference holds more than its two sales-call slots.
    const auto slots = holds_per_slot(book, 3);
    EXPECT_EQ(slots.size(), 5u);
    for (const auto& [slot, n] : slots) EXPECT_LE(n, 2) << slot.first;

    // A second assignment sees the holds: nothing is left for the requests still open nor for a
    // new one, and the ones given references are no longer demands.
    std::vector<std::int64_t> still_open;
    for (const auto& a : applied)
        if (a.references.empty()) still_open.push_back(a.request_id);
    still_open.push_back(book.create(ask_for("P-1", activity::sales_call, 6), by("rep", 4)));
    const auto again = propose_all(book, db, 4);
    EXPECT_EQ(again.demands.request_ids, still_open);
    for (const auto& d : again.result.demands) {
        EXPECT_TRUE(d.references.empty());
        EXPECT_EQ(d.reason, unfilled_reason::no_eligible_reference);
    }
}

TEST(AssignRequests, ASlotTakenMeanwhileIsReportedNotForced) {
    const auto path = scratch();
    test_requests::create_small_database(path, 1);  // one sales call per reference
    database db(path);
    request_book book(db, holds_when_asked());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(
            book.create(ask_for(i % 2 ? "P-2" : "P-1", activity::sales_call, 3), by("rep", 0)));
    const auto plan = propose_all(book, db, 1);
    ASSERT_EQ(plan.result.totals.assigned, 5u);
    const std::string taken = plan.result.demands[0].references.at(0).match.reference_id;

    // Meanwhile, over another connection: a new request takes the first one's reference, and
    // the second request is cancelled.
    {
        database other_db(path);
        request_book other(other_db, holds_when_asked());
        const auto rival = other.create(ask_for("P-3", activity::sales_call, 3), by("rival", 1));
        other.pick(rival, std::vector<std::string>{taken}, by("rival", 1));
        other.cancel(ids[1], by("rival", 1));
    }
    const engine e(db.program());
    const auto applied = apply_assignment(book, e, plan.demands, plan.result, by("planner", 2));
    EXPECT_EQ(applied[0].state, applied_state::lost_slot);
    EXPECT_EQ(applied[0].message.rfind(
                  "request " + std::to_string(ids[0]) + ": no slot left on " + taken + " for", 0),
              0u)
        << applied[0].message;
    EXPECT_EQ(book.get(ids[0]).status, request_status::requested);
    EXPECT_EQ(applied[1].state, applied_state::changed);
    EXPECT_NE(applied[1].message.find("cannot pick a request that is cancelled"), std::string::npos)
        << applied[1].message;
    for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ(applied[i].state, applied_state::held);
    const auto slots = holds_per_slot(book, 2);
    EXPECT_EQ(slots.size(), 4u);  // the rival's and three of ours
    for (const auto& [slot, n] : slots) EXPECT_EQ(n, 1) << slot.first;
}

TEST(AssignRequests, WithHoldsAtApprovalTheReferencesWaitAttached) {
    const auto path = scratch();
    test_requests::create_small_database(path);
    database db(path);
    request_book book(db);  // holds from approval, the default
    const auto id = book.create(ask_for("P-1", activity::sales_call, 3), by("rep", 0));
    const auto plan = propose_all(book, db, 1);
    const engine e(db.program());
    const auto applied = apply_assignment(book, e, plan.demands, plan.result, by("planner", 1));
    ASSERT_EQ(applied.size(), 1u);
    EXPECT_EQ(applied[0].state, applied_state::attached);
    EXPECT_TRUE(book.live_holds(at_hour(1)).empty());
    book.approve(id, by("owner", 2));
    ASSERT_EQ(book.live_holds(at_hour(2)).size(), 1u);
    EXPECT_EQ(book.live_holds(at_hour(2))[0].reference_id, applied[0].references.at(0));
}

TEST(AssignRequests, RejectsAResultOfAnotherSize) {
    const auto path = scratch();
    test_requests::create_small_database(path);
    database db(path);
    request_book book(db);
    (void)book.create(ask_for("P-1", activity::sales_call, 3), by("rep", 0));
    const auto d = open_request_demands(book, *db.program(), at_hour(1));
    const engine e(db.program());
    try {
        (void)apply_assignment(book, e, d, assignment_result{}, by("planner", 1));
        FAIL() << "no error";
    } catch (const validation_error& x) {
        EXPECT_STREQ(x.what(),
                     "apply an assignment: field 'result': expected one entry per demand (1), "
                     "got '0'");
    }
}

TEST(AssignRequests, APeriodsRequestsReplay) {
    const auto path = scratch();
    test_requests::create_small_database(path, 2);
    database db(path);
    request_book book(db);
    struct asked {
        const char* opportunity;
        activity_id activity;
        int day, due_in, wanted;
    };
    const asked plan[] = {
        {"P-1", activity::sales_call, 0, 5, 2},  {"P-2", activity::sales_call, 1, 6, 2},
        {"P-3", activity::case_study, 2, 20, 1}, {"P-1", activity::sales_call, 3, 4, 2},
        {"P-2", activity::sales_call, 4, 9, 2},  {"P-3", activity::sales_call, 9, 12, 1}};
    std::vector<std::int64_t> ids;
    for (const auto& a : plan)
        ids.push_back(book.create(
            ask_for(a.opportunity, a.activity, a.due_in, static_cast<std::uint32_t>(a.wanted)),
            by("rep", 24L * a.day)));
    book.cancel(ids[1], by("rep", 30));  // replayed all the same: the period asked for it

    const auto p = db.program();
    const auto all = dated_requests(book, *p);
    ASSERT_EQ(all.size(), 6u);
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].id, std::to_string(ids[i]));
        EXPECT_EQ(all[i].day, first_day + days(plan[i].day));
        EXPECT_EQ(all[i].prospect_id, plan[i].opportunity);
        EXPECT_EQ(all[i].activity, plan[i].activity);
        EXPECT_EQ(all[i].count, static_cast<std::uint32_t>(plan[i].wanted));
        // Due on its needed-by date, or the day it was asked when that is later.
        EXPECT_EQ(all[i].due, first_day + days(std::max(plan[i].due_in, plan[i].day)));
        EXPECT_EQ(all[i].value, 0.0);  // the small program's prospects carry no deal value
    }
    const auto period = dated_requests(book, *p, first_day + days(1), first_day + days(4));
    ASSERT_EQ(period.size(), 4u);
    EXPECT_EQ(period.front().id, std::to_string(ids[1]));
    EXPECT_EQ(period.back().id, std::to_string(ids[4]));

    // The replay: nine sales-call references wanted within 30 days over ten slots (two on each
    // of five references, none freed inside the period) and one case study; whatever the order,
    // each request finds enough distinct references with a slot left, and nobody declines.
    simulation_policy policy;
    policy.name = "optimal";
    simulation_options so;
    so.threads = 1;
    so.decline_base = 0.0;
    so.decline_fatigue = 0.0;
    const auto replay = simulate(*p, all, std::span(&policy, 1), so);
    ASSERT_EQ(replay.policies.size(), 1u);
    const auto& t = replay.policies[0].totals;
    EXPECT_EQ(t.requests, 6u);
    EXPECT_EQ(t.over_limit_uses, 0u);
    EXPECT_EQ(t.cooldown_uses, 0u);
    EXPECT_EQ(t.promised, 10u);
    EXPECT_EQ(t.filled_on_time, 6u);
    EXPECT_EQ(replay.policies[0].requests.size(), 6u);
    EXPECT_EQ(replay.policies[0].requests[3].request_id, std::to_string(ids[3]));
}

}  // namespace
