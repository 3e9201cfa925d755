// The program generator: determinism, validity, and the shape a real vendor's program has.

#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

namespace {

refmatch::generator_options small(std::uint64_t seed) {
    refmatch::generator_options o;
    o.seed = seed;
    o.references = 3000;
    o.prospects = 400;
    o.products = 40;
    return o;
}

}  // namespace

TEST(Generator, SameSeedSameProgram) {
    const auto a = refmatch::generate_program(small(7));
    const auto b = refmatch::generate_program(small(7));
    const auto c = refmatch::generate_program(small(8));
    EXPECT_EQ(a->references.all(), b->references.all());
    EXPECT_EQ(a->prospects.all(), b->prospects.all());
    EXPECT_EQ(a->usage.events(), b->usage.events());
    EXPECT_NE(a->references.all(), c->references.all());
}

TEST(Generator, MakesTheRequestedCounts) {
    const auto p = refmatch::generate_program(small(1));
    EXPECT_EQ(p->references.size(), 3000u);
    EXPECT_EQ(p->prospects.size(), 400u);
    EXPECT_EQ(p->vocab->products.size(), 40u);
    EXPECT_GT(p->usage.size(), 3000u);
    EXPECT_TRUE(p->vocab->activities.find("webinar"));
    EXPECT_THROW(
        [] {
            auto o = small(1);
            o.products = 0;
            (void)refmatch::generate_program(o);
        }(),
        refmatch::validation_error);
}

TEST(Generator, IsSkewedLikeARealCustomerBase) {
    const auto p = refmatch::generate_program(small(3));
    const auto& v = *p->vocab;
    std::map<std::string, std::size_t> sectors, regions, countries;
    std::map<std::uint32_t, std::size_t> depths;
    std::map<refmatch::reference_status, std::size_t> statuses;
    std::size_t known_industry = 0, known_country = 0;
    p->references.for_each([&](const refmatch::stored_reference& s) {
        ++statuses[s.record().status];
        if (s.codes.industry == refmatch::taxonomy::npos) {
            ++depths[0];
        } else {
            ++known_industry;
            ++depths[v.industries.depth(s.codes.industry)];
            ++sectors[v.industries.code(v.industries.ancestor_at_depth(s.codes.industry, 1))];
        }
        if (s.codes.geography != refmatch::taxonomy::npos && s.record().country != "AQ") {
            ++known_country;
            ++countries[s.record().country];
            ++regions[v.geography.code(v.geography.ancestor_at_depth(s.codes.geography, 1))];
        }
    });
    // Codes at every level, and some missing.
    for (std::uint32_t d = 0; d <= 5; ++d) EXPECT_GT(depths[d], 0u) << "depth " << d;
    // Four sectors (finance, information, professional services, manufacturing) hold about
    // 59% of the weight; a uniform spread over 20 sectors would give them 20%.
    const auto top4 = sectors["52"] + sectors["51"] + sectors["54"] + sectors["31-33"];
    EXPECT_GT(static_cast<double>(top4) / static_cast<double>(known_industry), 0.45);
    // Americas (019) and Europe (150) lead; the United States is the largest country.
    EXPECT_GT(
        static_cast<double>(regions["019"] + regions["150"]) / static_cast<double>(known_country),
        0.6);
    const auto largest = std::max_element(countries.begin(), countries.end(),
                                          [](auto& a, auto& b) { return a.second < b.second; });
    EXPECT_EQ(largest->first, "US");
    // Mostly active.
    EXPECT_GT(statuses[refmatch::reference_status::active], p->references.size() / 2);
    EXPECT_GT(statuses[refmatch::reference_status::retired], 0u);
}

TEST(Generator, UsageRespectsQuotasAndSomeReferencesAreAtTheirQuota) {
    const auto opts = small(5);
    const auto p = refmatch::generate_program(opts);
    const auto reader = p->usage.read();
    std::size_t at_quota = 0;
    // Brute force over every event: the count in the window ending on that day never exceeds
    // the limit, and consecutive uses are at least the cooldown apart.
    std::map<std::pair<std::string, std::uint16_t>, std::vector<refmatch::date>> uses;
    for (const auto& e : reader.events()) uses[{e.reference_id, e.activity.value}].push_back(e.day);
    for (auto& [key, days] : uses) {
        std::sort(days.begin(), days.end());
        const auto r = p->references.at(key.first);
        const auto limit = r.effective_limit(refmatch::activity_id{key.second}, p->quotas);
        ASSERT_TRUE(r.consents_to(refmatch::activity_id{key.second}));
        for (std::size_t i = 0; i < days.size(); ++i) {
            if (i > 0) {
                EXPECT_GE((days[i] - days[i - 1]).count(), std::max<long>(1, limit.cooldown_days));
            }
            std::size_t in_window = 0;
            for (std::size_t j = 0; j <= i; ++j)
                if ((days[i] - days[j]).count() < static_cast<long>(limit.window_days)) ++in_window;
            if (limit.max_uses) {
                EXPECT_LE(in_window, *limit.max_uses);
            }
        }
        if (limit.max_uses && reader.used(key.first, refmatch::activity_id{key.second},
                                          limit.window_days, opts.now) == *limit.max_uses)
            ++at_quota;
        EXPECT_LE(days.back(), opts.now);
        EXPECT_GT(days.front(), opts.now - std::chrono::days(opts.history_days + 1));
    }
    EXPECT_GT(at_quota, 10u);
}

TEST(Generator, ProspectsAreOpenOpportunities) {
    const auto opts = small(9);
    const auto p = refmatch::generate_program(opts);
    std::size_t urgent = 0, with_activity = 0, with_exclusions = 0, region_only = 0;
    for (const auto& x : p->prospects.all()) {
        ASSERT_TRUE(x.needed_by);
        EXPECT_GE(*x.needed_by, opts.now);
        if (*x.needed_by <= opts.now + std::chrono::days(2)) ++urgent;
        EXPECT_GT(x.deal_value, 0.0);
        EXPECT_FALSE(x.stage.empty());
        if (x.activity) ++with_activity;
        if (!x.exclusions.empty()) ++with_exclusions;
        if (x.country.size() > 3) ++region_only;
        for (const auto& id : x.exclusions) EXPECT_TRUE(p->references.contains(id));
    }
    EXPECT_GT(urgent, 0u);
    EXPECT_GT(with_activity, p->prospects.size() / 2);
    EXPECT_GT(with_exclusions, 0u);
    EXPECT_GT(region_only, 0u);
}

TEST(Generator, ProgramsSurviveASaveAndLoad) {
    const auto p = refmatch::generate_program(small(11));
    const auto dir = std::filesystem::temp_directory_path() / "refmatch_generator_test";
    std::filesystem::remove_all(dir);
    refmatch::save_program(*p, dir);
    const auto q = refmatch::load_program(dir);
    EXPECT_EQ(q->references.all(), p->references.all());
    EXPECT_EQ(q->prospects.all(), p->prospects.all());
    EXPECT_EQ(q->usage.events(), p->usage.events());
    EXPECT_EQ(q->quotas, p->quotas);
    std::filesystem::remove_all(dir);
}
