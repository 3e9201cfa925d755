// CRM import and export: the shipped crosswalks, title search, mapping files, the importer on
// hand-written Salesforce and HubSpot exports (messy values included), all-or-nothing and
// skip-bad-rows, and the CSV sent back.

#include <refmatch/crm/crosswalk.hpp>
#include <refmatch/crm/export.hpp>
#include <refmatch/crm/import.hpp>
#include <refmatch/crm/mapping.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <set>

namespace {

using namespace refmatch;
using namespace refmatch::crm;
namespace fs = std::filesystem;

const fs::path data_dir = fs::path(REFMATCH_TEST_DATA_DIR) / "crm";

crm_exports salesforce_exports() {
    crm_exports e;
    e.accounts = crm_export::from_file(data_dir / "salesforce" / "Accounts.csv");
    e.opportunities = crm_export::from_file(data_dir / "salesforce" / "Opportunities.csv");
    e.opportunity_products =
        crm_export::from_file(data_dir / "salesforce" / "OpportunityLineItems.csv");
    e.products = crm_export::from_file(data_dir / "salesforce" / "Products.csv");
    return e;
}

std::vector<std::string> codes(const std::vector<taxonomy_match>& hits) {
    std::vector<std::string> out;
    for (const auto& h : hits) out.push_back(h.code);
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// The import of one accounts file through a mapping, expecting it to fail.
import_report failed_import(const std::string& accounts_csv, const mapping& m) {
    crm_exports e;
    e.accounts = crm_export::from_text("Accounts.csv", accounts_csv);
    try {
        (void)import_crm(e, m);
    } catch (const import_error& err) {
        return err.report();
    }
    ADD_FAILURE() << "the import did not fail";
    return {};
}

// --- Text and search ---------------------------------------------------------------------------

TEST(CrmText, FoldKeyIgnoresCaseAccentsDotsAndSpacing) {
    EXPECT_EQ(detail::fold_key("  Österreich "), "osterreich");
    EXPECT_EQ(detail::fold_key("U.S.A."), "usa");
    EXPECT_EQ(detail::fold_key("Customer - Direct"), "customer direct");
    EXPECT_EQ(detail::fold_key("AIRLINES_AVIATION"), "airlines aviation");
    EXPECT_EQ(detail::fold_key("Straße"), "strasse");
    EXPECT_EQ(detail::fold_key("Łódź"), "lodz");
    EXPECT_EQ(detail::fold_key("РОССИЯ"), detail::fold_key("Россия"));
    EXPECT_EQ(detail::fold_key("日本"), "日本");
}

TEST(TaxonomySearch, FinancialServicesSuggestsTheFinanceSectorAndFinancialInvestments) {
    const auto hits = codes(naics2022().search("Financial Services", 5));
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits.front(), "52");
    EXPECT_TRUE(contains(hits, "5239"));
}

TEST(TaxonomySearch, IgnoresCaseAndAccentsAndRanksExactWordsFirst) {
    const auto t = naics2022();
    EXPECT_EQ(codes(t.search("SOFTWARE", 1)), std::vector<std::string>{"5132"});
    EXPECT_EQ(codes(t.search("manufacturing", 1)), std::vector<std::string>{"31-33"});
    // A title that repeats its parent's is represented by the parent only.
    const auto software = codes(t.search("software publishers", 10));
    EXPECT_FALSE(contains(software, "51321"));
    EXPECT_FALSE(contains(software, "513210"));
    EXPECT_EQ(codes(m49_geography().search("untied kingdom", 1)), std::vector<std::string>{"GB"});
    EXPECT_EQ(codes(m49_geography().search("Côte", 1)), std::vector<std::string>{"CI"});
    EXPECT_TRUE(t.search("zzzz qqqq", 5).empty());
    EXPECT_TRUE(t.search("", 5).empty());
}

TEST(TaxonomySearch, ScoresAreOrderedAndBounded) {
    const auto hits = naics2022().search("health care insurance", 20);
    ASSERT_FALSE(hits.empty());
    for (std::size_t i = 0; i < hits.size(); ++i) {
        EXPECT_GT(hits[i].score, 0.0);
        EXPECT_LE(hits[i].score, 1.0);
        if (i) {
            EXPECT_GE(hits[i - 1].score, hits[i].score);
        }
    }
}

// --- Shipped crosswalks ------------------------------------------------------------------------

TEST(CrmCrosswalk, EverySalesforceIndustryMapsToANaics2022Code) {
    const auto naics = naics2022();
    const auto entries = industry_crosswalk("salesforce");
    EXPECT_EQ(entries.size(), 32u);  // the standard Account Industry pick-list
    for (const auto& e : entries) {
        if (e.value == "Other") {
            EXPECT_EQ(e.naics, "") << "Other is documented as unknown";
            continue;
        }
        EXPECT_TRUE(naics.find(e.naics)) << e.value << " -> '" << e.naics << "'";
    }
    const auto banking = std::find_if(entries.begin(), entries.end(),
                                      [](const industry_entry& e) { return e.value == "Banking"; });
    ASSERT_NE(banking, entries.end());
    EXPECT_EQ(banking->naics, "5221");
}

TEST(CrmCrosswalk, EveryHubSpotIndustryMapsToANaics2022Code) {
    const auto naics = naics2022();
    const auto entries = industry_crosswalk("hubspot");
    EXPECT_EQ(entries.size(), 147u);
    std::set<std::string> values, labels;
    for (const auto& e : entries) {
        EXPECT_TRUE(naics.find(e.naics)) << e.value << " -> '" << e.naics << "'";
        EXPECT_TRUE(values.insert(e.value).second) << e.value;
        EXPECT_TRUE(labels.insert(detail::fold_key(e.label)).second) << e.label;
    }
    EXPECT_THROW((void)industry_crosswalk("pipedrive"), not_found_error);
}

TEST(CrmCrosswalk, EveryCountryAliasNamesAnM49Country) {
    const auto geo = m49_geography();
    std::set<std::string> keys;
    for (const auto& a : country_aliases()) {
        const auto n = geo.find(a.country);
        ASSERT_TRUE(n) << a.alias;
        EXPECT_TRUE(geo.children(*n).empty()) << a.alias << " names a region, not a country";
        EXPECT_EQ(geo.code(*n).size(), 2u) << a.alias;
        EXPECT_TRUE(keys.insert(detail::fold_key(a.alias)).second) << "duplicate " << a.alias;
    }
    for (const char* required : {"UK",          "Great Britain", "England",
                                 "U.S.",        "USA",           "United States of America",
                                 "South Korea", "Russia",        "Vietnam",
                                 "Turkey",      "Türkiye",       "Czech Republic",
                                 "Deutschland", "España",        "Nederland",
                                 "Österreich",  "Schweiz",       "Suisse",
                                 "Italia",      "Polska",        "Brasil",
                                 "México",      "Sverige",       "Danmark",
                                 "Norge",       "Suomi",         "Nippon",
                                 "日本",        "中国",          "대한민국",
                                 "Россия"}) {
        const bool listed = keys.count(detail::fold_key(required)) != 0 || geo.find(required);
        EXPECT_TRUE(listed) << required;
    }
}

TEST(CrmCrosswalk, Naics2017ChangesLeadFromRetiredCodesToCurrentOnes) {
    const auto naics = naics2022();
    ASSERT_FALSE(naics2017_changes().empty());
    for (const auto& c : naics2017_changes()) {
        EXPECT_FALSE(naics.find(c.naics2017)) << c.naics2017 << " is still a 2022 code";
        EXPECT_TRUE(naics.find(c.naics2022)) << c.naics2017 << " -> " << c.naics2022;
        EXPECT_TRUE(c.change == "direct" || c.change == "consolidated" || c.change == "split");
    }
}

TEST(CrmCrosswalk, Naics2017ChangesFollowTheCensusConcordanceInEverySector) {
    // Rows read off the Census "2017 NAICS to 2022 NAICS" concordance by hand, one or more per
    // sector the revision touched; a split goes to the closest code containing every part.
    const std::map<std::string, std::pair<std::string, std::string>> expected = {
        {"212113", {"21211", "split"}},           // anthracite: 212114 and 212115
        {"315220", {"315250", "consolidated"}},   // men's cut and sew apparel
        {"333314", {"333310", "consolidated"}},   // optical instruments and lenses
        {"334613", {"334610", "consolidated"}},   // blank magnetic and optical media
        {"335121", {"335131", "direct"}},         // residential lighting fixtures
        {"424320", {"424350", "consolidated"}},   // men's clothing merchant wholesalers
        {"425110", {"425120", "consolidated"}},   // business to business electronic markets
        {"441310", {"441330", "consolidated"}},   // automotive parts and accessories stores
        {"453998", {"44-45", "split"}},           // all other miscellaneous store retailers
        {"515111", {"516210", "consolidated"}},   // radio networks
        {"517312", {"5171", "split"}},            // wireless carriers: 517112 and 517122
        {"522298", {"522299", "consolidated"}},   // all other nondepository credit
        {"811212", {"811210", "consolidated"}}};  // computer and office machine repair
    std::map<std::string, std::pair<std::string, std::string>> shipped;
    std::set<std::string> seen;
    for (const auto& c : naics2017_changes()) {
        EXPECT_TRUE(seen.insert(c.naics2017).second) << c.naics2017 << " is listed twice";
        if (expected.count(c.naics2017) != 0) shipped[c.naics2017] = {c.naics2022, c.change};
    }
    EXPECT_EQ(shipped, expected);

    // And the import takes them: a manufacturing and a wholesale 2017 code.
    crm_exports e;
    e.accounts = crm_export::from_text("a.csv", "Id,Industry\nA-1,333316\nA-2,424330\n");
    const auto p = import_crm(e, preset_mapping("salesforce")).imported;
    EXPECT_EQ(p->references.at("A-1").industry, "333310");
    EXPECT_EQ(p->references.at("A-2").industry, "424350");
}

TEST(CrmCrosswalk, SicCodesLeadToTheClosestNaics2022CodeOfAllTheirParts) {
    const auto naics = naics2022();
    ASSERT_GT(sic_to_naics().size(), 900U);
    std::set<std::string> seen;
    for (const auto& s : sic_to_naics()) {
        EXPECT_EQ(s.sic.size(), 4U) << s.sic;
        EXPECT_TRUE(seen.insert(s.sic).second) << s.sic << " is listed twice";
        ASSERT_FALSE(s.parts.empty()) << s.sic;
        for (const auto& p : s.parts) EXPECT_TRUE(naics.find(p)) << s.sic << " -> " << p;
        EXPECT_EQ(s.change, s.parts.size() == 1 ? "direct" : "split") << s.sic;
        // The target contains every part, and no deeper code does (the oracle: the lowest
        // common ancestor in the taxonomy, computed here from the parts).
        auto lca = naics.find(s.parts.front()).value();
        for (const auto& p : s.parts) lca = naics.lca(lca, naics.find(p).value());
        const bool across_sectors = lca == naics.root();
        EXPECT_EQ(s.naics2022, across_sectors ? "" : naics.code(lca)) << s.sic;
    }
    // Rows of the Census 1987 SIC -> 2002 NAICS concordance, carried to 2022 by hand.
    const auto row = [&](std::string_view sic) {
        const auto t = sic_to_naics();
        return *std::find_if(t.begin(), t.end(), [&](const auto& s) { return s.sic == sic; });
    };
    EXPECT_EQ(row("3571").naics2022, "334111");  // electronic computers
    EXPECT_EQ(row("7371").naics2022, "541511");  // computer programming services
    EXPECT_EQ(row("6021").naics2022, "522");     // national banks: 522110 and 522210
    EXPECT_EQ(row("7372").naics2022, "");        // software: 334610 and 513210
    EXPECT_EQ(row("7372").parts, (std::vector<std::string>{"334610", "513210"}));
}

TEST(CrmImport, SicCodesAreReadWhenTheMappingSaysSo) {
    crm_exports e;
    e.accounts = crm_export::from_text(
        "a.csv", "Id,Industry\nA-1,7371\nA-2,3571 - Electronic Computers\nA-3,Banking\n");
    // By default a code is NAICS: 7371 and 3571 are not NAICS 2022 codes.
    try {
        (void)import_crm(e, preset_mapping("salesforce"));
        ADD_FAILURE() << "SIC codes were taken as NAICS";
    } catch (const import_error& x) {
        ASSERT_EQ(x.report().problems.size(), 2U);
        EXPECT_EQ(x.report().problems[0].value, "7371");
    }
    const auto sic =
        parse_mapping(R"({"extends": "salesforce", "industry_code": "sic"})", "s.json");
    const auto p = import_crm(e, sic).imported;
    EXPECT_EQ(p->references.at("A-1").industry, "541511");
    EXPECT_EQ(p->references.at("A-2").industry, "334111");
    EXPECT_EQ(p->references.at("A-3").industry, "5221");  // pick-list values still map

    // A SIC whose parts lie in different sectors is a problem naming them, until the mapping
    // picks one; 5411 is SIC grocery stores, not NAICS legal services.
    crm_exports soft;
    soft.accounts = crm_export::from_text("a.csv", "Id,Industry\nA-1,7372\nA-2,5411\n");
    try {
        (void)import_crm(soft, sic);
        ADD_FAILURE() << "7372 was mapped";
    } catch (const import_error& x) {
        ASSERT_EQ(x.report().problems.size(), 1U);
        const auto& problem = x.report().problems[0];
        EXPECT_EQ(problem.value, "7372");
        EXPECT_NE(problem.message().find("SIC 7372 Prepackaged Software went to 334610, 513210"),
                  std::string::npos)
            << problem.message();
        EXPECT_EQ(problem.suggestions.at(1), "513210 Software Publishers");
    }
    const auto picked = parse_mapping(R"({"extends": "salesforce", "industry_code": "sic",
        "accounts": {"industry": {"columns": ["Industry"], "values": {"7372": "513210"}}}})",
                                      "picked.json");
    const auto q = import_crm(soft, picked).imported;
    EXPECT_EQ(q->references.at("A-1").industry, "513210");
    EXPECT_EQ(q->references.at("A-2").industry, "44-45");  // its parts are all retail

    EXPECT_THROW(
        (void)parse_mapping(R"({"extends": "salesforce", "industry_code": "isic"})", "bad.json"),
        parse_error);
}

// --- Mapping files -----------------------------------------------------------------------------

TEST(CrmMapping, PresetsParse) {
    for (const auto& name : preset_names()) {
        const auto m = preset_mapping(name);
        EXPECT_EQ(m.name, name);
        EXPECT_TRUE(m.accounts.find("id"));
        EXPECT_TRUE(m.opportunities.find("account_id"));
        EXPECT_FALSE(m.exports.at("matches").empty());
    }
    EXPECT_THROW((void)preset_mapping("dynamics"), not_found_error);
}

TEST(CrmMapping, ErrorsNameTheKey) {
    const auto message = [](const std::string& json) {
        try {
            (void)parse_mapping(json, "mine.json");
        } catch (const parse_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string head = R"({"format": "refmatch-crm-mapping", "version": 1, )";
    EXPECT_EQ(message(R"({"format": "refmatch-crm-mapping", "version": 2})"),
              "mine.json: field 'version': expected format version 1, got '2'");
    EXPECT_EQ(message(head + R"("accounts": {"industy": "Industry"}})"),
              "mine.json: field 'accounts.industy': expected one of id, name, industry, country, "
              "employees, size_band, products, owner, role, status, consents, nps, csat, health, "
              "last_contact, skip, got 'industy'");
    EXPECT_EQ(message(head + R"("accounts": {"industry": {"columns": 3}}})"),
              "mine.json: field 'accounts.industry.columns': expected a column name or a list of "
              "them, got '3'");
    EXPECT_EQ(message(head + R"("dates": ["DD/MM/YY"]})"),
              "mine.json: field 'dates': expected a date format of YYYY, MM, M, DD, D and "
              "separators, got 'DD/MM/YY'");
    EXPECT_EQ(message(head + R"("dates": ["MM/DD"]})"),
              "mine.json: field 'dates': expected a date format with a year, a month and a day, "
              "got 'MM/DD'");
    EXPECT_EQ(message(head + R"("territories": {"DACH": ["DE", "AT", "XX"]}})"),
              "mine.json: field 'territories.DACH': expected codes of UN M49 countries or "
              "regions, got 'XX'");
    EXPECT_EQ(message(head + R"("numbers": {"thousands": ".", "decimal": "."}})"),
              "mine.json: field 'numbers': expected different thousands and decimal separators, "
              "got '{\"decimal\":\".\",\"thousands\":\".\"}'");
    EXPECT_EQ(message(R"({"extends": "zoho"})"),
              "mine.json: field 'extends': expected a preset: hubspot or salesforce, got 'zoho'");
}

TEST(CrmMapping, ExtendsAPresetAndReplacesItsKeys) {
    const auto m =
        parse_mapping(R"({"extends": "salesforce", "numbers": {"thousands": ".", "decimal": ","},
        "accounts": {"industry": ["Branche"]}})",
                      "de.json");
    EXPECT_EQ(m.numbers.thousands, '.');
    EXPECT_EQ(m.accounts.find("industry")->columns, std::vector<std::string>{"Branche"});
    EXPECT_TRUE(m.accounts.find("country"));  // kept from the preset
    EXPECT_EQ(m.industry_crosswalk, "salesforce");
}

// --- Import --------------------------------------------------------------------------------

TEST(CrmImport, SalesforceExportsImportWithThePreset) {
    const auto result = import_crm(salesforce_exports(), preset_mapping("salesforce"));
    const auto& p = *result.imported;
    // Products keep their Salesforce record ids; names and codes match them.
    ASSERT_EQ(p.vocab->products.size(), 3u);
    const std::string crm = "01t5g00000P1aAAAAZ", analytics = "01t5g00000P1aBAAAZ",
                      commerce = "01t5g00000P1aCAAAZ";

    ASSERT_EQ(p.references.size(), 5u);  // customers; prospects' accounts stay accounts
    const auto nordbank = p.references.at("0015g00000KX1aAAAT");
    EXPECT_EQ(nordbank.name, "Nordbank AG");
    EXPECT_EQ(nordbank.industry, "5221");    // Banking
    EXPECT_EQ(nordbank.country, "DE");       // Deutschland
    EXPECT_EQ(nordbank.size, size_band(4));  // "12,500" employees
    EXPECT_EQ(nordbank.products, (std::vector<std::string>{crm, analytics}));
    EXPECT_EQ(nordbank.status, reference_status::active);  // the preset's default
    EXPECT_TRUE(nordbank.consents_to(activity::sales_call));
    const auto thames = p.references.at("0015g00000KX1aBAAT");  // "customer - direct ", "UK"
    EXPECT_EQ(thames.industry, "524");
    EXPECT_EQ(thames.country, "GB");
    EXPECT_EQ(thames.products, std::vector<std::string>{crm});  // "crm"
    const auto pixelwerk = p.references.at("0015g00000KX1aCAAT");
    EXPECT_EQ(pixelwerk.industry, "5415");  // Technology, the documented choice
    EXPECT_EQ(pixelwerk.country, "AT");     // Österreich
    EXPECT_EQ(pixelwerk.products, (std::vector<std::string>{analytics, commerce}));
    const auto kagayaki = p.references.at("0015g00000KX1aEAAT");
    EXPECT_EQ(kagayaki.industry, "");                                // blank industry: unknown
    EXPECT_EQ(kagayaki.country, "JP");                               // 日本
    EXPECT_EQ(p.references.at("0015g00000KX1aFAAT").country, "US");  // U.S.
    EXPECT_FALSE(p.references.contains("0015g00000KX1aDAAT"));       // Type Prospect

    ASSERT_EQ(p.prospects.size(), 3u);  // the Closed Won opportunity is skipped
    const auto bodega = p.prospects.at("0065g00000Q1aAAAAZ");
    EXPECT_EQ(bodega.name, "Bodega Rioja - Analytics");
    EXPECT_EQ(bodega.industry, "311");  // from its account: Food & Beverage
    EXPECT_EQ(bodega.country, "ES");    // España
    EXPECT_EQ(bodega.size, size_band(3));
    EXPECT_EQ(bodega.deal_value, 48000.0);                  // "$48,000.00"
    EXPECT_EQ(bodega.needed_by, parse_date("2025-07-15"));  // 7/15/2025
    EXPECT_EQ(bodega.stage, "Needs Analysis");
    EXPECT_EQ(bodega.products, std::vector<std::string>{analytics});
    const auto maple = p.prospects.at("0065g00000Q1aBAAAZ");
    EXPECT_EQ(maple.needed_by, parse_date("2025-09-30"));
    EXPECT_EQ(maple.products, (std::vector<std::string>{crm, analytics}));
    // An upsell never gets its own account as a reference.
    EXPECT_EQ(p.prospects.at("0065g00000Q1aCAAAZ").exclusions,
              std::vector<std::string>{"0015g00000KX1aBAAT"});

    const auto& r = result.report;
    ASSERT_EQ(r.files.size(), 4u);
    EXPECT_EQ(r.files[1].table, "accounts");
    EXPECT_EQ(r.files[1].read, 7u);
    EXPECT_EQ(r.files[1].mapped, 7u);
    EXPECT_EQ(r.files[2].read, 4u);
    EXPECT_EQ(r.files[2].mapped, 3u);
    EXPECT_EQ(r.files[2].skipped, 1u);
    EXPECT_EQ(r.files[3].skipped, 1u);  // the line item of the closed opportunity
    EXPECT_TRUE(r.problems.empty());
    EXPECT_EQ(r.summary(),
              "Products.csv (products): 3 rows read, 3 mapped, 0 rejected\n"
              "Accounts.csv (accounts): 7 rows read, 7 mapped, 0 rejected\n"
              "Opportunities.csv (opportunities): 4 rows read, 3 mapped, 1 skipped, 0 rejected\n"
              "OpportunityLineItems.csv (opportunity_products): 5 rows read, 4 mapped, 1 skipped, "
              "0 rejected\n"
              "program: 5 references, 3 prospects, 3 products\n"
              "outcomes: 1 won, 0 lost, 3 open\n");
    ASSERT_EQ(result.outcomes.size(), 4u);
    EXPECT_EQ(result.outcomes[3].opportunity_id, "0065g00000Q1aDAAAZ");
    EXPECT_EQ(result.outcomes[3].status, measurement::deal_status::won);
    EXPECT_EQ(result.outcomes[3].amount, 30000.0);
    EXPECT_EQ(result.outcomes[3].closed, parse_date("2025-03-31"));
    EXPECT_EQ(result.outcomes[3].country, "US");  // Acme Robotics' account
}

TEST(CrmImport, HubSpotExportsImportWithThePreset) {
    crm_exports e;
    e.accounts = crm_export::from_file(data_dir / "hubspot" / "companies.csv");
    e.opportunities = crm_export::from_file(data_dir / "hubspot" / "deals.csv");
    const auto result = import_crm(e, preset_mapping("hubspot"));
    const auto& p = *result.imported;
    ASSERT_EQ(p.references.size(), 4u);  // Customer, Evangelist, customer, Customer
    const auto lumen = p.references.at("9871234501");
    EXPECT_EQ(lumen.industry, "5221");
    EXPECT_EQ(lumen.country, "SE");                               // Sverige
    EXPECT_EQ(lumen.size, size_band(3));                          // "4,300"
    EXPECT_EQ(p.references.at("9871234502").industry, "5132");    // Computer Software
    EXPECT_EQ(p.references.at("9871234502").country, "NO");       // Norge
    EXPECT_EQ(p.references.at("9871234503").industry, "62");      // Hospital & Health Care
    EXPECT_EQ(p.references.at("9871234503").country, "FI");       // Suomi
    EXPECT_EQ(p.references.at("9871234505").industry, "334413");  // SEMICONDUCTORS (stored value)
    EXPECT_EQ(p.references.at("9871234505").country, "KR");       // South Korea

    ASSERT_EQ(p.prospects.size(), 2u);  // the Closed Won deal is skipped
    const auto danske = p.prospects.at("5551000001");
    EXPECT_EQ(danske.industry, "4885");
    EXPECT_EQ(danske.country, "DK");
    EXPECT_EQ(danske.needed_by, parse_date("2025-09-30"));  // time of day ignored
    EXPECT_EQ(danske.products, (std::vector<std::string>{"CRM", "Analytics"}));
    const auto warsaw = p.prospects.at("5551000002");
    EXPECT_EQ(warsaw.deal_value, 12000.0);
    EXPECT_EQ(warsaw.country, "PL");
    EXPECT_FALSE(warsaw.size);  // blank employee count
    // Without a catalogue export, the catalogue is the products named, first spelling first.
    ASSERT_EQ(p.vocab->products.size(), 3u);
    EXPECT_EQ(p.vocab->products[2].id, "Commerce Cloud");
    // Every deal is an outcome: the Closed Won one won on its close date, the others open.
    const auto& o = result.outcomes;
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[2].opportunity_id, "5551000003");
    EXPECT_EQ(o[2].status, measurement::deal_status::won);
    EXPECT_EQ(o[2].amount, 40000.0);
    EXPECT_EQ(o[2].closed, parse_date("2025-01-31"));
    EXPECT_EQ(o[2].industry, "5221");  // Lumen Bank's
    EXPECT_EQ(o[2].country, "SE");
    EXPECT_EQ(o[0].status, measurement::deal_status::open);
    EXPECT_FALSE(o[0].closed);
    EXPECT_EQ(o[1].amount, 12000.0);
}

TEST(CrmImport, OpportunityOutcomesComeFromStageFlagsAmountAndDates) {
    crm_exports e;
    e.accounts = crm_export::from_file(data_dir / "salesforce" / "Accounts.csv");
    e.opportunities = crm_export::from_file(data_dir / "outcomes" / "Opportunities.csv");
    const auto result = import_crm(e, preset_mapping("salesforce"));
    using measurement::deal_status;
    const auto& o = result.outcomes;
    ASSERT_EQ(o.size(), 5u);  // every opportunity, in file order
    // Closed Won with IsClosed/IsWon true: won, its account's segment, the time of day dropped.
    EXPECT_EQ(o[0].opportunity_id, "0065g00000R1aAAAAZ");
    EXPECT_EQ(o[0].name, "Bodega Rioja - Analytics");
    EXPECT_EQ(o[0].status, deal_status::won);
    EXPECT_EQ(o[0].stage, "Closed Won");
    EXPECT_EQ(o[0].amount, 48000.0);  // "$48,000.00"
    EXPECT_EQ(o[0].created, parse_date("2025-03-01"));
    EXPECT_EQ(o[0].closed, parse_date("2025-07-15"));  // 7/15/2025
    EXPECT_EQ(o[0].industry, "311");                   // Food & Beverage, from the account
    EXPECT_EQ(o[0].country, "ES");
    EXPECT_EQ(o[0].size, size_band(3));
    // IsClosed TRUE, IsWon FALSE: lost.
    EXPECT_EQ(o[1].status, deal_status::lost);
    EXPECT_EQ(o[1].amount, 120000.0);
    EXPECT_EQ(o[1].closed, parse_date("2025-09-30"));
    EXPECT_EQ(o[1].industry, "62");  // Healthcare
    EXPECT_EQ(o[1].country, "CA");
    // Open: the close date is the expected one, not an outcome's.
    EXPECT_EQ(o[2].status, deal_status::open);
    EXPECT_EQ(o[2].amount, 15500.0);
    EXPECT_FALSE(o[2].closed);
    EXPECT_EQ(o[2].created, parse_date("2025-06-02"));
    EXPECT_EQ(o[2].industry, "524");
    // A stage the mapping does not know ("Closed - Signed") with the flags 1/1: the flags decide.
    EXPECT_EQ(o[3].status, deal_status::won);
    EXPECT_EQ(o[3].stage, "Closed - Signed");
    EXPECT_EQ(o[3].closed, parse_date("2025-03-31"));
    // No flags: the stage "Closed Won" through the preset's outcome values; no created date.
    EXPECT_EQ(o[4].status, deal_status::won);
    EXPECT_EQ(o[4].amount, 9000.0);
    EXPECT_FALSE(o[4].created);
    EXPECT_EQ(o[4].closed, parse_date("2025-02-28"));
    EXPECT_EQ(o[4].industry, "");  // its account's industry is blank
    EXPECT_EQ(o[4].country, "JP");
    measurement::check_outcomes(o, *result.imported->vocab);

    // Only the open opportunity is a prospect: the closed ones are outcomes only, the
    // "Closed - Signed" one too although the preset's skip list does not name its stage.
    const auto& p = *result.imported;
    ASSERT_EQ(p.prospects.size(), 1u);
    EXPECT_TRUE(p.prospects.contains("0065g00000R1aCAAAZ"));
    const auto& r = result.report;
    EXPECT_EQ(r.files[1].read, 5u);
    EXPECT_EQ(r.files[1].mapped, 1u);
    EXPECT_EQ(r.files[1].skipped, 4u);
    EXPECT_EQ(r.outcomes, (std::array<std::size_t, 3>{1, 3, 1}));  // open, won, lost
    EXPECT_NE(r.summary().find("program: 5 references, 1 prospects, 3 products\n"
                               "outcomes: 3 won, 1 lost, 1 open\n"),
              std::string::npos)
        << r.summary();
}

TEST(CrmImport, OutcomeProblemsAreReportedAndImportNothing) {
    crm_exports e;
    e.opportunities =
        crm_export::from_text("Opps.csv",
                              "Id,Name,StageName,Amount,CloseDate,CreatedDate,IsWon\n"
                              "X1,no close date,Closed Won,1000,,2025-01-01,\n"
                              "X2,created after closed,Closed Lost,1000,1/5/2025,2025-02-01,\n"
                              "X3,not a flag,Prospecting,1000,2/5/2025,2025-02-01,maybe\n"
                              "X4,fine,Closed Lost,500,2/5/2025,2025-02-01,false\n");
    try {
        (void)import_crm(e, preset_mapping("salesforce"));
        FAIL() << "the import did not fail";
    } catch (const import_error& err) {
        const auto& problems = err.report().problems;
        ASSERT_EQ(problems.size(), 3u);
        EXPECT_EQ(problems[0].message(),
                  "Opps.csv:2: field 'CloseDate': expected a close date for a won or lost "
                  "opportunity, got ''");
        EXPECT_EQ(problems[1].message(),
                  "Opps.csv:3: field 'CreatedDate': expected a day on or before the close date "
                  "2025-01-05, got '2025-02-01'");
        EXPECT_EQ(problems[2].message(),
                  "Opps.csv:4: field 'IsWon': expected true or false (1 or 0, yes or no), got "
                  "'maybe'");
        EXPECT_EQ(problems[2].reason, "bad flag");
    }
    // Without the outcome columns an export imports no outcomes.
    crm_exports plain;
    plain.opportunities =
        crm_export::from_text("Opps.csv", "Id,Name,Amount\nY1,an opportunity,1000\n");
    const auto result = import_crm(plain, preset_mapping("salesforce"));
    EXPECT_TRUE(result.outcomes.empty());
    EXPECT_EQ(result.imported->prospects.size(), 1u);
}

TEST(CrmImport, ColumnsImportLikeTheirCsv) {
    table_columns accounts = {
        {"Id", {"A-1", "A-2"}},
        {"Name", {"Nordbank AG", std::nullopt}},
        {"Industry", {"Banking", std::nullopt}},
        {"BillingCountry", {"Schweiz", "Türkiye"}},
        {"NumberOfEmployees", {"250", std::nullopt}},
    };
    crm_exports e;
    e.accounts = crm_export::from_columns("accounts", accounts);
    const auto from_columns = import_crm(e, preset_mapping("salesforce"));
    e.accounts = crm_export::from_text(
        "accounts",
        "Id,Name,Industry,BillingCountry,NumberOfEmployees\nA-1,Nordbank AG,Banking,"
        "Schweiz,250\nA-2,,,Türkiye,\n");
    const auto from_text = import_crm(e, preset_mapping("salesforce"));
    EXPECT_EQ(from_columns.imported->references.all(), from_text.imported->references.all());
    EXPECT_EQ(from_text.imported->references.at("A-1").country, "CH");
    EXPECT_EQ(from_text.imported->references.at("A-2").country, "TR");

    table_columns bad = {{"Id", {"A-1"}}, {"Industry", {"Fintech"}}};
    e.accounts = crm_export::from_columns("frame", bad);
    try {
        (void)import_crm(e, preset_mapping("salesforce"));
        FAIL();
    } catch (const import_error& err) {
        ASSERT_EQ(err.report().problems.size(), 1u);
        EXPECT_EQ(err.report().problems[0].line, 2u);  // row 0, as if below a header
    }
}

TEST(CrmImport, ReportsEveryBadCellWithSuggestionsAndImportsNothing) {
    const auto report = failed_import(
        "Id,Name,Industry,BillingCountry,NumberOfEmployees,Products__c\n"
        "A-1,Good Bank,Banking,Germany,100,CRM\n"
        "A-2,Fin Co,Financial Servics,Atlantis,12.000,\n"
        "A-3,Euro Co,Finance,EMEA,abc,\n"
        "A-1,Again,Banking,DE,10,\n",
        preset_mapping("salesforce"));
    ASSERT_EQ(report.problems.size(), 6u);
    std::vector<std::string> messages;
    for (const auto& p : report.problems) messages.push_back(p.message());
    EXPECT_EQ(messages[0],
              "Accounts.csv:3: field 'Industry': expected a salesforce industry, a NAICS 2022 "
              "code or title, or a value of the mapping's industry values, got 'Financial "
              "Servics'; did you mean 52 Finance and Insurance, 525 Funds, Trusts, and Other "
              "Financial Vehicles, 52599 Other Financial Vehicles?");
    EXPECT_EQ(messages[1],
              "Accounts.csv:3: field 'BillingCountry': expected a country or region of UN M49 (a "
              "name, an ISO 3166-1 code or an alias), got 'Atlantis'");
    EXPECT_EQ(messages[2],
              "Accounts.csv:3: field 'NumberOfEmployees': expected a whole number of employees (if "
              "the export writes thousands with '.', set numbers.thousands to '.' in the mapping), "
              "got '12.000'");
    EXPECT_EQ(messages[3],
              "Accounts.csv:4: field 'BillingCountry': expected a country or UN M49 region ('EMEA' "
              "is a sales territory: declare it under \"territories\" in the mapping as a list of "
              "M49 codes), got 'EMEA'");
    EXPECT_EQ(messages[4],
              "Accounts.csv:4: field 'NumberOfEmployees': expected a number of employees (1200, "
              "1,200, 50-249 or 10,000+), got 'abc'");
    EXPECT_EQ(messages[5],
              "Accounts.csv:5: field 'Id': expected an account id not used before (first on line "
              "2), got 'A-1'");
    EXPECT_EQ(report.rejected_by_reason.at("unknown industry"), 1u);
    EXPECT_EQ(report.rejected_by_reason.at("undeclared territory"), 1u);
    EXPECT_EQ(report.rejected_by_reason.at("duplicate id"), 1u);
    EXPECT_TRUE(report.rejected.empty());  // nothing was skipped: nothing was imported
}

TEST(CrmImport, MissingColumnsAndMalformedCsvEndTheImport) {
    auto report = failed_import("Name,Industry\nX,Banking\n", preset_mapping("salesforce"));
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_EQ(report.problems[0].message(),
              "Accounts.csv:1: expected a column for accounts field 'id' (Id, Account ID, Account "
              "Id), got 'none of them'");
    report = failed_import("Id,Name\n\"A-1,X\n", preset_mapping("salesforce"));
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_EQ(report.problems[0].reason, "unusable file");
}

TEST(CrmImport, SkipBadRowsImportsTheRestAndListsTheRejects) {
    crm_exports e;
    e.accounts = crm_export::from_text("Accounts.csv",
                                       "Id,Name,Type,Industry,BillingCountry\n"
                                       "A-1,Good Bank,Customer - Direct,Banking,DE\n"
                                       "A-2,Bad Co,Customer - Direct,Fintech,DE\n"
                                       "A-3,Prospect Co,Prospect,Retail,FR\n");
    e.opportunities = crm_export::from_text("Opps.csv",
                                            "Id,AccountId,Name,Amount,CloseDate,StageName\n"
                                            "O-1,A-2,Bad Co deal,100,2025-07-01,Prospecting\n"
                                            "O-2,A-3,Prospect deal,200,2025-07-02,Prospecting\n"
                                            "O-3,A-3,Another,300,2025-07-03,Prospecting\n");
    e.opportunity_products = crm_export::from_text("Lines.csv",
                                                   "OpportunityId,ProductCode\n"
                                                   "O-2,CRM-ENT\n"
                                                   "O-3,NOPE\n");
    e.products = crm_export::from_text("Products.csv",
                                       "Id,Name,ProductCode\nP-1,CRM,CRM-ENT\nP-2,Analytics,ANL\n");
    EXPECT_THROW((void)import_crm(e, preset_mapping("salesforce")), import_error);

    const auto result = import_crm(e, preset_mapping("salesforce"), {true});
    const auto& p = *result.imported;
    EXPECT_EQ(p.references.size(), 1u);
    EXPECT_TRUE(p.references.contains("A-1"));
    // O-1 goes with its rejected account, O-3 with its rejected product line.
    ASSERT_EQ(p.prospects.size(), 1u);
    EXPECT_EQ(p.prospects.at("O-2").products, std::vector<std::string>{"P-1"});
    const auto& r = result.report;
    EXPECT_EQ(r.rejected_by_reason.at("unknown industry"), 1u);
    EXPECT_EQ(r.rejected_by_reason.at("account rejected"), 1u);
    EXPECT_EQ(r.rejected_by_reason.at("unknown product"), 1u);
    EXPECT_EQ(r.rejected_by_reason.at("product line rejected"), 1u);
    EXPECT_EQ(r.rows_rejected(), 4u);
    EXPECT_EQ(r.rejects_csv("Opps.csv"),
              "Id,AccountId,Name,Amount,CloseDate,StageName,reject_reason\r\n"
              "O-1,A-2,Bad Co deal,100,2025-07-01,Prospecting,its account 'A-2' (Opps.csv) was "
              "rejected\r\n"
              "O-3,A-3,Another,300,2025-07-03,Prospecting,its product line Lines.csv:3 was "
              "rejected\r\n");
    EXPECT_EQ(r.rejects_csv("Lines.csv"),
              "OpportunityId,ProductCode,reject_reason\r\n"
              "O-3,NOPE,\"Lines.csv:3: field 'ProductCode': expected a product id or name of "
              "the product catalogue, got 'NOPE'\"\r\n");
}

TEST(CrmImport, DeclaredTerritoriesMapToTheirSmallestM49Region) {
    const auto m = parse_mapping(R"({"extends": "salesforce", "territories": {
        "DACH": ["DE", "AT", "CH"], "Nordics": ["SE", "NO", "DK", "FI", "IS"]}})",
                                 "t.json");
    crm_exports e;
    e.accounts =
        crm_export::from_text("a.csv", "Id,BillingCountry\nA-1,DACH\nA-2,nordics\nA-3,150\n");
    const auto p = import_crm(e, m).imported;
    EXPECT_EQ(p->references.at("A-1").country, "155");  // Western Europe
    EXPECT_EQ(p->references.at("A-2").country, "154");  // Northern Europe
    EXPECT_EQ(p->references.at("A-3").country, "150");  // an M49 region as it is
}

TEST(CrmImport, NumberAndDateFormatsOfTheMapping) {
    const auto m = parse_mapping(R"({"extends": "salesforce", "dates": ["DD.MM.YYYY"],
        "numbers": {"thousands": ".", "decimal": ","},
        "industry_crosswalk": ""})",
                                 "de.json");
    crm_exports e;
    e.accounts = crm_export::from_text("a.csv",
                                       "Id,NumberOfEmployees,Industry\nA-1,12.000,511210\n"
                                       "A-2,50-249,Software Publishers\n");
    e.opportunities = crm_export::from_text("o.csv",
                                            "Id,AccountId,Amount,CloseDate\n"
                                            "O-1,A-1,\"1.000,50 €\",15.07.2025\n");
    const auto p = import_crm(e, m).imported;
    EXPECT_EQ(p->references.at("A-1").size, size_band(4));  // 12.000 is twelve thousand here
    EXPECT_EQ(p->references.at("A-1").industry, "513210");  // a NAICS 2017 code, renumbered
    EXPECT_EQ(p->references.at("A-2").size, size_band(1));  // a range: its lower bound
    EXPECT_EQ(p->references.at("A-2").industry, "5132");    // a NAICS title
    EXPECT_EQ(p->prospects.at("O-1").deal_value, 1000.5);
    EXPECT_EQ(p->prospects.at("O-1").needed_by, parse_date("2025-07-15"));
}

// --- Export ----------------------------------------------------------------------------------

TEST(CrmExport, MatchesGoBackOneRowPerOpportunityAndReference) {
    const auto result = import_crm(salesforce_exports(), preset_mapping("salesforce"));
    const auto& p = *result.imported;
    engine e(p);
    match_options o;
    o.now = *parse_date("2025-07-01");
    o.use_prospect_activity = false;
    const auto prospects = p.prospects.all();
    std::vector<std::vector<match_result>> results;
    for (const auto& pr : prospects) results.push_back(e.match(pr, 2, o));
    const auto csv = format_match_export(preset_mapping("salesforce"), prospects, results, *o.now);
    // Hand-built from the results: the mapping's column names, CRM ids, ISO dates.
    std::string expected =
        "Opportunity__c,Reference_Account__c,Rank__c,Match_Score__c,Match_Reason__c,"
        "Matched_On__c\r\n";
    std::size_t rows = 0;
    for (std::size_t i = 0; i < prospects.size(); ++i)
        for (std::size_t k = 0; k < results[i].size(); ++k) {
            char score[32];
            std::snprintf(score, sizeof score, "%.4f", results[i][k].final_score);
            const auto& reason = results[i][k].reason;
            expected += prospects[i].id + "," + results[i][k].reference_id + "," +
                        std::to_string(k + 1) + "," + score + "," +
                        (reason.find(',') == std::string::npos ? reason : "\"" + reason + "\"") +
                        ",2025-07-01\r\n";
            ++rows;
        }
    EXPECT_EQ(rows, 6u);
    EXPECT_EQ(csv, expected);
    // The upsell never lists its own account.
    EXPECT_EQ(csv.find("0065g00000Q1aCAAAZ,0015g00000KX1aBAAT"), std::string::npos);
}

TEST(CrmExport, GapsGoBackOneRowPerOpportunity) {
    gap_report gaps;
    gaps.prospects.push_back({"O-1", 0.61, 2, true, 10.0, "52", "150"});
    gaps.prospects.push_back({"O-2", std::nullopt, 0, false, 5.0, "", ""});
    EXPECT_EQ(format_gap_export(preset_mapping("hubspot"), gaps, *parse_date("2025-07-01")),
              "Deal ID,Best Reference Score,Qualifying References,Reference Covered,Reference "
              "Checked On\r\n"
              "O-1,0.6100,2,true,2025-07-01\r\n"
              "O-2,,0,false,2025-07-01\r\n");
    mapping none;
    EXPECT_THROW((void)format_gap_export(none, gaps, *parse_date("2025-07-01")), validation_error);
}

}  // namespace
