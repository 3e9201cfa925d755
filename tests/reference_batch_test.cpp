// The packed form of references (reference_batch.hpp): every record packs and unpacks to itself,
// the in-place readers agree with the record, and a batch behaves as a value.

#include <refmatch/reference_batch.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace refmatch;

namespace {

// Random records over every field, with the edges of the layout: empty and long texts (sizes
// of one, two and three varint bytes), NUL and non-ASCII bytes, no or many products and
// consents, limits with and without their parts, the extreme numbers, NaN and negative zero.
reference_customer random_reference(std::mt19937_64& rng) {
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const auto text = [&] {
        static constexpr std::size_t lengths[] = {0, 1, 9, 127, 128, 300, 16384, 20000};
        std::string s(lengths[pick(rng() % 8 == 0 ? 8 : 4)], '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        return s;
    };
    reference_customer r;
    r.id = text();
    r.name = text();
    r.industry = text();
    r.country = text();
    r.owner = text();
    for (auto n = pick(6); n; --n) r.products.push_back(text());
    r.status = static_cast<reference_status>(pick(4));
    if (pick(3)) r.size = static_cast<std::uint8_t>(rng());
    for (auto n = pick(5); n; --n) {
        activity_consent c;
        c.activity.value = static_cast<std::uint16_t>(pick(3) ? pick(20) : rng());
        if (pick(2)) {
            quota_limit l;
            if (pick(2))
                l.max_uses = pick(2) ? std::numeric_limits<std::uint32_t>::max()
                                     : static_cast<std::uint32_t>(pick(200));
            l.window_days = static_cast<std::uint32_t>(pick(2) ? rng() : pick(400));
            l.cooldown_days = static_cast<std::uint32_t>(pick(100));
            c.limit = l;
        }
        r.consents.push_back(c);
    }
    static const double doubles[] = {0.0,
                                     -0.0,
                                     42.5,
                                     100.0,
                                     -1e300,
                                     std::numeric_limits<double>::quiet_NaN(),
                                     std::numeric_limits<double>::denorm_min()};
    if (pick(2)) r.signals.nps = static_cast<std::uint8_t>(rng());
    if (pick(2)) r.signals.csat = doubles[pick(7)];
    if (pick(2)) r.signals.health = doubles[pick(7)];
    if (pick(2))
        r.last_contact = date{std::chrono::days{pick(2) ? -static_cast<int>(pick(100000))
                                                        : static_cast<int>(pick(100000))}};
    return r;
}

// Equal as records, and doubles equal bit for bit (== would pass -0.0 for 0.0 and fail NaN).
void expect_same(const reference_customer& got, const reference_customer& want) {
    const auto bits = [](const std::optional<double>& d) {
        return d ? std::optional(std::bit_cast<std::uint64_t>(*d)) : std::nullopt;
    };
    EXPECT_EQ(bits(got.signals.csat), bits(want.signals.csat));
    EXPECT_EQ(bits(got.signals.health), bits(want.signals.health));
    auto a = got, b = want;
    a.signals.csat = b.signals.csat = a.signals.health = b.signals.health = std::nullopt;
    EXPECT_EQ(a, b);
}

}  // namespace

// Every record packs and unpacks to itself, and each reader in place gives what the record has.
TEST(ReferenceBatch, EveryRecordUnpacksToItselfAndReadsInPlace) {
    std::mt19937_64 rng(11);
    std::vector<reference_customer> records;
    for (int i = 0; i < 2000; ++i) records.push_back(random_reference(rng));
    const reference_batch batch(records);
    ASSERT_EQ(batch.size(), records.size());
    std::size_t i = 0;
    for (const packed_reference p : batch) {
        const auto& r = records[i];
        SCOPED_TRACE(i);
        expect_same(p.unpack(), r);
        EXPECT_EQ(p.id(), r.id);
        EXPECT_EQ(p.name(), r.name);
        EXPECT_EQ(p.status(), r.status);
        EXPECT_EQ(p.size(), r.size);
        std::vector<activity_consent> consents;
        p.for_each_consent([&](const activity_consent& c) { consents.push_back(c); });
        EXPECT_EQ(consents, r.consents);
        for (std::uint16_t a = 0; a < 22; ++a) {
            const auto* want = r.consent(activity_id{a});
            const auto got = p.consent(activity_id{a});
            ASSERT_EQ(got.has_value(), want != nullptr);
            if (want) EXPECT_EQ(*got, *want);
        }
        const auto f = p.fields();
        EXPECT_EQ(f.industry, r.industry);
        EXPECT_EQ(f.country, r.country);
        EXPECT_EQ(f.owner, r.owner);
        EXPECT_EQ(std::vector<std::string>(f.products.begin(), f.products.end()), r.products);
        EXPECT_EQ(f.last_contact, r.last_contact);
        // The record ends where the next begins: byte_size is the packed length.
        detail::byte_counter count;
        detail::encode(r, count);
        EXPECT_EQ(p.byte_size(), count.size);
        ++i;
    }
}

// A copy is a batch of its own (equal, with its own bytes); packing from a vector that is moved
// in gives the same batch and empties the vector; a shared record outlives its batch.
TEST(ReferenceBatch, CopiesAreValuesAndSharedRecordsOutliveTheBatch) {
    std::mt19937_64 rng(12);
    std::vector<reference_customer> records;
    for (int i = 0; i < 300; ++i) records.push_back(random_reference(rng));
    for (auto& r : records) r.signals.csat = r.signals.health = 1.5;  // == is then exact
    reference_batch batch(records);
    auto moved_from = records;
    const reference_batch packed_as_moved(std::move(moved_from));
    EXPECT_TRUE(moved_from.empty());
    EXPECT_EQ(packed_as_moved, batch);

    const reference_batch copy = batch;
    EXPECT_EQ(copy, batch);
    EXPECT_NE(copy[0].data(), batch[0].data());
    EXPECT_EQ(batch.unpack(), records);

    batch.push_back(records[0]);
    EXPECT_EQ(copy.size(), records.size());
    EXPECT_EQ(batch.size(), records.size() + 1);
    EXPECT_EQ(batch[records.size()].unpack(), records[0]);

    std::shared_ptr<const std::byte> kept = batch.share(7);
    batch = reference_batch{};
    EXPECT_TRUE(batch.empty());
    // (Under ASan a freed block is an error.)
    EXPECT_EQ(packed_reference(kept.get()).unpack(), records[7]);
}

// Appending moves another batch's records to the end, their bytes where they were; when a store
// (or anything else) still shares those bytes, they are copied instead, and stay valid.
TEST(ReferenceBatch, AppendMovesBytesUnlessTheyAreShared) {
    std::mt19937_64 rng(13);
    std::vector<reference_customer> first, second;
    for (int i = 0; i < 200; ++i) first.push_back(random_reference(rng));
    for (int i = 0; i < 200; ++i) second.push_back(random_reference(rng));
    for (auto* v : {&first, &second})
        for (auto& r : *v) r.signals.csat = r.signals.health = 2.5;
    auto all = first;
    all.insert(all.end(), second.begin(), second.end());

    reference_batch a(first), b(second);
    const std::byte* moved = b[0].data();
    a.append(std::move(b));
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(a.unpack(), all);
    EXPECT_EQ(a[first.size()].data(), moved);  // not copied

    reference_batch c(first), d(second);
    const auto held = d.share(3);
    c.append(std::move(d));
    EXPECT_EQ(c.unpack(), all);
    EXPECT_NE(c[first.size() + 3].data(), held.get());  // copied
    EXPECT_EQ(packed_reference(held.get()).unpack(), second[3]);

    reference_batch empty;
    empty.append(reference_batch(second));
    EXPECT_EQ(empty.unpack(), second);
    empty.append(reference_batch{});
    EXPECT_EQ(empty.size(), second.size());
}
