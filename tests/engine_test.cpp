// The matching engine against hand-worked examples from docs/scoring.md and against the
// brute-force oracle (tests/reference/oracle.hpp) on randomised programs with fixed seeds.

#include "reference/oracle.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace refmatch;
using namespace std::chrono_literals;

// --- A small hand-built program -----------------------------------------------------------------

std::shared_ptr<const vocabulary> tiny_vocabulary() {
    auto v = std::make_shared<vocabulary>();
    const std::vector<taxonomy_entry> industries{{"51", "Information", ""},
                                                 {"513", "Publishing Industries", "51"},
                                                 {"5132", "Software Publishers", "513"},
                                                 {"51321", "Software Publishers", "5132"},
                                                 {"518", "Data Processing", "51"},
                                                 {"52", "Finance and Insurance", ""}};
    v->industries = taxonomy("", "", industries);
    v->industries.set_name("NAICS 2022");
    const std::vector<taxonomy_entry> places{
        {"150", "Europe", ""},    {"155", "Western Europe", "150"},         {"FR", "France", "155"},
        {"DE", "Germany", "155"}, {"154", "Northern Europe", "150"},        {"SE", "Sweden", "154"},
        {"019", "Americas", ""},  {"US", "United States of America", "019"}};
    v->geography = taxonomy("001", "World", places);
    v->geography.set_name("UN M49");
    for (const char* id : {"crm", "erp", "bi"}) v->products.add({id, id, ""});
    return v;
}

reference_customer make_ref(std::string id, std::string industry, std::vector<std::string> products,
                            std::string country, size_band size) {
    reference_customer r;
    r.id = std::move(id);
    r.name = r.id;
    r.industry = std::move(industry);
    r.products = std::move(products);
    r.country = std::move(country);
    r.size = size;
    r.status = reference_status::active;
    r.consents = {{activity::sales_call, std::nullopt}, {activity::logo_use, std::nullopt}};
    return r;
}

prospect make_prospect() {
    prospect p;
    p.id = "P-1";
    p.industry = "51321";
    p.products = {"crm", "erp", "bi"};
    p.country = "DE";
    p.size = 3;
    return p;
}

const date today = *parse_date("2026-03-01");

match_options on_today() {
    match_options o;
    o.now = today;
    return o;
}

batch_options with_threads(std::size_t threads,
                           std::function<bool(std::size_t, std::size_t)> progress = {},
                           std::stop_token stop = {}) {
    batch_options b;
    b.threads = threads;
    if (progress)
        b.progress = [progress = std::move(progress)](const progress_update& at) {
            EXPECT_EQ(at.stage, "matching");
            return progress(at.done, at.total);
        };
    b.stop = std::move(stop);
    b.progress_interval = std::chrono::milliseconds(0);
    return b;
}

TEST(Engine, HandWorkedScore) {
    program prog(tiny_vocabulary());
    // Same industry group 5132 (the prospect's 51321 is one level below), 2 of 3 products,
    // France vs Germany (same sub-region), size band 2 vs 3.
    prog.references.add(make_ref("R-1", "5132", {"crm", "erp"}, "FR", 2));
    prog.references.add(make_ref("R-2", "52", {"crm"}, "US", std::nullopt));
    engine e(prog);
    const auto out = e.match(make_prospect(), 5);
    ASSERT_EQ(out.size(), 2u);
    // industry 2·3/(4+3) = 6/7; product 2/3; geography 2·2/(3+3) = 2/3; size 1 − 1/5.
    const double r1 = (0.35 * (6.0 / 7.0) + 0.35 * (2.0 / 3.0) + 0.20 * (2.0 / 3.0) + 0.10 * 0.8) /
                      (0.35 + 0.35 + 0.20 + 0.10);
    EXPECT_EQ(out[0].reference_id, "R-1");
    EXPECT_NEAR(out[0].final_score, r1, 1e-12);
    EXPECT_NEAR(out[0].components.industry, 6.0 / 7.0, 1e-15);
    EXPECT_NEAR(out[0].components.product, 2.0 / 3.0, 1e-15);
    EXPECT_NEAR(out[0].components.geography, 2.0 / 3.0, 1e-15);
    EXPECT_NEAR(out[0].components.size, 0.8, 1e-15);
    EXPECT_EQ(out[0].products_matched, 2u);
    EXPECT_EQ(out[0].products_requested, 3u);
    EXPECT_FALSE(out[0].quota.has_value());
    EXPECT_EQ(out[0].reason,
              "same NAICS industry group 5132 \u00b7 covers 2 of 3 products \u00b7 same "
              "sub-region Western Europe (France) \u00b7 size 1 band apart");
    // only a third of the products; different sector and region; unknown size.
    EXPECT_NEAR(out[1].final_score, 0.35 * (1.0 / 3.0), 1e-12);
    EXPECT_EQ(out[1].reason,
              "NAICS sector 52 Finance and Insurance vs 51 \u00b7 covers 1 of 3 products "
              "\u00b7 United States of America, region Americas vs Europe");
}

TEST(Engine, FatigueAndQuotaWithActivity) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-1", "51321", {"crm", "erp", "bi"}, "DE", 3));
    prog.references.add(make_ref("R-2", "51321", {"crm", "erp", "bi"}, "DE", 3));
    engine e(prog);
    match_options o;
    o.activity = activity::sales_call;  // default limit: 6 uses in 90 days, 7 days cooldown
    o.now = today;
    // Two uses of R-1 in the window, the last 10 days ago: u = 2/6, final = 1 · (1 − 0.5/3).
    prog.record_usage({"R-1", activity::sales_call, "", today - std::chrono::days(40)});
    prog.record_usage({"R-1", activity::sales_call, "", today - std::chrono::days(10)});
    // One use long before the window does not count.
    prog.record_usage({"R-1", activity::sales_call, "", today - std::chrono::days(200)});
    auto out = e.match(make_prospect(), 5, o);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].reference_id, "R-2");
    EXPECT_DOUBLE_EQ(out[0].final_score, 1.0);
    EXPECT_EQ(out[1].reference_id, "R-1");
    EXPECT_NEAR(out[1].final_score, 1.0 - 0.5 * (2.0 / 6.0), 1e-12);
    ASSERT_TRUE(out[1].quota.has_value());
    EXPECT_EQ(out[1].quota->used, 2u);
    EXPECT_EQ(out[1].quota->max_uses, std::optional<std::uint32_t>(6));
    EXPECT_EQ(out[1].quota->window_days, 90u);
    EXPECT_EQ(out[1].quota->cooldown_days, 7u);
    EXPECT_EQ(out[1].quota->last_use, today - std::chrono::days(10));
    EXPECT_NEAR(out[1].fatigue_factor, 1.0 - 0.5 / 3.0, 1e-15);

    // A use 6 days ago puts R-2 in its 7-day cooldown: visible without refresh.
    prog.record_usage({"R-2", activity::sales_call, "", today - std::chrono::days(6)});
    out = e.match(make_prospect(), 5, o);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reference_id, "R-1");
    // Seven days after the use the cooldown is over.
    o.now = today + std::chrono::days(1);
    out = e.match(make_prospect(), 5, o);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].reference_id, "R-2");
}

TEST(UsageLedger, SummaryAgreesWithUsedAndLastUse) {
    usage_ledger ledger;
    for (int d : {-400, -90, -89, -30, -1, 0, 3})
        ledger.record({"R-1", activity::quote, "", today + std::chrono::days(d)});
    const auto reader = ledger.read();
    for (std::uint32_t window : {1u, 30u, 90u, 365u}) {
        const auto s = reader.summary("R-1", activity::quote, window, today);
        EXPECT_EQ(s.used, reader.used("R-1", activity::quote, window, today)) << window;
        EXPECT_EQ(s.last_use, reader.last_use("R-1", activity::quote, today));
    }
    EXPECT_EQ(reader.summary("R-1", activity::quote, 90, today).used, 4u);  // -89, -30, -1, 0
    EXPECT_EQ(reader.summary("R-1", activity::quote, 90, today).last_use, today);
    EXPECT_EQ(reader.summary("R-2", activity::quote, 90, today).used, 0u);
    EXPECT_FALSE(reader.summary("R-1", activity::pr, 90, today).last_use.has_value());
}

TEST(Engine, QuotaReachedMakesIneligible) {
    program prog(tiny_vocabulary());
    auto r = make_ref("R-1", "51321", {"crm"}, "DE", 3);
    r.consents = {{activity::case_study, quota_limit{1, 30, 0}}};  // own limit: 1 per 30 days
    prog.references.add(r);
    engine e(prog);
    match_options o;
    o.activity = activity::case_study;
    o.now = today;
    EXPECT_EQ(e.match(make_prospect(), 3, o).size(), 1u);
    prog.record_usage({"R-1", activity::case_study, "", today - std::chrono::days(29)});
    EXPECT_TRUE(e.match(make_prospect(), 3, o).empty());
    o.now = today + std::chrono::days(1);  // the use is now 30 days old: out of the window
    EXPECT_EQ(e.match(make_prospect(), 3, o).size(), 1u);
    // No consent to the activity: never eligible.
    o.activity = activity::site_visit;
    EXPECT_TRUE(e.match(make_prospect(), 3, o).empty());
}

TEST(Engine, RefreshMakesReferenceChangesVisible) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-2", "52", {}, "US", 0));
    engine e(prog);
    EXPECT_FALSE(e.stale());
    EXPECT_FALSE(e.refresh());
    prog.references.add(make_ref("R-1", "51321", {"crm"}, "DE", 3));
    EXPECT_TRUE(e.stale());
    auto out = e.match(make_prospect(), 5);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reference_id, "R-2");
    EXPECT_TRUE(e.refresh());
    EXPECT_FALSE(e.stale());
    out = e.match(make_prospect(), 5);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].reference_id, "R-1");
    // A reference leaving the active status disappears after refresh.
    auto paused = prog.references.at("R-1");
    paused.status = reference_status::paused;
    prog.references.update(paused);
    e.refresh();
    out = e.match(make_prospect(), 5);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reference_id, "R-2");
    EXPECT_EQ(e.stats().references, 1u);
    EXPECT_EQ(e.stats().stored_references, 2u);
}

TEST(Engine, HardFiltersExclusionsAndPredicate) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-1", "51321", {"crm", "erp", "bi"}, "FR", 3));
    prog.references.add(make_ref("R-2", "518", {"crm", "erp", "bi"}, "DE", 3));
    prog.references.add(make_ref("R-3", "52", {"crm", "erp"}, "SE", 3));
    prog.references.add(make_ref("R-4", "5132", {"crm"}, "US", 3));
    engine e(prog);
    const auto ids = [&](const match_options& o) {
        std::vector<std::string> out;
        for (const auto& r : e.match(make_prospect(), 10, o)) out.push_back(r.reference_id);
        return out;
    };
    match_options o;
    o.same_geography = geography_level::country;
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-2"}));
    o.same_geography = geography_level::sub_region;
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-1", "R-2"}));
    o.same_geography = geography_level::region;
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-1", "R-2", "R-3"}));
    o.same_geography = geography_level::none;
    o.same_sector = true;
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-1", "R-2", "R-4"}));
    o.cover_all_products = true;
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-1", "R-2"}));
    o.exclusions = {"R-1", "R-404"};
    EXPECT_EQ(ids(o), std::vector<std::string>({"R-2"}));
    o = {};
    o.predicate = [](const reference_customer& r) { return r.id != "R-1"; };
    o.min_score = 0.5;
    for (const auto& r : e.match(make_prospect(), 10, o)) {
        EXPECT_NE(r.reference_id, "R-1");
        EXPECT_GE(r.final_score, 0.5);
    }
}

TEST(Engine, RejectsInvalidOptionsWithClearMessages) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-1", "51321", {"crm"}, "DE", 3));
    engine e(prog);
    const auto message = [&](const match_options& o, const prospect& p) -> std::string {
        try {
            (void)e.match(p, 3, o);
        } catch (const validation_error& err) {
            return err.what();
        }
        return "no error";
    };
    match_options o;
    o.weights.product = -1;
    EXPECT_EQ(message(o, make_prospect()),
              "match options: field 'weights.product': expected a finite weight >= 0, got '-1'");
    o.weights = {0, 0, 0, 0};
    EXPECT_EQ(message(o, make_prospect()),
              "match options: field 'weights': expected weights with a positive, finite sum, "
              "got '0'");
    // Each weight finite, their sum not: every score would be 0.
    o.weights = {1e308, 1e308, 1e308, 1e308};
    EXPECT_EQ(message(o, make_prospect()),
              "match options: field 'weights': expected weights with a positive, finite sum, "
              "got 'inf'");
    o = {};
    o.fatigue_weight = 1.5;
    EXPECT_EQ(message(o, make_prospect()),
              "match options: field 'fatigue_weight': expected a value in [0, 1], got '1.5'");
    o = {};
    o.activity = activity::quote;
    EXPECT_EQ(message(o, make_prospect()),
              "match options: field 'now': expected a date when an activity is given, got 'no "
              "date'");
    auto p = make_prospect();
    p.industry = "9999";
    EXPECT_EQ(message({}, p),
              "prospect 'P-1': field 'industry': expected a NAICS 2022 code, got '9999'");
}

TEST(Engine, KernelsAgree) {
    program prog(tiny_vocabulary());
    for (int i = 0; i < 100; ++i)
        prog.references.add(make_ref("R-" + std::to_string(1000 + i), i % 3 ? "51321" : "518",
                                     {"crm"}, i % 2 ? "DE" : "SE",
                                     static_cast<std::uint8_t>(i % 6)));
    std::vector<std::vector<match_result>> results;
    for (auto k : {scan_kernel::scalar, scan_kernel::avx2, scan_kernel::avx512}) {
        if (!scan_kernel_supported(k)) continue;
        engine e(prog, {k});
        results.push_back(e.match(make_prospect(), 7));
    }
    for (const auto& r : results) {
        ASSERT_EQ(r.size(), results[0].size());
        for (std::size_t i = 0; i < r.size(); ++i)
            EXPECT_EQ(r[i].reference_id, results[0][i].reference_id);
    }
}

// The scan visits the references holding a requested product first, set by set: equal scores
// from different sets still rank by id, whichever set it visits first. Hand-worked: the prospect
// (51321, DE, size 3, {crm, erp, bi}) scores 1.0 against R-1010 (all three products), and
// (0.35 + 0.35 / 3 + 0.20 + 0.10) = 0.7667 against each single-product reference, whose {crm}
// set is visited before the {erp} set (crm is the first product); without products, 0.65.
// (Before the scan went set by set, positions came in increasing order and a tie with the
// current worst could be dropped unseen; here it must not be.)
TEST(Engine, EqualScoresFromDifferentProductSetsRankById) {
    program prog(tiny_vocabulary());
    for (int i = 0; i < 5; ++i)
        prog.references.add(make_ref("R-" + std::to_string(1000 + i), "51321", {"erp"}, "DE", 3));
    for (int i = 5; i < 10; ++i)
        prog.references.add(make_ref("R-" + std::to_string(1000 + i), "51321", {"crm"}, "DE", 3));
    prog.references.add(make_ref("R-1010", "51321", {"crm", "erp", "bi"}, "DE", 3));
    for (int i = 11; i < 15; ++i)
        prog.references.add(make_ref("R-" + std::to_string(1000 + i), "51321", {}, "DE", 3));
    for (auto kernel : {scan_kernel::scalar, scan_kernel::avx2, scan_kernel::avx512}) {
        if (!scan_kernel_supported(kernel)) continue;
        engine e(prog, {kernel});
        // A minimum above 0.65 rules out the references without products before any is seen,
        // so the scan stays set by set.
        auto above = on_today();
        above.min_score = 0.7;
        const auto top = e.match(make_prospect(), 4, above);
        ASSERT_EQ(top.size(), 4u);
        EXPECT_EQ(top[0].reference_id, "R-1010");
        EXPECT_DOUBLE_EQ(top[0].final_score, 1.0);
        for (std::size_t r = 1; r < 4; ++r) {
            EXPECT_EQ(top[r].reference_id, "R-100" + std::to_string(r - 1)) << r;
            EXPECT_NEAR(top[r].final_score, 0.35 + 0.35 / 3 + 0.20 + 0.10, 1e-12);
        }
        // Beyond the single-product references come those without products.
        const auto all = e.match(make_prospect(), 15);
        ASSERT_EQ(all.size(), 15u);
        for (std::size_t r = 1; r < 11; ++r)
            EXPECT_EQ(all[r].reference_id, "R-" + std::to_string(999 + r)) << r;
        for (std::size_t r = 11; r < 15; ++r) {
            EXPECT_EQ(all[r].reference_id, "R-" + std::to_string(1000 + r)) << r;
            EXPECT_NEAR(all[r].final_score, 0.65, 1e-12);
        }
        // The best alone: the sets covering fewer products are never needed.
        const auto best = e.match(make_prospect(), 1);
        ASSERT_EQ(best.size(), 1u);
        EXPECT_EQ(best[0].reference_id, "R-1010");
    }
}

// --- Randomised comparison with the oracle ------------------------------------------------------

struct random_world {
    std::shared_ptr<const vocabulary> vocab;
    std::vector<std::string> industries;  // codes at every NAICS level
    std::vector<std::string> places;      // countries and regions
    std::vector<std::string> products;
};

const random_world& world() {
    static const random_world w = [] {
        random_world out;
        product_catalog catalogue;
        for (int i = 0; i < 12; ++i) {
            out.products.push_back("P" + std::to_string(i));
            catalogue.add({out.products.back(), out.products.back(), ""});
        }
        activity_catalog activities;
        for (int i = 0; i < 6; ++i) activities.add("custom_" + std::to_string(i));  // ids 12..17
        out.vocab = standard_vocabulary(std::move(catalogue), std::move(activities));
        const auto& ind = out.vocab->industries;
        for (taxonomy::node_id n = 1; n < ind.size(); ++n) out.industries.push_back(ind.code(n));
        const auto& geo = out.vocab->geography;
        for (taxonomy::node_id n = 1; n < geo.size(); ++n) out.places.push_back(geo.code(n));
        return out;
    }();
    return w;
}

// A program whose references cluster on few codes (so that ties and shared ancestors are common).
std::unique_ptr<program> random_program(std::mt19937_64& rng, std::size_t n) {
    const auto& w = world();
    auto prog = std::make_unique<program>(w.vocab);
    std::uniform_real_distribution<double> unit(0, 1);
    const auto pick = [&](const std::vector<std::string>& v) {
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    std::vector<std::string> ind_pool, geo_pool;
    for (int i = 0; i < 12; ++i) ind_pool.push_back(pick(w.industries));
    for (int i = 0; i < 8; ++i) geo_pool.push_back(pick(w.places));
    std::vector<reference_customer> refs;
    for (std::size_t i = 0; i < n; ++i) {
        reference_customer r;
        r.id = "R-" + std::to_string(100000 + rng() % 900000);
        if (!refs.empty() && unit(rng) < 0.2) {  // an exact twin of an earlier reference
            const std::string id = r.id;
            r = refs[rng() % refs.size()];
            r.id = id;
        } else {
            r.industry = unit(rng) < 0.1 ? "" : pick(ind_pool);
            r.country = unit(rng) < 0.1 ? "" : pick(geo_pool);
            for (const auto& p : w.products)
                if (unit(rng) < 0.25) r.products.push_back(p);
            if (unit(rng) < 0.9) r.size = static_cast<std::uint8_t>(rng() % 6);
            r.status = unit(rng) < 0.85 ? reference_status::active
                                        : static_cast<reference_status>(rng() % 4);
            for (std::uint16_t a = 0; a < w.vocab->activities.size(); ++a) {
                if (unit(rng) < 0.6) {
                    activity_consent c{activity_id{a}, std::nullopt};
                    if (unit(rng) < 0.3)
                        c.limit = quota_limit{static_cast<std::uint32_t>(1 + rng() % 3),
                                              static_cast<std::uint32_t>(1 + rng() % 60),
                                              static_cast<std::uint32_t>(rng() % 20)};
                    r.consents.push_back(c);
                }
            }
        }
        bool dup = false;
        for (const auto& x : refs) dup = dup || x.id == r.id;
        if (!dup) refs.push_back(r);
    }
    prog->references.add_all(refs);
    for (std::uint16_t a = 12; a < w.vocab->activities.size(); a += 2)
        prog->quotas.set(activity_id{a}, quota_limit{2, 30, 5});
    if (!refs.empty()) {
        const std::size_t events = rng() % (3 * n + 1);
        for (std::size_t i = 0; i < events; ++i) {
            const auto& r = refs[rng() % refs.size()];
            const auto a =
                activity_id{static_cast<std::uint16_t>(rng() % w.vocab->activities.size())};
            const auto day = today + std::chrono::days(static_cast<int>(rng() % 120) - 100);
            prog->record_usage({r.id, a, "", day});
        }
    }
    return prog;
}

prospect random_prospect(std::mt19937_64& rng, const program& prog) {
    const auto& w = world();
    std::uniform_real_distribution<double> unit(0, 1);
    const auto refs = prog.references.all();
    prospect p;
    p.id = "P-" + std::to_string(rng() % 1000);
    // Often reuse a reference's codes, so that exact matches happen.
    if (!refs.empty() && unit(rng) < 0.5) {
        const auto& r = refs[rng() % refs.size()];
        p.industry = r.industry;
        p.country = r.country;
        p.products = r.products;
        p.size = r.size;
    } else {
        p.industry = unit(rng) < 0.1 ? "" : w.industries[rng() % w.industries.size()];
        p.country = unit(rng) < 0.1 ? "" : w.places[rng() % w.places.size()];
        for (const auto& x : w.products)
            if (unit(rng) < 0.2) p.products.push_back(x);
        if (unit(rng) < 0.8) p.size = static_cast<std::uint8_t>(rng() % 6);
    }
    if (!refs.empty())
        for (int i = 0; i < 2; ++i)
            if (unit(rng) < 0.3) p.exclusions.push_back(refs[rng() % refs.size()].id);
    if (unit(rng) < 0.5)
        p.activity = activity_id{static_cast<std::uint16_t>(rng() % w.vocab->activities.size())};
    return p;
}

match_options random_options(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> unit(0, 1);
    match_options o;
    o.now = today;
    if (unit(rng) < 0.3)
        o.weights = {unit(rng), unit(rng) < 0.2 ? 0.0 : unit(rng), unit(rng), unit(rng)};
    if (unit(rng) < 0.3) o.fatigue_weight = unit(rng);
    if (unit(rng) < 0.2) o.use_prospect_activity = false;
    if (unit(rng) < 0.15) o.same_geography = static_cast<geography_level>(1 + rng() % 3);
    if (unit(rng) < 0.15) o.same_sector = true;
    if (unit(rng) < 0.15) o.cover_all_products = true;
    if (unit(rng) < 0.2) o.min_score = unit(rng) * 0.8;
    if (unit(rng) < 0.15)
        o.predicate = [](const reference_customer& r) { return r.id.back() % 3 != 0; };
    return o;
}

void expect_same(const std::vector<match_result>& got, const std::vector<oracle::scored>& want,
                 const std::string& context) {
    ASSERT_EQ(got.size(), want.size()) << context;
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].reference_id, want[i].id) << context << " rank " << i;
        EXPECT_NEAR(got[i].final_score, want[i].final_score, 1e-9) << context;
        EXPECT_NEAR(got[i].base_score, want[i].base_score, 1e-9) << context;
        EXPECT_NEAR(got[i].components.industry, want[i].components.industry, 1e-12) << context;
        EXPECT_NEAR(got[i].components.geography, want[i].components.geography, 1e-12) << context;
        EXPECT_NEAR(got[i].components.product, want[i].components.product, 1e-12) << context;
        EXPECT_NEAR(got[i].components.size, want[i].components.size, 1e-12) << context;
        if (got[i].quota) {
            EXPECT_EQ(got[i].quota->used, want[i].used) << context;
        }
    }
}

// Live holds on random references of `prog`, mostly of the prospect's activity (the others are
// there to be ignored), dated around `today`.
std::shared_ptr<const hold_index> random_holds(std::mt19937_64& rng, const program& prog,
                                               const prospect& p) {
    const auto refs = prog.references.all();
    if (refs.empty()) return nullptr;
    std::vector<live_hold> holds;
    const auto n = rng() % (2 * refs.size() + 1);
    for (std::size_t i = 0; i < n; ++i) {
        const auto other =
            activity_id{static_cast<std::uint16_t>(rng() % prog.vocab->activities.size())};
        holds.push_back({refs[rng() % refs.size()].id,
                         p.activity && rng() % 4 != 0 ? *p.activity : other,
                         today + std::chrono::days(static_cast<int>(rng() % 121) - 60)});
    }
    return std::make_shared<const hold_index>(std::move(holds));
}

TEST(EngineOracle, RandomProgramsMatchTheOracle) {
    std::mt19937_64 rng(20260301);
    const std::size_t sizes[] = {0, 1, 7, 40, 200, 700};
    std::vector<scan_kernel> kernels;
    for (auto k : {scan_kernel::scalar, scan_kernel::avx2, scan_kernel::avx512})
        if (scan_kernel_supported(k)) kernels.push_back(k);
    int compared = 0, non_empty = 0, with_activity = 0, changed_by_holds = 0;
    for (int round = 0; round < 36; ++round) {
        const auto prog = random_program(rng, sizes[round % 6]);
        std::vector<std::unique_ptr<engine>> engines;
        for (auto k : kernels)
            engines.push_back(std::make_unique<engine>(*prog, engine_options{k}));
        for (int q = 0; q < 25; ++q) {
            const auto p = random_prospect(rng, *prog);
            auto o = random_options(rng);
            const std::size_t ks[] = {0, 1, 3, 10, 100000};
            const std::size_t k = ks[rng() % 5];
            if (rng() % 2) {
                o.holds = random_holds(rng, *prog, p);
                if (o.holds && k > 0) {
                    auto plain = o;
                    plain.holds.reset();
                    const auto a = oracle::match(*prog, p, k, o);
                    const auto b = oracle::match(*prog, p, k, plain);
                    changed_by_holds +=
                        a.size() != b.size() ||
                        !std::equal(a.begin(), a.end(), b.begin(),
                                    [](const auto& x, const auto& y) {
                                        return x.id == y.id && x.final_score == y.final_score;
                                    });
                }
            }
            const auto want = oracle::match(*prog, p, k, o);
            for (std::size_t e = 0; e < engines.size(); ++e) {
                const auto got = engines[e]->match(p, k, o);
                expect_same(got, want,
                            "round " + std::to_string(round) + " query " + std::to_string(q) +
                                " kernel " + std::string(to_string(kernels[e])));
                if (::testing::Test::HasFatalFailure()) return;
            }
            ++compared;
            non_empty += !want.empty();
            with_activity += (o.use_prospect_activity && p.activity.has_value()) && !want.empty();
        }
    }
    EXPECT_EQ(compared, 36 * 25);
    // The comparison is not vacuous: most queries return references, many under quota rules.
    EXPECT_GT(non_empty, compared / 3);
    EXPECT_GT(with_activity, compared / 10);
    // Live holds changed the answer of many queries (eligibility or fatigue).
    EXPECT_GT(changed_by_holds, compared / 20);
}

TEST(EngineOracle, LargeCatalogue) {
    // 300 products: product sets are not limited by a bitset width.
    auto v = std::make_shared<vocabulary>(*tiny_vocabulary());
    std::vector<std::string> ids;
    for (int i = 0; i < 300; ++i) {
        ids.push_back("p" + std::to_string(i));
        v->products.add({ids.back(), ids.back(), ""});
    }
    program prog(v);
    std::mt19937_64 rng(300);
    const char* industries[] = {"51", "513", "5132", "51321", "518", "52", ""};
    const char* places[] = {"FR", "DE", "SE", "US", "155", "150", ""};
    for (int i = 0; i < 400; ++i) {
        std::vector<std::string> products;
        for (int j = 0; j < 6; ++j) products.push_back(ids[200 + rng() % 100]);
        prog.references.add(make_ref("R-" + std::to_string(1000 + i), industries[rng() % 7],
                                     products, places[rng() % 7],
                                     static_cast<std::uint8_t>(rng() % 6)));
    }
    engine e(prog);
    for (int q = 0; q < 30; ++q) {
        prospect p = make_prospect();
        p.products.clear();
        for (int j = 0; j < 1 + q % 5; ++j) p.products.push_back(ids[190 + rng() % 110]);
        match_options o;
        o.cover_all_products = q % 3 == 0;
        expect_same(e.match(p, 7, o), oracle::match(prog, p, 7, o), "query " + std::to_string(q));
    }
}

TEST(EngineOracle, AllIneligibleProgramReturnsNothing) {
    std::mt19937_64 rng(7);
    auto prog = random_program(rng, 50);
    for (auto r : prog->references.all()) {
        r.status = reference_status::paused;
        prog->references.update(r);
    }
    engine e(*prog);
    const auto p = random_prospect(rng, *prog);
    EXPECT_TRUE(e.match(p, 10, on_today()).empty());
    EXPECT_TRUE(oracle::match(*prog, p, 10, on_today()).empty());
}

TEST(EngineBatch, BatchEqualsOneByOneForAnyThreadCount) {
    std::mt19937_64 rng(99);
    const auto prog = random_program(rng, 500);
    engine e(*prog);
    std::vector<prospect> ps;
    for (int i = 0; i < 60; ++i) ps.push_back(random_prospect(rng, *prog));
    match_options o;
    o.now = today;
    std::vector<std::vector<match_result>> one;
    for (const auto& p : ps) one.push_back(e.match(p, 5, o));
    for (std::size_t threads : {1u, 2u, 8u}) {
        const auto batch = e.match_batch(ps, 5, o, with_threads(threads));
        ASSERT_EQ(batch.size(), ps.size());
        for (std::size_t i = 0; i < ps.size(); ++i) {
            ASSERT_EQ(batch[i].size(), one[i].size()) << threads;
            for (std::size_t j = 0; j < one[i].size(); ++j) {
                EXPECT_EQ(batch[i][j].reference_id, one[i][j].reference_id);
                EXPECT_EQ(batch[i][j].final_score, one[i][j].final_score);
                EXPECT_EQ(batch[i][j].reason, one[i][j].reason);
            }
        }
    }
}

TEST(EngineBatch, ValidatesEveryProspectBeforeAnyWork) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-1", "51321", {"crm"}, "DE", 3));
    engine e(prog);
    std::vector<prospect> ps(3, make_prospect());
    ps[2].activity = activity::quote;  // an activity without `now`
    std::size_t calls = 0;
    match_options o;
    o.predicate = [&](const reference_customer&) { return ++calls > 0; };
    try {
        (void)e.match_batch(ps, 3, o, with_threads(2));
        ADD_FAILURE() << "no error";
    } catch (const validation_error& err) {
        EXPECT_STREQ(err.what(),
                     "match options: field 'now': expected a date when an activity is given, got "
                     "'no date'");
    }
    EXPECT_EQ(calls, 0u);
    ps[2].country = "Atlantis";
    EXPECT_THROW((void)e.match_batch(ps, 3, on_today(), with_threads(2)), validation_error);
}

TEST(EngineBatch, ProgressAndCancellation) {
    std::mt19937_64 rng(5);
    const auto prog = random_program(rng, 200);
    engine e(*prog);
    std::vector<prospect> ps;
    for (int i = 0; i < 40; ++i) ps.push_back(random_prospect(rng, *prog));
    for (std::size_t threads : {1u, 2u}) {
        std::size_t last_done = 0, last_total = 0;
        const auto out = e.match_batch(ps, 3, on_today(),
                                       with_threads(threads, [&](std::size_t d, std::size_t t) {
                                           last_done = d;
                                           last_total = t;
                                           return true;
                                       }));
        EXPECT_EQ(out.size(), ps.size());
        EXPECT_EQ(last_done, ps.size());
        EXPECT_EQ(last_total, ps.size());
        std::stop_source stop;
        stop.request_stop();
        EXPECT_THROW(
            (void)e.match_batch(ps, 3, on_today(), with_threads(threads, {}, stop.get_token())),
            match_cancelled);
        EXPECT_THROW((void)e.match_batch(
                         ps, 3, on_today(),
                         with_threads(threads, [](std::size_t, std::size_t) { return false; })),
                     match_cancelled);
        // An exception from the callback stops the batch and reaches the caller.
        EXPECT_THROW((void)e.match_batch(ps, 3, on_today(),
                                         with_threads(threads,
                                                      [](std::size_t, std::size_t) -> bool {
                                                          throw std::runtime_error("stop");
                                                      })),
                     std::runtime_error);
    }
}

TEST(EngineConcurrency, MatchesWhileTheProgramChanges) {
    std::mt19937_64 rng(11);
    auto prog = random_program(rng, 300);
    engine e(*prog);
    std::vector<prospect> ps;
    for (int i = 0; i < 20; ++i) ps.push_back(random_prospect(rng, *prog));
    std::atomic<bool> stop{false};
    std::atomic<int> matches{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
        readers.emplace_back([&, t] {
            std::size_t i = static_cast<std::size_t>(t);
            while (!stop.load()) {
                const auto out = e.match(ps[i++ % ps.size()], 10, on_today());
                for (std::size_t j = 1; j < out.size(); ++j)
                    EXPECT_GE(out[j - 1].final_score, out[j].final_score);
                ++matches;
            }
        });
    const auto ids = prog->references.all();
    for (int i = 0; i < 200; ++i) {
        reference_customer r = ids[static_cast<std::size_t>(i) % ids.size()];
        r.id = "N-" + std::to_string(i);
        prog->references.add(r);
        prog->record_usage(
            {ids[static_cast<std::size_t>(i) % ids.size()].id, activity::quote, "", today});
        if (i % 20 == 0) e.refresh();
    }
    while (matches.load() < 30) std::this_thread::yield();
    stop = true;
    for (auto& t : readers) t.join();
    e.refresh();
    // After the dust settles the engine agrees with the oracle again.
    for (const auto& p : ps)
        expect_same(e.match(p, 10, on_today()), oracle::match(*prog, p, 10, on_today()),
                    "after concurrent changes");
}

// --- Gap analysis -------------------------------------------------------------------------------

TEST(Gaps, AggregatesUncoveredProspectsBySectorAndRegion) {
    program prog(tiny_vocabulary());
    prog.references.add(make_ref("R-1", "51321", {"crm"}, "DE", 3));
    engine e(prog);
    std::vector<prospect> pipeline;
    const auto add = [&](std::string id, std::string industry, std::string country, double value) {
        prospect p;
        p.id = std::move(id);
        p.industry = std::move(industry);
        p.country = std::move(country);
        p.products = {"crm"};
        p.size = 3;
        p.deal_value = value;
        pipeline.push_back(p);
    };
    add("P-1", "51321", "DE", 100);  // perfect match: covered
    add("P-2", "52", "US", 500);     // finance in the Americas: only 0.35 · 1 + 0.1 = 0.45
    add("P-3", "52", "US", 250);
    add("P-4", "518", "FR", 50);  // 0.35·(1/3) + 0.35 + 0.2·(2/3) + 0.1 = 0.7
    gap_options o;
    o.threshold = 0.6;
    const auto report = analyse_gaps(e, pipeline, o);
    ASSERT_EQ(report.prospects.size(), 4u);
    EXPECT_TRUE(report.prospects[0].covered);
    EXPECT_FALSE(report.prospects[1].covered);
    EXPECT_TRUE(report.prospects[3].covered);
    EXPECT_EQ(report.uncovered, 2u);
    EXPECT_DOUBLE_EQ(report.value_at_risk, 750.0);
    EXPECT_DOUBLE_EQ(report.pipeline_value, 900.0);
    ASSERT_EQ(report.cells.size(), 2u);  // 52 × Americas, 51 × Europe
    EXPECT_EQ(report.cells[0].sector, "52");
    EXPECT_EQ(report.cells[0].region, "019");
    EXPECT_EQ(report.cells[0].region_title, "Americas");
    EXPECT_EQ(report.cells[0].prospects, 2u);
    EXPECT_EQ(report.cells[0].uncovered, 2u);
    EXPECT_DOUBLE_EQ(report.cells[0].value_at_risk, 750.0);
    EXPECT_NEAR(report.cells[0].best_scores.median, 0.45, 1e-12);
    EXPECT_EQ(report.cells[0].uncovered_prospects, std::vector<std::string>({"P-2", "P-3"}));
    EXPECT_EQ(report.cells[0].best_score_histogram[4], 2u);
    EXPECT_EQ(report.cells[1].sector, "51");
    EXPECT_EQ(report.cells[1].prospects, 2u);
    EXPECT_EQ(report.cells[1].uncovered, 0u);
    EXPECT_DOUBLE_EQ(report.cells[1].value_at_risk, 0.0);
    EXPECT_DOUBLE_EQ(report.cells[1].pipeline_value, 150.0);
    EXPECT_NEAR(report.cells[1].best_scores.min, 0.7, 1e-12);
    EXPECT_NEAR(report.cells[1].best_scores.max, 1.0, 1e-12);

    o.by_product = true;
    o.min_references = 2;  // only one reference exists: everything is a gap
    const auto strict = analyse_gaps(e, pipeline, o);
    EXPECT_EQ(strict.uncovered, 4u);
    for (const auto& c : strict.cells) EXPECT_EQ(c.product, "crm");
}

// --- Why not this reference? ---------------------------------------------------------------------

std::vector<not_returned_cause> causes_of(const reference_explanation& e) {
    std::vector<not_returned_cause> out;
    for (const auto& r : e.reasons) out.push_back(r.cause);
    return out;
}

TEST(EngineExplain, HandWorkedReasons) {
    program prog(tiny_vocabulary());
    // R-1 the best; R-3 its paused twin; R-4 its twin at the sales_call limit (6 in 90 days),
    // R-5 in cooldown (7 days); R-6 without consent; R-7 excluded; R-2 in sector 52; R-8 weaker.
    for (const char* id : {"R-1", "R-3", "R-4", "R-5", "R-6", "R-7"})
        prog.references.add(make_ref(id, "5132", {"crm", "erp"}, "FR", 2));
    auto paused = prog.references.at("R-3");
    paused.status = reference_status::paused;
    prog.references.update(paused);
    auto no_consent = prog.references.at("R-6");
    no_consent.consents = {{activity::logo_use, std::nullopt}};
    prog.references.update(no_consent);
    prog.references.add(make_ref("R-2", "52", {"crm"}, "US", std::nullopt));
    prog.references.add(make_ref("R-8", "518", {"crm"}, "SE", 3));
    for (const int ago : {85, 80, 60, 40, 20, 10})
        prog.record_usage({"R-4", activity::sales_call, "", today - std::chrono::days(ago)});
    prog.record_usage({"R-5", activity::sales_call, "", today - std::chrono::days(3)});
    engine e(prog);
    prospect p = make_prospect();
    p.exclusions = {"R-7"};
    match_options o = on_today();
    o.activity = activity::sales_call;
    o.same_sector = true;

    const auto top = e.match(p, 1, o);
    ASSERT_EQ(top.size(), 1u);
    ASSERT_EQ(top[0].reference_id, "R-1");
    const auto best = e.explain(p, "R-1", 1, o);
    EXPECT_TRUE(best.eligible);
    EXPECT_TRUE(best.returned);
    EXPECT_EQ(best.rank, 1u);
    EXPECT_TRUE(best.reasons.empty());
    EXPECT_EQ(best.summary(), "returned at rank 1 of 1");
    // The very score and reason of the match.
    EXPECT_EQ(best.score.final_score, top[0].final_score);
    EXPECT_EQ(best.score.base_score, top[0].base_score);
    EXPECT_EQ(best.score.reason, top[0].reason);
    EXPECT_EQ(best.kth_reference_id, "R-1");

    // (0.35·6/7 + 0.35·2/3 + 0.20·2/3 + 0.10·0.8) / 1 = 0.74667 for R-1 and its twins.
    const auto inactive = e.explain(p, "R-3", 1, o);
    EXPECT_FALSE(inactive.eligible);
    EXPECT_FALSE(inactive.rank.has_value());
    EXPECT_NEAR(inactive.score.final_score, 0.35 * 6 / 7 + 0.35 * 2 / 3 + 0.2 * 2 / 3 + 0.08,
                1e-12);
    EXPECT_EQ(inactive.summary(),
              "status paused, not active; score 0.7467 ties the 1st result R-1, which comes "
              "first by id");

    const auto at_limit = e.explain(p, "R-4", 1, o);
    ASSERT_TRUE(at_limit.score.quota.has_value());
    EXPECT_EQ(at_limit.score.quota->used, 6u);
    EXPECT_NEAR(at_limit.score.final_score, inactive.score.final_score * 0.5, 1e-12);
    // The use of 85 days ago leaves the 90-day window on day +5: 5 of 6 then.
    EXPECT_EQ(at_limit.summary(),
              "used 6 of 6 sales_call in 90 days, at its limit until 2026-03-06; score 0.3733 "
              "below the 1st result's 0.7467 (R-1)");
    o.now = today + std::chrono::days(5);
    EXPECT_TRUE(e.explain(p, "R-4", 10, o).eligible);
    o.now = today + std::chrono::days(4);
    EXPECT_FALSE(e.explain(p, "R-4", 10, o).eligible);
    o.now = today;

    EXPECT_EQ(causes_of(e.explain(p, "R-5", 1, o)),
              (std::vector{not_returned_cause::cooling_down, not_returned_cause::below_kth}));
    EXPECT_EQ(e.explain(p, "R-5", 1, o).reasons[0].text, "in sales_call cooldown until 2026-03-05");
    EXPECT_EQ(e.explain(p, "R-6", 1, o).reasons[0].text, "no consent to sales_call");
    EXPECT_EQ(e.explain(p, "R-7", 1, o).reasons[0].text, "excluded by the prospect");
    EXPECT_EQ(e.explain(p, "R-2", 1, o).reasons[0].text,
              "not in the prospect's sector: NAICS sector 52 Finance and Insurance vs 51");
    const auto weaker = e.explain(p, "R-8", 1, o);
    EXPECT_TRUE(weaker.eligible);
    EXPECT_EQ(weaker.rank, 2u);
    EXPECT_EQ(weaker.summary(), "score 0.4000 below the 1st result's 0.7467 (R-1)");
    EXPECT_TRUE(e.explain(p, "R-8", 2, o).returned);
    EXPECT_EQ(e.explain(p, "R-8", 0, o).summary(), "k is 0: no reference is returned");

    // A reference added after the snapshot, and one that does not exist.
    prog.references.add(make_ref("R-9", "5132", {"crm", "erp"}, "FR", 2));
    EXPECT_EQ(causes_of(e.explain(p, "R-9", 1, o)).front(), not_returned_cause::not_in_snapshot);
    e.refresh();
    EXPECT_TRUE(e.explain(p, "R-9", 1, o).eligible);
    EXPECT_THROW((void)e.explain(p, "R-404", 1, o), not_found_error);
}

TEST(EngineExplain, RandomProgramsAgreeWithTheOracle) {
    std::mt19937_64 rng(20261201);
    const std::size_t sizes[] = {1, 7, 40, 120};
    int explained = 0, returned = 0, below_kth = 0, ineligible = 0;
    for (int round = 0; round < 16; ++round) {
        const auto prog = random_program(rng, sizes[round % 4]);
        const engine e(*prog);
        const auto events = prog->usage.events();
        const auto refs = prog->references.all();
        for (int q = 0; q < 6; ++q) {
            const auto p = random_prospect(rng, *prog);
            auto o = random_options(rng);
            if (rng() % 2) o.holds = random_holds(rng, *prog, p);
            const std::size_t ks[] = {0, 1, 3, 10};
            const std::size_t k = ks[rng() % 4];
            const auto all = oracle::match(*prog, p, refs.size(), o);
            const auto top = e.match(p, k, o);
            for (const auto& r : refs) {
                const std::string context =
                    "round " + std::to_string(round) + " query " + std::to_string(q) + " " + r.id;
                const auto want = oracle::assess(*prog, p, r, o, events);
                const auto got = e.explain(p, r.id, k, o);
                ++explained;
                EXPECT_NEAR(got.score.final_score, want.s.final_score, 1e-9) << context;
                EXPECT_NEAR(got.score.base_score, want.s.base_score, 1e-9) << context;
                EXPECT_NEAR(got.score.components.industry, want.s.components.industry, 1e-12);
                EXPECT_NEAR(got.score.components.geography, want.s.components.geography, 1e-12);
                EXPECT_EQ(got.eligible, want.eligible()) << context;
                const auto pos = std::find_if(all.begin(), all.end(),
                                              [&](const auto& s) { return s.id == r.id; });
                if (want.eligible()) {
                    ASSERT_NE(pos, all.end()) << context;
                    EXPECT_EQ(got.rank, static_cast<std::size_t>(pos - all.begin()) + 1) << context;
                }
                const bool in_top = std::any_of(top.begin(), top.end(), [&](const match_result& m) {
                    return m.reference_id == r.id;
                });
                EXPECT_EQ(got.returned, in_top) << context;
                EXPECT_EQ(got.reasons.empty(), in_top) << context;
                // Ranked after the k-th eligible reference of the oracle (or k is 0).
                const auto after = [&](const oracle::scored& kth) {
                    return kth.final_score > want.s.final_score ||
                           (kth.final_score == want.s.final_score && kth.id < r.id);
                };
                const bool below = !in_top && (k == 0 || (all.size() >= k && after(all[k - 1])));
                const auto causes = causes_of(got);
                const auto has = [&](not_returned_cause c) {
                    return std::find(causes.begin(), causes.end(), c) != causes.end();
                };
                EXPECT_EQ(has(not_returned_cause::inactive), want.inactive) << context;
                EXPECT_EQ(has(not_returned_cause::excluded), want.excluded) << context;
                EXPECT_EQ(has(not_returned_cause::industry_filter), want.sector) << context;
                EXPECT_EQ(has(not_returned_cause::geography_filter), want.geography) << context;
                EXPECT_EQ(has(not_returned_cause::product_filter), want.products) << context;
                EXPECT_EQ(has(not_returned_cause::no_consent), want.no_consent) << context;
                EXPECT_EQ(has(not_returned_cause::at_limit), want.at_limit) << context;
                EXPECT_EQ(has(not_returned_cause::cooling_down), want.cooling) << context;
                EXPECT_EQ(has(not_returned_cause::below_min_score), want.below_min) << context;
                EXPECT_EQ(has(not_returned_cause::predicate), want.predicate) << context;
                EXPECT_EQ(has(not_returned_cause::below_kth), below) << context;
                if (::testing::Test::HasFailure()) return;
                returned += in_top;
                below_kth += below;
                ineligible += !want.eligible();
            }
        }
    }
    // Not vacuous: every kind of answer shows many times.
    EXPECT_GT(returned, explained / 100);  // k is small: most references are not returned
    EXPECT_GT(below_kth, explained / 10);
    EXPECT_GT(ineligible, explained / 5);
}

}  // namespace
