#include "test_support.hpp"

#include <refmatch/usage_ledger.hpp>

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

using namespace refmatch;

using refmatch::test_support::day;

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

namespace {

// What the ledger must answer, by a scan of the events in recording order.
struct brute_force {
    const std::vector<usage_event>& events;
    std::pair<std::uint32_t, std::optional<date>> summary(const std::string& ref, activity_id a,
                                                          std::uint32_t window, date now) const {
        std::uint32_t used = 0;
        std::optional<date> last;
        for (const auto& e : events) {
            if (e.reference_id != ref || e.activity != a || e.day > now) continue;
            if (e.day > now - std::chrono::days(window)) ++used;
            if (!last || e.day > *last) last = e.day;
        }
        return {used, last};
    }
};

usage_event random_event(std::mt19937& rng, int references) {
    return {"R-" + std::to_string(rng() % static_cast<unsigned>(references)),
            activity_id{static_cast<std::uint16_t>(rng() % 4)},
            rng() % 3 ? "O-" + std::to_string(rng() % 50) : "",
            day(static_cast<int>(rng() % 1000) - 500)};
}

}  // namespace

// Batches and single records, interleaved, with days in any order and many references: every
// answer, the recording order of events() and the day range agree with a scan of the events.
TEST(UsageLedger, ColumnsAndRecentEventsMatchBruteForce) {
    std::mt19937 rng(11);
    usage_ledger l;
    std::vector<usage_event> recorded;
    for (int round = 0; round < 6; ++round) {
        usage_batch batch;
        const int n = round == 0 ? 20000 : static_cast<int>(rng() % 3000);
        for (int i = 0; i < n; ++i) {
            auto e = random_event(rng, 3000);
            batch.add(e);
            recorded.push_back(std::move(e));
        }
        EXPECT_EQ(batch.size(), static_cast<std::size_t>(n));
        l.record_all(std::move(batch));
        // Enough single records to merge the recent ones into the columns at least once.
        for (int i = 0, m = static_cast<int>(rng() % 6000); i < m; ++i) {
            auto e = random_event(rng, 3100);  // some references the batches never had
            l.record(e);
            recorded.push_back(std::move(e));
        }
        ASSERT_EQ(l.size(), recorded.size());
        ASSERT_EQ(l.events(), recorded);
        ASSERT_EQ(l.batch().events(), recorded);  // columns and recent events, back in order
        const brute_force oracle{recorded};
        const auto reader = l.read();
        for (int q = 0; q < 300; ++q) {
            const std::string ref = "R-" + std::to_string(rng() % 3200);
            const activity_id a{static_cast<std::uint16_t>(rng() % 5)};
            const auto window = static_cast<std::uint32_t>(rng() % 400);
            const date now = day(static_cast<int>(rng() % 1200) - 600);
            const auto [used, last] = oracle.summary(ref, a, window, now);
            const auto s = reader.summary(ref, a, window, now);
            EXPECT_EQ(s.used, used) << ref << " " << a.value << " " << window;
            EXPECT_EQ(s.last_use, last);
            EXPECT_EQ(reader.last_use(ref, a), oracle.summary(ref, a, 0, date::max()).second);
        }
        const auto [lo, hi] = std::minmax_element(
            recorded.begin(), recorded.end(),
            [](const usage_event& x, const usage_event& y) { return x.day < y.day; });
        EXPECT_EQ(reader.first_day(), lo->day);
        EXPECT_EQ(reader.last_day(), hi->day);
    }
    // Held compactly: ids interned, days as numbers.
    EXPECT_LE(l.memory_bytes(), 40 * l.size());
}

TEST(UsageLedger, EmptyLedgerAndEmptyBatch) {
    usage_ledger l;
    EXPECT_FALSE(l.first_day());
    EXPECT_FALSE(l.last_use("R1", activity::quote));
    l.record_all(usage_batch{});
    EXPECT_EQ(l.size(), 0u);
    EXPECT_TRUE(l.events().empty());
    usage_ledger copy = l;
    copy.record({"R1", activity::quote, "", day(3)});
    EXPECT_EQ(copy.last_use("R1", activity::quote), day(3));
    EXPECT_EQ(l.size(), 0u);  // copies are independent
}

// A batch keeps its events in order and numbers each distinct reference id once, whichever way
// it was made (event by event, from a span, from a ledger).
TEST(UsageBatch, KeepsOrderAndNumbersEachReferenceOnce) {
    std::mt19937 rng(5);
    std::vector<usage_event> events;
    for (int i = 0; i < 5000; ++i) events.push_back(random_event(rng, 300));
    const usage_batch batch(events);
    EXPECT_EQ(batch.size(), events.size());
    EXPECT_EQ(batch.events(), events);
    std::map<std::uint32_t, std::string> id_of;
    std::map<std::string, std::uint32_t> number_of;
    std::size_t i = 0;
    batch.for_each(
        [&](std::string_view r, activity_id a, std::string_view o, date d, std::uint32_t number) {
            ASSERT_LT(number, batch.reference_count());
            EXPECT_EQ(r, events[i].reference_id);
            EXPECT_EQ(a, events[i].activity);
            EXPECT_EQ(o, events[i].opportunity_id);
            EXPECT_EQ(d, events[i].day);
            EXPECT_EQ(id_of.emplace(number, r).first->second, r);
            EXPECT_EQ(number_of.emplace(std::string(r), number).first->second, number);
            ++i;
        });
    EXPECT_EQ(i, events.size());
    EXPECT_EQ(batch.reference_count(), number_of.size());

    usage_ledger l;
    l.record_all(batch);
    l.record(events.front());
    auto again = events;
    again.push_back(events.front());
    EXPECT_EQ(l.batch(), usage_batch(again));
    EXPECT_FALSE(l.batch() == batch);
}

// Interning a list at once gives each id the number one-by-one interning gives it: ids repeated
// within a group and across groups, the empty id, ids new to a pool that grows mid-list.
TEST(IdPool, InternAllNumbersAsInternOneByOne) {
    std::mt19937 rng(11);
    std::vector<std::string> texts;
    for (int i = 0; i < 20000; ++i) {
        const auto n = rng() % 3000;
        texts.push_back(n == 0 ? std::string() : "id-" + std::to_string(n));
    }
    for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{31}, std::size_t{7777}}) {
        detail::id_pool one, all;
        std::vector<std::uint32_t> expected;
        for (const auto& t : texts) expected.push_back(one.intern(t));
        // The first `split` ids one by one, the rest at once.
        std::vector<std::uint32_t> got;
        for (std::size_t i = 0; i < split; ++i) got.push_back(all.intern(texts[i]));
        const std::vector<std::string_view> rest(texts.begin() + static_cast<std::ptrdiff_t>(split),
                                                 texts.end());
        std::vector<std::uint32_t> numbers(rest.size());
        all.intern_all(rest, numbers);
        got.insert(got.end(), numbers.begin(), numbers.end());
        EXPECT_EQ(got, expected) << "split " << split;
        ASSERT_EQ(all.size(), one.size());
        for (std::uint32_t i = 0; i < all.size(); ++i) EXPECT_EQ(all.at(i), one.at(i));
        for (const auto& t : texts) EXPECT_EQ(all.find(t), one.find(t));
        EXPECT_FALSE(all.find("not-an-id"));
    }
}

// Looking a list up at once finds what finding each finds: known ids in and out of order,
// repeated, unknown, the empty id, lists longer than a group, and an empty pool.
TEST(IdPool, FindAllFindsAsFindOneByOne) {
    std::mt19937 rng(13);
    detail::id_pool pool;
    for (int i = 0; i < 5000; ++i) (void)pool.intern("id-" + std::to_string(rng() % 4000));
    std::vector<std::string> texts{""};
    for (int i = 0; i < 3000; ++i) texts.push_back("id-" + std::to_string(rng() % 8000));
    const std::vector<std::string_view> ids(texts.begin(), texts.end());
    std::vector<std::optional<std::uint32_t>> got(ids.size());
    pool.find_all(ids, got);
    std::size_t found = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(got[i], pool.find(ids[i])) << ids[i];
        if (got[i]) EXPECT_EQ(pool.at(*got[i]), ids[i]);
        found += got[i].has_value();
    }
    EXPECT_GT(found, 0u);
    EXPECT_LT(found, ids.size());
    const detail::id_pool empty;
    empty.find_all(ids, got);
    for (const auto& g : got) EXPECT_FALSE(g);
}

TEST(UsageBatch, ReferenceNumbersFindAsOneByOne) {
    usage_batch batch;
    for (int i = 0; i < 500; ++i)
        batch.add("R-" + std::to_string(i * 7 % 300), activity_id{0}, "", day(20));
    std::vector<std::string> texts;
    for (int i = 0; i < 400; ++i) texts.push_back("R-" + std::to_string(i));
    const std::vector<std::string_view> ids(texts.begin(), texts.end());
    std::vector<std::optional<std::uint32_t>> got(ids.size());
    batch.reference_numbers(ids, got);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(got[i], batch.reference_number(ids[i])) << ids[i];
        EXPECT_EQ(got[i].has_value(), i < 300) << ids[i];
        if (got[i]) EXPECT_EQ(batch.reference_id(*got[i]), ids[i]);
    }
}

// Rows added in groups, and batches appended to one another, make the batch the events make
// one by one.
TEST(UsageBatch, AddAllAndAppendEqualAddingOneByOne) {
    std::mt19937 rng(17);
    std::vector<usage_event> events;
    for (int i = 0; i < 3000; ++i) events.push_back(random_event(rng, 700));
    // Runs of one reference (as files list them) and of one opportunity, across group ends too.
    for (int i = 0; i < 600; ++i) {
        auto e = random_event(rng, 700);
        for (auto n = rng() % 6; n > 0; --n) {
            events.push_back(e);
            if (rng() % 2) e.opportunity_id = rng() % 2 ? "" : "O-" + std::to_string(rng() % 5);
        }
    }
    const usage_batch expected(events);

    usage_batch grouped;
    for (std::size_t from = 0; from < events.size(); from += 300) {
        std::vector<usage_batch::row> rows;
        for (std::size_t i = from; i < std::min(events.size(), from + 300); ++i)
            rows.push_back({events[i].reference_id, events[i].activity, events[i].opportunity_id,
                            events[i].day});
        grouped.add_all(rows);
    }
    EXPECT_EQ(grouped.events(), events);
    EXPECT_EQ(grouped.reference_count(), expected.reference_count());
    grouped.add(events.front());  // one by one after a group
    auto longer = events;
    longer.push_back(events.front());
    EXPECT_EQ(grouped.events(), longer);

    const std::span<const usage_event> all(events);
    usage_batch first(all.first(1000)), second(all.subspan(1000));
    first.append(std::move(second));
    EXPECT_EQ(first.events(), events);
    EXPECT_EQ(first.reference_count(), expected.reference_count());
}
