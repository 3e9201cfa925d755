// The shipped NAICS 2022 and UN M49 taxonomies, checked against hand-worked values from the real
// files (src/data/*.csv).

#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <map>

using refmatch::taxonomy;

namespace {

double sim(const taxonomy& t, const char* a, const char* b) {
    return t.similarity(t.at(a), t.at(b));
}

std::map<std::uint32_t, std::size_t> depth_counts(const taxonomy& t) {
    std::map<std::uint32_t, std::size_t> out;
    for (taxonomy::node_id n = 1; n < t.size(); ++n) ++out[t.depth(n)];
    return out;
}

}  // namespace

TEST(Naics2022, HasAllCodesInFiveLevels) {
    const auto t = refmatch::naics2022();
    EXPECT_EQ(t.size(), 2125u + 1u);  // plus the virtual root
    EXPECT_EQ(t.name(), "NAICS 2022");
    const std::map<std::uint32_t, std::size_t> expected = {
        {1, 20}, {2, 96}, {3, 308}, {4, 689}, {5, 1012}};
    EXPECT_EQ(depth_counts(t), expected);
    EXPECT_EQ(t.max_depth(), 5u);
    EXPECT_EQ(t.children(t.root()).size(), 20u);
}

TEST(Naics2022, RangeSectorsComeFromTheParentColumn) {
    const auto t = refmatch::naics2022();
    // 334 is not a prefix child of any 2-digit code; the file puts it under 31-33.
    EXPECT_EQ(t.code(t.parent(t.at("334"))), "31-33");
    EXPECT_EQ(t.code(t.parent(t.at("445"))), "44-45");
    EXPECT_EQ(t.code(t.parent(t.at("493"))), "48-49");
    EXPECT_EQ(t.title(t.at("31-33")), "Manufacturing");
    EXPECT_EQ(t.depth(t.at("31-33")), 1u);
    EXPECT_FALSE(t.find("31"));
    EXPECT_EQ(t.ancestor_at_depth(t.at("334111"), 1), t.at("31-33"));
}

TEST(Naics2022, WuPalmerHandWorked) {
    const auto t = refmatch::naics2022();
    // 336110 Automobile and 336120 Heavy Duty Truck manufacturing share industry group 3361
    // (depth 3): 2·3 / (5 + 5) = 0.6.
    EXPECT_DOUBLE_EQ(sim(t, "336110", "336120"), 0.6);
    // 541511 and 541512 share NAICS industry 54151 (depth 4): 2·4 / 10 = 0.8.
    EXPECT_DOUBLE_EQ(sim(t, "541511", "541512"), 0.8);
    // 513110 Newspaper and 513210 Software Publishers share subsector 513: 2·2 / 10 = 0.4.
    EXPECT_DOUBLE_EQ(sim(t, "513110", "513210"), 0.4);
    // 513210 (subsector 513) and 518210 (subsector 518) share only sector 51: 2·1 / 10 = 0.2.
    EXPECT_DOUBLE_EQ(sim(t, "513210", "518210"), 0.2);
    // 334111 (subsector 334) and 336110 (336) meet at the range sector 31-33: 0.2.
    EXPECT_DOUBLE_EQ(sim(t, "334111", "336110"), 0.2);
    // 522110 Commercial Banking (sector 52) and 541511 (sector 54): only the root, 0.
    EXPECT_DOUBLE_EQ(sim(t, "522110", "541511"), 0.0);
    // A prospect naming a whole sector: 541511 against 54 is 2·1 / (5 + 1) = 1/3.
    EXPECT_DOUBLE_EQ(sim(t, "541511", "54"), 1.0 / 3.0);
}

TEST(M49Geography, LevelsAndRoot) {
    const auto t = refmatch::m49_geography();
    EXPECT_EQ(t.name(), "UN M49");
    EXPECT_EQ(t.code(t.root()), "001");
    EXPECT_EQ(t.title(t.root()), "World");
    EXPECT_EQ(t.size(), 1u + 5u + 17u + 7u + 249u);
    // Depth 1: the 5 regions and Antarctica; depth 2: 17 sub-regions; depth 3: 7 intermediate
    // regions and the countries directly under a sub-region; depth 4: countries under an
    // intermediate region.
    EXPECT_EQ(t.depth(t.at("150")), 1u);
    EXPECT_EQ(t.depth(t.at("155")), 2u);
    EXPECT_EQ(t.depth(t.at("005")), 3u);
    EXPECT_EQ(t.depth(t.at("FR")), 3u);
    EXPECT_EQ(t.depth(t.at("BR")), 4u);
    EXPECT_EQ(t.depth(t.at("AQ")), 1u);
    EXPECT_EQ(t.parent(t.at("AQ")), t.root());
    std::size_t regions = 0;
    for (const auto child : t.children(t.root()))
        if (t.code(child) != "AQ") ++regions;
    EXPECT_EQ(regions, 5u);
    EXPECT_EQ(t.code(t.parent(t.at("TW"))), "030");  // placed under Eastern Asia
}

TEST(M49Geography, WuPalmerHandWorked) {
    const auto t = refmatch::m49_geography();
    // France and Germany: Western Europe (depth 2), both depth 3: 2·2 / 6 = 2/3.
    EXPECT_DOUBLE_EQ(sim(t, "FR", "DE"), 2.0 / 3.0);
    // France and Italy (Southern Europe): Europe (depth 1): 2·1 / 6 = 1/3.
    EXPECT_DOUBLE_EQ(sim(t, "FR", "IT"), 1.0 / 3.0);
    // France and Japan: different regions: 0.
    EXPECT_DOUBLE_EQ(sim(t, "FR", "JP"), 0.0);
    // Brazil and Argentina: South America (depth 3), both depth 4: 2·3 / 8 = 0.75.
    EXPECT_DOUBLE_EQ(sim(t, "BR", "AR"), 0.75);
    // Brazil and Mexico (Central America): Latin America and the Caribbean (depth 2): 4/8.
    EXPECT_DOUBLE_EQ(sim(t, "BR", "MX"), 0.5);
    // Brazil (depth 4) and the United States (Northern America, depth 3): Americas: 2/7.
    EXPECT_DOUBLE_EQ(sim(t, "BR", "US"), 2.0 / 7.0);
    // A prospect naming a region: Germany against Europe: 2·1 / (3 + 1) = 0.5.
    EXPECT_DOUBLE_EQ(sim(t, "DE", "Europe"), 0.5);
}

TEST(M49Geography, LooksUpCountriesByEveryCode) {
    const auto t = refmatch::m49_geography();
    const auto de = t.at("DE");
    EXPECT_EQ(t.at("de"), de);
    EXPECT_EQ(t.at("DEU"), de);
    EXPECT_EQ(t.at("276"), de);
    EXPECT_EQ(t.at("Germany"), de);
    EXPECT_EQ(t.title(de), "Germany");
    EXPECT_EQ(t.at("United States"), t.at("US"));
    EXPECT_EQ(t.at("Korea, Republic of"), t.at("KR"));
    EXPECT_EQ(t.at("Western Europe"), t.at("155"));
    EXPECT_EQ(t.at("latin america and the caribbean"), t.at("419"));
    EXPECT_EQ(t.at("World"), t.root());
    // The sub-region Micronesia keeps its name; the country is "Micronesia, Federated States of".
    EXPECT_EQ(t.at("Micronesia"), t.at("057"));
    EXPECT_EQ(t.at("FSM"), t.at("FM"));
    EXPECT_FALSE(t.find("Atlantis"));
}

TEST(StandardVocabulary, CombinesShippedDataAndDefaults) {
    refmatch::product_catalog products;
    products.add({"crm", "CRM Suite", "sales"});
    const auto v = refmatch::standard_vocabulary(products);
    EXPECT_EQ(v->industries.size(), 2126u);
    EXPECT_EQ(v->geography.size(), 279u);
    EXPECT_EQ(v->products.size(), 1u);
    EXPECT_EQ(v->activities.size(), 12u);
    EXPECT_EQ(v->sizes.count(), 6u);
    const auto codes = v->resolve("reference 'R-1'", "5132", "DEU", {}, std::nullopt);
    EXPECT_EQ(v->industries.code(codes.industry), "5132");
    EXPECT_EQ(v->geography.code(codes.geography), "DE");
    // 5112 was Software Publishers in NAICS 2017; 2022 moved it to 5132.
    try {
        (void)v->resolve("reference 'R-1'", "5112", "", {}, std::nullopt);
        ADD_FAILURE() << "5112 accepted";
    } catch (const refmatch::validation_error& e) {
        EXPECT_STREQ(e.what(),
                     "reference 'R-1': field 'industry': expected a NAICS 2022 code, got '5112'");
    }
}
