// The quota evaluator against scoring.md recomputed by brute force from the raw events.

#include "test_support.hpp"

#include <refmatch/quota_state.hpp>

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace refmatch;

using refmatch::test_support::day;

namespace {

reference_customer consenting(std::string id, activity_id a, std::optional<quota_limit> own = {}) {
    reference_customer r;
    r.id = std::move(id);
    r.status = reference_status::active;
    r.consents.push_back({a, own});
    return r;
}

// scoring.md, "Quotas, eligibility and fatigue" and "Holds", read literally.
struct oracle {
    std::uint32_t used = 0;
    bool at_limit = false, cooling = false;
    double u = 0.0;
};
oracle brute_force(const std::vector<usage_event>& events, const std::string& ref, activity_id a,
                   const quota_limit& limit, date now, const std::vector<date>& holds) {
    oracle o;
    for (const auto& e : events) {
        if (e.reference_id != ref || e.activity != a) continue;
        const long age = (now - e.day).count();  // days before now
        if (age >= 0 && age < static_cast<long>(limit.window_days)) ++o.used;
        if (age >= 0 && age < static_cast<long>(limit.cooldown_days)) o.cooling = true;
    }
    o.used += static_cast<std::uint32_t>(holds.size());
    for (const date h : holds)
        if (std::abs((h - now).count()) < static_cast<long>(limit.cooldown_days)) o.cooling = true;
    if (limit.max_uses) {
        o.at_limit = o.used >= *limit.max_uses;
        o.u = std::min(1.0, double(o.used) / double(*limit.max_uses));
    }
    return o;
}
}  // namespace

TEST(QuotaState, HandWorkedCaseStudy) {
    // case_study: 2 uses per 365 days, 90 days cooldown (quota.hpp).
    quota_policy policy;
    usage_ledger ledger;
    const auto r = consenting("R1", activity::case_study);
    ledger.record({"R1", activity::case_study, "", day(0)});
    const auto reader = ledger.read();

    auto q = evaluate_quota(r, activity::case_study, policy, reader, day(89));
    EXPECT_EQ(q.used, 1u);
    EXPECT_EQ(q.max_uses, 2u);
    EXPECT_TRUE(q.cooling_down);
    EXPECT_EQ(q.cooldown_end, day(90));
    EXPECT_EQ(q.verdict(), quota_verdict::cooling_down);
    EXPECT_EQ(q.reason(), "in cooldown until " + format_date(day(90)));
    EXPECT_DOUBLE_EQ(q.utilisation, 0.5);

    q = evaluate_quota(r, activity::case_study, policy, reader, day(90));
    EXPECT_TRUE(q.eligible());
    EXPECT_EQ(q.reason(), "eligible");
    EXPECT_EQ(q.last_use, day(0));

    // A live hold counts as a use: 1 + 1 = 2 of 2, and it blocks 90 days around its day.
    const std::vector<date> holds{day(150)};
    q = evaluate_quota(r, activity::case_study, policy, reader, day(100), holds);
    EXPECT_EQ(q.used, 2u);
    EXPECT_TRUE(q.at_limit);
    EXPECT_TRUE(q.cooling_down);
    EXPECT_EQ(q.cooldown_end, day(240));
    EXPECT_EQ(q.verdict(), quota_verdict::at_limit);
    EXPECT_EQ(q.reason(), "used 2 of 2 in 365 days");
    EXPECT_DOUBLE_EQ(q.utilisation, 1.0);

    // The window is (now − 365, now]: the use of day 0 leaves it on day 365.
    q = evaluate_quota(r, activity::case_study, policy, reader, day(365));
    EXPECT_EQ(q.used, 0u);

    const auto none = evaluate_quota(r, activity::pr, policy, reader, day(10));
    EXPECT_EQ(none.verdict(), quota_verdict::no_consent);
    EXPECT_EQ(none.reason(), "no consent");
    EXPECT_EQ(none.max_uses, policy.limit(activity::pr).max_uses);
    EXPECT_EQ(to_string(quota_verdict::cooling_down), "in cooldown");
}

TEST(QuotaState, MatchesBruteForceOnRandomLedgersAtWindowAndCooldownBoundaries) {
    std::mt19937 rng(11);
    for (int round = 0; round < 40; ++round) {
        usage_ledger ledger;
        std::vector<usage_event> events;
        for (int i = 0; i < 200; ++i) {
            usage_event e{"R" + std::to_string(rng() % 5),
                          activity_id{static_cast<std::uint16_t>(rng() % 3)}, "",
                          day(static_cast<int>(rng() % 120))};
            events.push_back(e);
            ledger.record(e);
        }
        quota_policy policy;
        const auto limit_of = [&] {
            quota_limit l;
            if (rng() % 4) l.max_uses = static_cast<std::uint32_t>(1 + rng() % 8);
            l.window_days = static_cast<std::uint32_t>(1 + rng() % 40);
            l.cooldown_days = static_cast<std::uint32_t>(rng() % 3 ? rng() % 20 : 0);
            return l;
        };
        for (std::uint16_t a = 0; a < 3; ++a) policy.set(activity_id{a}, limit_of());
        const auto reader = ledger.read();
        // The uses of many references looked up at once are each one's own (R5 has none).
        const std::vector<std::string_view> some{"R3", "R0", "R5", "R3", "R1", "R4", "R2"};
        std::vector<usage_ledger::reader::reference_uses> all;
        reader.uses_of_all(some, all);
        ASSERT_EQ(all.size(), some.size());
        for (std::size_t i = 0; i < some.size(); ++i)
            for (std::uint16_t a = 0; a < 3; ++a)
                EXPECT_EQ(all[i].last_use(activity_id{a}),
                          reader.uses_of(some[i]).last_use(activity_id{a}));
        for (int q = 0; q < 200; ++q) {
            const std::string id = "R" + std::to_string(rng() % 6);
            const activity_id a{static_cast<std::uint16_t>(rng() % 3)};
            reference_customer r = consenting(id, a);
            if (rng() % 3 == 0) r.consents[0].limit = limit_of();
            if (rng() % 7 == 0) r.consents[0].activity = activity_id{7};  // no consent to `a`
            const quota_limit limit = r.effective_limit(a, policy);
            // `now` on a use's day, or just past its window or cooldown, often enough.
            const auto& pick = events[rng() % events.size()];
            const int shift[] = {0,
                                 1,
                                 -1,
                                 static_cast<int>(limit.window_days),
                                 static_cast<int>(limit.cooldown_days),
                                 static_cast<int>(limit.cooldown_days) - 1};
            const date now = pick.day + std::chrono::days(shift[rng() % 6]);
            std::vector<date> holds;
            for (auto h = rng() % 3; h > 0; --h)
                holds.push_back(now + std::chrono::days(static_cast<int>(rng() % 41) - 20));

            const auto got = evaluate_quota(r, a, policy, reader, now, holds);
            // The reference's uses found once (a pass over its activities) say the same.
            EXPECT_EQ(evaluate_quota(r, a, policy, reader.uses_of(id), now, holds), got);
            EXPECT_EQ(reader.uses_of(id).last_use(a), reader.last_use(id, a));
            if (!r.consents_to(a)) {
                EXPECT_EQ(got.verdict(), quota_verdict::no_consent);
                continue;
            }
            const auto want = brute_force(events, id, a, limit, now, holds);
            EXPECT_EQ(got.used, want.used);
            EXPECT_EQ(got.at_limit, want.at_limit);
            EXPECT_EQ(got.cooling_down, want.cooling) << "now " << format_date(now);
            EXPECT_DOUBLE_EQ(got.utilisation, want.u);
            EXPECT_EQ(got.eligible(), !want.at_limit && !want.cooling);
            if (got.cooling_down) {
                ASSERT_TRUE(got.cooldown_end);
                EXPECT_GT(*got.cooldown_end, now);
            }
        }
    }
}
