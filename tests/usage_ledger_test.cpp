#include <refmatch/usage_ledger.hpp>

#include <gtest/gtest.h>

#include <random>
#include <thread>

using namespace refmatch;

namespace {
date day(int n) {
    return date{} + std::chrono::days(20000 + n);
}
}  // namespace

TEST(UsageLedger, WindowIsHalfOpenEndingAtNow) {
    usage_ledger l;
    for (int d : {0, 10, 20, 30}) l.record({"R1", activity::sales_call, "O1", day(d)});
    // window (now − 20, now] at now = 30 holds days 20 (excluded: 30 − 20 = 10 < 20 ✓) and 30
    EXPECT_EQ(l.used("R1", activity::sales_call, 20, day(30)), 2u);
    EXPECT_EQ(l.used("R1", activity::sales_call, 21, day(30)), 3u);
    EXPECT_EQ(l.used("R1", activity::sales_call, 365, day(25)), 3u);  // later events not counted
    EXPECT_EQ(l.used("R1", activity::quote, 365, day(30)), 0u);
    EXPECT_EQ(l.used("R2", activity::sales_call, 365, day(30)), 0u);
    EXPECT_EQ(l.last_use("R1", activity::sales_call, day(25)), day(20));
    EXPECT_EQ(l.last_use("R1", activity::sales_call), day(30));
    EXPECT_FALSE(l.last_use("R1", activity::sales_call, day(-1)));
}

// Out-of-order arrivals give the same answers as a brute-force scan of the events.
TEST(UsageLedger, MatchesBruteForceScanWithOutOfOrderEvents) {
    usage_ledger l;
    std::mt19937 rng(3);
    for (int i = 0; i < 3000; ++i)
        l.record({"R" + std::to_string(rng() % 20),
                  activity_id{static_cast<std::uint16_t>(rng() % 3)}, "",
                  day(static_cast<int>(rng() % 400))});
    const auto events = l.events();
    ASSERT_EQ(events.size(), 3000u);
    for (int q = 0; q < 500; ++q) {
        const std::string ref = "R" + std::to_string(rng() % 22);
        const activity_id a{static_cast<std::uint16_t>(rng() % 3)};
        const auto window = 1 + rng() % 200;
        const date now = day(static_cast<int>(rng() % 420) - 10);
        std::uint32_t expected = 0;
        std::optional<date> last;
        for (const auto& e : events) {
            if (e.reference_id != ref || e.activity != a) continue;
            if (e.day <= now && e.day > now - std::chrono::days(window)) ++expected;
            if (e.day <= now && (!last || e.day > *last)) last = e.day;
        }
        EXPECT_EQ(l.used(ref, a, static_cast<std::uint32_t>(window), now), expected);
        EXPECT_EQ(l.last_use(ref, a, now), last);
    }
}

TEST(UsageLedger, ReaderSeesOneConsistentStateWhileWritersWait) {
    usage_ledger l;
    std::thread writer([&] {
        for (int i = 0; i < 2000; ++i) l.record({"R1", activity::quote, "", day(i % 100)});
    });
    for (int i = 0; i < 200; ++i) {
        const auto reader = l.read();
        const auto a = reader.used("R1", activity::quote, 1000, day(200));
        const auto b = reader.used("R1", activity::quote, 1000, day(200));
        EXPECT_EQ(a, b);
        EXPECT_EQ(a, reader.events().size());
    }
    writer.join();
    EXPECT_EQ(l.size(), 2000u);
}
