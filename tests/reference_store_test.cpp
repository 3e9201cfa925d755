#include "small_vocabulary.hpp"

#include <refmatch/prospect_store.hpp>
#include <refmatch/reference_store.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace refmatch;

namespace {

reference_customer make_reference(std::string id, std::string industry, std::string country,
                                  reference_status status = reference_status::active) {
    reference_customer r;
    r.id = std::move(id);
    r.name = "Company " + r.id;
    r.industry = std::move(industry);
    r.country = std::move(country);
    r.status = status;
    r.products = {"crm"};
    return r;
}

std::vector<std::string> ids(const std::vector<reference_customer>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.id);
    return out;
}

}  // namespace

// Ids that count up hash to neighbouring values (a store filled in id order visits its buckets
// in order); ids of other shapes spread over the buckets about as evenly as chance would.
TEST(IdHash, CountingIdsAreNeighboursOthersSpread) {
    const detail::id_hash h;
    for (const std::string prefix : {"R-", "REF-2026-", "customer/acme/", ""}) {
        for (int i = 100000; i < 100009; ++i) {
            const auto a = prefix + std::to_string(i), b = prefix + std::to_string(i + 1);
            EXPECT_EQ(h(b) - h(a), 1u) << a;
        }
    }
    EXPECT_NE(h("R-1"), h("S-1"));
    EXPECT_NE(h("1"), h(std::string("\0"
                                    "1",
                                    2)));
    EXPECT_NE(h("abcdefgh-1"), h("bbcdefgh-1"));
    // Ids whose counting part is not at the end, or that count in another base.
    std::mt19937_64 rng(5);
    constexpr std::size_t buckets = 100003, ids = 100000;
    std::vector<std::string> shapes;
    for (std::size_t i = 0; i < ids; ++i) {
        shapes.push_back(std::to_string(i) + "-ACME");
        shapes.push_back("acct-" + std::to_string(rng()));
    }
    for (std::size_t s = 0; s < 2; ++s) {
        std::vector<std::uint32_t> load(buckets, 0);
        for (std::size_t i = s; i < shapes.size(); i += 2) ++load[h(shapes[i]) % buckets];
        const auto fullest = *std::max_element(load.begin(), load.end());
        EXPECT_LE(fullest, 12u) << shapes[s];  // about 8 for a random hash at this load
    }
}

TEST(ReferenceStore, AddFindUpdateRemove) {
    reference_store s(test_support::small_vocabulary());
    s.add(make_reference("R2", "5112", "DE"));
    s.add(make_reference("R1", "521", "US"));
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at("R2").country, "DE");
    auto r = s.at("R2");
    r.country = "IT";
    s.update(r);
    EXPECT_EQ(s.at("R2").country, "IT");
    EXPECT_EQ(ids(s.in_geography("155")), std::vector<std::string>{});
    EXPECT_EQ(ids(s.in_geography("039")), std::vector<std::string>{"R2"});
    s.remove("R1");
    EXPECT_FALSE(s.contains("R1"));
    EXPECT_THROW(s.remove("R1"), not_found_error);
    EXPECT_THROW((void)s.at("R1"), not_found_error);
    EXPECT_EQ(ids(s.all()), std::vector<std::string>{"R2"});
}

TEST(ReferenceStore, RejectsDuplicateId) {
    reference_store s(test_support::small_vocabulary());
    s.add(make_reference("R1", "5112", "DE"));
    try {
        s.add(make_reference("R1", "521", "US"));
        FAIL() << "no error";
    } catch (const validation_error& e) {
        EXPECT_STREQ(e.what(), "reference 'R1': id is already in the store");
    }
    EXPECT_EQ(s.at("R1").industry, "5112");
}

// `check` is `resolve` keeping nothing: the same codes pass, and each bad one fails with the
// same message, checked in the same order (industry, country, products, size).
TEST(Vocabulary, CheckAcceptsAndRejectsAsResolve) {
    const auto v = test_support::small_vocabulary();
    struct codes {
        std::string industry, country;
        std::vector<std::string> products;
        size_band size;
    };
    const std::vector<codes> cases = {{"5112", "de", {"crm", "erp", "crm"}, 2},
                                      {"", "", {}, std::nullopt},
                                      {"Fintech", "DE", {"crm"}, 1},
                                      {"51", "Atlantis", {"crm"}, 1},
                                      {"51", "DE", {"crm", "nope"}, 1},
                                      {"51", "DE", {"crm"}, 99},
                                      {"Fintech", "Atlantis", {"nope"}, 99},
                                      {"51", "Europe", {"hr", "bi"}, std::nullopt}};
    for (const auto& c : cases) {
        const auto outcome = [&](auto&& call) -> std::string {
            try {
                call();
            } catch (const validation_error& e) {
                return e.what();
            }
            return "ok";
        };
        const std::string resolved = outcome(
            [&] { (void)v->resolve("record 'X'", c.industry, c.country, c.products, c.size); });
        const std::string checked =
            outcome([&] { v->check("record 'X'", c.industry, c.country, c.products, c.size); });
        EXPECT_EQ(checked, resolved) << c.industry << " " << c.country;
    }
    // The first case passes; its products come back sorted and once each.
    const auto r =
        v->resolve("record 'X'", "5112", "de", std::vector<std::string>{"erp", "crm", "erp"}, 2);
    EXPECT_EQ(r.products, (std::vector<product_catalog::index_type>{*v->products.find("crm"),
                                                                    *v->products.find("erp")}));
}

TEST(ReferenceStore, RejectsUnknownCodesNamingTheField) {
    reference_store s(test_support::small_vocabulary());
    try {
        s.add(make_reference("R1", "Fintech", "DE"));
        FAIL() << "no error";
    } catch (const validation_error& e) {
        EXPECT_STREQ(e.what(),
                     "reference 'R1': field 'industry': expected a NAICS 2022 code, got 'Fintech'");
        EXPECT_EQ(e.field(), "industry");
    }
    // Each message names the record (its subject is made only for a message).
    const auto message = [&](const reference_customer& r) -> std::string {
        try {
            s.add(r);
        } catch (const validation_error& e) {
            return e.what();
        }
        return "no error";
    };
    auto r = make_reference("R2", "51", "Atlantis");
    EXPECT_EQ(message(r),
              "reference 'R2': field 'country': expected a country or region of UN M49, got "
              "'Atlantis'");
    r = make_reference("R3", "51", "DE");
    r.products = {"crm", "spaceship"};
    EXPECT_EQ(message(r),
              "reference 'R3': field 'products': expected a product id of the catalogue, got "
              "'spaceship'");
    r = make_reference("R4", "51", "DE");
    r.signals.nps = 11;
    EXPECT_EQ(message(r), "reference 'R4': field 'nps': expected a score 0-10, got '11'");
    r = make_reference("R5", "51", "DE");
    r.signals.health = 101;
    EXPECT_EQ(message(r),
              "reference 'R5': field 'health': expected a value 0-100, got '101.000000'");
    r = make_reference("R1", "51", "DE");
    r.consents = {{activity::quote, quota_limit{0, 365, 0}}};
    EXPECT_THROW(s.add(r), validation_error);
    EXPECT_EQ(s.size(), 0u);
}

TEST(ReferenceStore, AddAllIsAllOrNothing) {
    reference_store s(test_support::small_vocabulary());
    s.add(make_reference("R0", "51", "DE"));
    std::vector<reference_customer> batch = {make_reference("R1", "51", "DE"),
                                             make_reference("R2", "52", "Nowhere")};
    EXPECT_THROW(s.add_all(batch), validation_error);
    batch = {make_reference("R1", "51", "DE"), make_reference("R1", "52", "US")};
    EXPECT_THROW(s.add_all(batch), validation_error);
    batch = {make_reference("R1", "51", "DE"), make_reference("R0", "52", "US")};
    EXPECT_THROW(s.add_all(batch), validation_error);
    EXPECT_EQ(ids(s.all()), std::vector<std::string>{"R0"});
    const auto version = s.version();
    s.add_all({make_reference("R1", "51", "DE"), make_reference("R2", "52", "US")});
    EXPECT_EQ(s.size(), 3u);
    EXPECT_GT(s.version(), version);
}

// Into an empty store (a program being loaded) each record goes straight into the store; an
// error still leaves it empty, with the message and the order of checks of any other store.
TEST(ReferenceStore, AddAllIntoAnEmptyStoreIsAllOrNothing) {
    reference_store s(test_support::small_vocabulary());
    const auto message = [&](std::vector<reference_customer> batch) {
        try {
            s.add_all(std::move(batch));
        } catch (const validation_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(message({make_reference("R2", "51", "DE"), make_reference("R1", "52", "US"),
                       make_reference("R2", "52", "US"), make_reference("R3", "52", "Nowhere")}),
              "reference 'R2': id is already in the store");
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.version(), 0u);
    EXPECT_TRUE(message({make_reference("R1", "51", "DE"), make_reference("R3", "52", "Nowhere"),
                         make_reference("R1", "52", "US")})
                    .starts_with("reference 'R3': field 'country': expected a country"));
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.contains("R1"));
    EXPECT_EQ(message({make_reference("R3", "51", "DE"), make_reference("R1", "52", "US"),
                       make_reference("R2", "52", "DE")}),
              "");
    EXPECT_EQ(ids(s.all()), (std::vector<std::string>{"R1", "R2", "R3"}));
    EXPECT_EQ(ids(s.in_geography("DE")), (std::vector<std::string>{"R2", "R3"}));
    EXPECT_EQ(s.at("R1").country, "US");
    EXPECT_EQ(s.version(), 1u);
}

// Batches in id order after the stored ids take the fast path into the ordered id index; other
// batches the general one. Either way the id order and every lookup are right.
TEST(ReferenceStore, BatchesInAndOutOfIdOrderKeepIdOrder) {
    reference_store s(test_support::small_vocabulary());
    s.add_all({make_reference("R10", "51", "DE"), make_reference("R20", "52", "US")});
    s.add_all({make_reference("R30", "51", "FR"), make_reference("R40", "52", "IT")});  // sorted
    s.add_all({make_reference("R35", "51", "FR"), make_reference("R05", "52", "IT")});  // not
    s.add_all({make_reference("R15", "51", "FR"), make_reference("R25", "52", "IT")});  // inside
    EXPECT_EQ(ids(s.all()),
              (std::vector<std::string>{"R05", "R10", "R15", "R20", "R25", "R30", "R35", "R40"}));
    for (const auto& id : ids(s.all())) EXPECT_EQ(s.at(id).id, id);
    EXPECT_EQ(ids(s.in_geography("IT")), (std::vector<std::string>{"R05", "R25", "R40"}));
}

// for_each_group hands the records over in id order, a full group at a time and the rest last.
TEST(ReferenceStore, GroupsCoverEveryRecordInIdOrder) {
    reference_store s(test_support::small_vocabulary());
    std::vector<reference_customer> batch;
    for (int i = 0; i < 75; ++i)
        batch.push_back(make_reference("R" + std::to_string(i), "51", "DE"));
    s.add_all(batch);
    std::vector<std::string> seen;
    std::vector<std::size_t> sizes;
    s.for_each_group<32>([&](std::span<const stored_reference* const> group) {
        sizes.push_back(group.size());
        for (const auto* r : group) seen.emplace_back(r->id());
    });
    EXPECT_EQ(sizes, (std::vector<std::size_t>{32, 32, 11}));
    EXPECT_EQ(seen, ids(s.all()));
    reference_store empty(test_support::small_vocabulary());
    empty.for_each_group<32>([](auto) { ADD_FAILURE() << "a group of an empty store"; });
}

// A batch's records share one allocation (reference_store.hpp): a record held from it (as the
// engine's snapshot holds them) outlives the removal and replacement of every record of the
// batch, and the store's records stay those last written. (Under ASan a freed slot is an error.)
TEST(ReferenceStore, RecordsOfABatchOutliveTheirRemovalAndReplacement) {
    std::shared_ptr<const std::byte> held;
    {
        reference_store s(test_support::small_vocabulary());
        s.add_all({make_reference("R1", "51", "DE"), make_reference("R2", "52", "US"),
                   make_reference("R3", "51", "FR")});
        s.for_each([&](const stored_reference& r) {
            if (r.id() == "R2") held = r.packed;
        });
        auto renamed = make_reference("R3", "52", "IT");
        renamed.name = "Renamed";
        s.update(renamed);
        s.remove("R1");
        s.remove("R2");
        EXPECT_EQ(ids(s.all()), std::vector<std::string>{"R3"});
        EXPECT_EQ(s.at("R3"), renamed);
        EXPECT_EQ(ids(s.in_geography("IT")), std::vector<std::string>{"R3"});
        EXPECT_TRUE(s.in_geography("DE").empty());
        s.add(make_reference("R2", "51", "DE"));
        EXPECT_EQ(s.at("R2").country, "DE");
    }
    ASSERT_TRUE(held);
    EXPECT_EQ(packed_reference(held.get()).unpack(), make_reference("R2", "52", "US"));
}

TEST(ReferenceStore, LookupAcceptsAliasesAndCase) {
    reference_store s(test_support::small_vocabulary());
    s.add(make_reference("R1", "5112", "deu"));
    EXPECT_EQ(ids(s.in_geography("DE")), std::vector<std::string>{"R1"});
    EXPECT_EQ(ids(s.in_geography("Europe")), std::vector<std::string>{"R1"});
}

// The subtree and status indices agree with a brute-force filter after random adds, updates and
// removes.
TEST(ReferenceStore, IndicesStayConsistentUnderRandomChanges) {
    const auto vocab = test_support::small_vocabulary();
    reference_store s(vocab);
    std::mt19937 rng(7);
    const std::vector<std::string> industries = {"", "51", "511", "5111", "5112", "52", "521"};
    const std::vector<std::string> countries = {"", "DE", "FR", "IT", "US", "155", "150"};
    std::map<std::string, reference_customer> truth;
    for (int step = 0; step < 2000; ++step) {
        const std::string id = "R" + std::to_string(rng() % 200);
        const auto status = static_cast<reference_status>(rng() % 4);
        auto r = make_reference(id, industries[rng() % industries.size()],
                                countries[rng() % countries.size()], status);
        if (truth.count(id) && rng() % 3 == 0) {
            s.remove(id);
            truth.erase(id);
        } else if (truth.count(id)) {
            s.update(r);
            truth[id] = r;
        } else {
            s.add(r);
            truth[id] = r;
        }
    }
    const auto under = [](const taxonomy& t, const std::string& code, const std::string& root) {
        if (code.empty()) return false;
        const auto top = t.at(root);
        for (auto n = t.at(code); n != taxonomy::npos; n = t.parent(n))
            if (n == top) return true;
        return false;
    };
    for (const auto& code : {"51", "511", "5112", "52"}) {
        std::vector<std::string> expected;
        for (const auto& [id, r] : truth)
            if (under(vocab->industries, r.industry, code)) expected.push_back(id);
        EXPECT_EQ(ids(s.in_industry(code)), expected) << code;
    }
    for (const auto& code : {"150", "155", "IT", "019"}) {
        std::vector<std::string> expected;
        for (const auto& [id, r] : truth)
            if (under(vocab->geography, r.country, code)) expected.push_back(id);
        EXPECT_EQ(ids(s.in_geography(code)), expected) << code;
    }
    for (int st = 0; st < 4; ++st) {
        std::vector<std::string> expected;
        for (const auto& [id, r] : truth)
            if (static_cast<int>(r.status) == st) expected.push_back(id);
        EXPECT_EQ(ids(s.with_status(static_cast<reference_status>(st))), expected);
    }
    EXPECT_EQ(s.size(), truth.size());
}

TEST(ReferenceStore, ConcurrentReadersAndWritersSeeConsistentStates) {
    reference_store s(test_support::small_vocabulary());
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 500; ++i) {
            s.add_all({make_reference("A" + std::to_string(i), "51", "DE"),
                       make_reference("B" + std::to_string(i), "52", "US")});
        }
        done = true;
    });
    std::size_t checks = 0;
    while (!done || checks == 0) {
        // Batches are atomic: a reader never sees half of one.
        const auto all = s.all();
        EXPECT_EQ(all.size() % 2, 0u);
        ++checks;
    }
    writer.join();
    EXPECT_EQ(s.in_industry("51").size(), 500u);
}

namespace {
prospect make_prospect(std::string id, std::optional<date> needed_by) {
    prospect p;
    p.id = std::move(id);
    p.industry = "5112";
    p.country = "FR";
    p.needed_by = needed_by;
    return p;
}
}  // namespace

TEST(ProspectStore, DueByListsEarliestFirstThenById) {
    prospect_store s(test_support::small_vocabulary());
    const date d = *parse_date("2025-07-01");
    s.add_all({make_prospect("P3", d), make_prospect("P1", d + std::chrono::days(2)),
               make_prospect("P2", d), make_prospect("P4", std::nullopt),
               make_prospect("P5", d + std::chrono::days(3))});
    const auto due = s.due_by(d + std::chrono::days(2));
    std::vector<std::string> got;
    for (const auto& p : due) got.push_back(p.id);
    EXPECT_EQ(got, (std::vector<std::string>{"P2", "P3", "P1"}));  // P4 has no date, P5 is later
    EXPECT_TRUE(s.due_by(d - std::chrono::days(1)).empty());
}

TEST(ProspectStore, RejectsBadRecordsAndChangesNothing) {
    prospect_store s(test_support::small_vocabulary());
    auto bad = make_prospect("P2", std::nullopt);
    bad.deal_value = -5;
    try {
        s.add_all({make_prospect("P1", std::nullopt), bad});
        FAIL() << "no error";
    } catch (const validation_error& e) {
        EXPECT_STREQ(e.what(),
                     "prospect 'P2': field 'deal_value': expected a finite value >= 0, got "
                     "'-5.000000'");
    }
    EXPECT_EQ(s.size(), 0u);
    bad = make_prospect("P2", std::nullopt);
    bad.activity = activity_id{99};
    EXPECT_THROW(s.add(bad), validation_error);
    bad = make_prospect("P2", std::nullopt);
    bad.industry = "Fintech";
    EXPECT_THROW(s.add(bad), validation_error);
    EXPECT_EQ(s.size(), 0u);
}
