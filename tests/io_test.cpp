// CSV/JSON readers and writers: taxonomy files, program files, error messages, round trips.

#include "test_support.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using refmatch::parse_taxonomy_csv;
using refmatch::taxonomy;

using refmatch::test_support::named;
using refmatch::test_support::parse_message;

TEST(TaxonomyCsv, ParsesAnyColumnOrderQuotingAndCrlf) {
    const auto t = parse_taxonomy_csv(
        "parent,code,title\r\n,A,\"Alpha, the first\"\r\nA,A1,\"Say \"\"hi\"\"\"\r\n\r\n"
        "A1,A11,\"two\r\nlines\"\r\n,B,Beta",
        "t.csv");
    EXPECT_EQ(t.size(), 5u);
    EXPECT_EQ(t.title(t.at("A")), "Alpha, the first");
    EXPECT_EQ(t.title(t.at("A1")), "Say \"hi\"");
    EXPECT_EQ(t.title(t.at("A11")), "two\r\nlines");
    EXPECT_EQ(t.depth(t.at("A11")), 3u);
    EXPECT_EQ(t.depth(t.at("B")), 1u);
}

TEST(TaxonomyCsv, ChecksTheOptionalLevelColumn) {
    EXPECT_NO_THROW((void)parse_taxonomy_csv("code,title,level,parent\nA,a,1,\nA1,a1,2,A\n", "t"));
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,level,parent\nA,a,1,\nA1,a1,3,A\n", "t.csv");
              }),
              "t.csv:3: field 'level': expected the code's depth in the tree (2), got '3'");
}

TEST(TaxonomyCsv, ErrorsNameFileLineAndField) {
    // Line numbers count physical lines, including a quoted field spanning two lines.
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,parent\nA,\"a\nb\",\nA1,a1,Z\n", "t.csv");
              }),
              "t.csv:4: field 'parent': expected a code defined in the taxonomy, got 'Z'");
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,parent\r\nA,a,\r\nA,again,\r\n", "t.csv");
              }),
              "t.csv:3: field 'code': expected a code not defined before (first defined on line "
              "2), got 'A'");
    EXPECT_EQ(parse_message(
                  [] { (void)parse_taxonomy_csv("code,title,parent\nA,a,\n,empty,A\n", "t.csv"); }),
              "t.csv:3: field 'code': expected a non-empty code, got ''");
    EXPECT_EQ(
        parse_message(
            [] { (void)parse_taxonomy_csv("code,title,parent\nA,a,\nX,x,Y\nY,y,X\n", "t.csv"); }),
        "t.csv:3: field 'parent': expected a tree (every code reachable from the root), got 'a "
        "cycle X -> Y -> X'");
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,parent\nA,caf\xC3\xA9,\nB,caf\xE9,\n",
                                           "t.csv");
              }),
              "t.csv:3: field 'title': expected valid UTF-8, got 'caf\\xE9'");
    EXPECT_EQ(parse_message(
                  [] { (void)parse_taxonomy_csv("code,title,parent\nA,a,\nB,\"b,\n", "t.csv"); }),
              // Where the quote opens, not where the text ends.
              "t.csv:3: expected well-formed CSV (RFC 4180 quoting), got 'a quote opened here "
              "and never closed'");
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,parent\nA,a,\nB,b\"x\",\n", "t.csv");
              }),
              "t.csv:3: expected well-formed CSV (RFC 4180 quoting), got 'a stray quote'");
    EXPECT_EQ(parse_message([] { (void)parse_taxonomy_csv("code,title,parent\nA,a\n", "t.csv"); }),
              "t.csv:2: expected 3 fields as in the header, got '2 fields'");
}

TEST(TaxonomyCsv, ReportsUnknownAndMissingColumns) {
    EXPECT_EQ(parse_message([] {
                  (void)parse_taxonomy_csv("code,title,parent,colour,size\nA,a,,red,1\n", "t.csv");
              }),
              "t.csv:1: expected only the columns code, title, parent, level, got 'unknown "
              "columns colour, size'");
    EXPECT_EQ(parse_message([] { (void)parse_taxonomy_csv("code,parent\nA,\n", "t.csv"); }),
              "t.csv:1: expected the required columns code, title, parent, got 'no column title'");
    EXPECT_EQ(parse_message([] { (void)parse_taxonomy_csv("", "t.csv"); }),
              "t.csv:1: expected a header row, got 'an empty file'");
}

TEST(TaxonomyCsv, LoadsFromAFileNamedInMessages) {
    const auto dir = fs::temp_directory_path() / "refmatch_io_test_taxonomy";
    fs::create_directories(dir);
    const auto path = dir / "tiny.csv";
    refmatch::write_file_atomically(path,
                                    "\xEF\xBB\xBF"
                                    "code,title,parent\nA,\xC3\x84pfel,\n");
    const auto t = refmatch::load_taxonomy_csv(path);
    EXPECT_EQ(t.title(t.at("A")), "\xC3\x84pfel");
    refmatch::write_file_atomically(path, "code,title,parent\nA,a,B\n");
    EXPECT_EQ(parse_message([&] { (void)refmatch::load_taxonomy_csv(path); }),
              "tiny.csv:2: field 'parent': expected a code defined in the taxonomy, got 'B'");
    EXPECT_THROW((void)refmatch::load_taxonomy_csv(dir / "absent.csv"), refmatch::error);
    fs::remove_all(dir);
}

// --- Tables -------------------------------------------------------------------------------------

namespace {

using refmatch::file_format;

std::shared_ptr<const refmatch::vocabulary> test_vocabulary() {
    refmatch::product_catalog products;
    products.add({"crm", "CRM Suite", "sales"});
    products.add({"erp", "ERP Core", "finance"});
    products.add({"bi", "Analytics", "data"});
    return refmatch::standard_vocabulary(products);
}

constexpr const char* reference_header =
    "id,name,industry,products,country,size_band,status,consents,nps,csat,health,owner,"
    "last_contact\n";

// A temporary directory removed at the end of a test.
struct temp_dir {
    fs::path path;
    explicit temp_dir(const std::string& name) : path(fs::temp_directory_path() / name) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    void write(const std::string& file, const std::string& text) const {
        std::ofstream(path / file, std::ios::binary) << text;
    }
};

}  // namespace

TEST(ReferencesTable, ParsesEveryField) {
    const auto v = test_vocabulary();
    const std::string text = std::string(reference_header) +
                             "R-1,\"Müller, Söhne & Co\",541511,crm; bi,DEU,1000-4999,active,"
                             "sales_call;case_study:2/365/90;logo_use:-/30/0,9,88.5,71,Ana,"
                             "2025-03-01\n";
    const auto refs = refmatch::parse_references(text, file_format::csv, *v, named("r.csv"));
    ASSERT_EQ(refs.size(), 1u);
    const auto& r = refs[0];
    EXPECT_EQ(r.id, "R-1");
    EXPECT_EQ(r.name, "Müller, Söhne & Co");
    EXPECT_EQ(r.industry, "541511");
    EXPECT_EQ(r.products, (std::vector<std::string>{"crm", "bi"}));
    EXPECT_EQ(r.country, "DEU");
    EXPECT_EQ(r.size, std::optional<std::uint8_t>(3));
    EXPECT_EQ(r.status, refmatch::reference_status::active);
    ASSERT_EQ(r.consents.size(), 3u);
    EXPECT_EQ(r.consents[0].activity, refmatch::activity::sales_call);
    EXPECT_FALSE(r.consents[0].limit);
    EXPECT_EQ(r.consents[1].activity, refmatch::activity::case_study);
    EXPECT_EQ(r.consents[1].limit, (refmatch::quota_limit{2, 365, 90}));
    EXPECT_EQ(r.consents[2].limit, (refmatch::quota_limit{std::nullopt, 30, 0}));
    EXPECT_EQ(r.signals.nps, std::optional<std::uint8_t>(9));
    EXPECT_EQ(r.signals.csat, std::optional<double>(88.5));
    EXPECT_EQ(r.signals.health, std::optional<double>(71.0));
    EXPECT_EQ(r.owner, "Ana");
    EXPECT_EQ(r.last_contact, refmatch::parse_date("2025-03-01"));
}

TEST(ReferencesTable, EmployeesGiveTheSizeBand) {
    const auto v = test_vocabulary();
    const auto refs = refmatch::parse_references(
        "id,name,status,employees\nA,a,active,49\nB,b,active,50\nC,c,active,20000\nD,d,active,\n",
        file_format::csv, *v, named("r.csv"));
    ASSERT_EQ(refs.size(), 4u);
    EXPECT_EQ(refs[0].size, std::optional<std::uint8_t>(0));
    EXPECT_EQ(refs[1].size, std::optional<std::uint8_t>(1));
    EXPECT_EQ(refs[2].size, std::optional<std::uint8_t>(5));
    EXPECT_EQ(refs[3].size, std::nullopt);
}

TEST(ReferencesTable, ErrorMessagesNameFileLineAndField) {
    const auto v = test_vocabulary();
    const auto message = [&](const std::string& row) {
        return parse_message([&] {
            (void)refmatch::parse_references(
                std::string(reference_header) + "R-0,Fine,54,,,,active,,,,,,\n" + row + "\n",
                file_format::csv, *v, named("references.csv"));
        });
    };
    EXPECT_EQ(message("R-1,Bad,Fintech,,,,active,,,,,,"),
              "references.csv:3: field 'industry': expected a NAICS 2022 code, got 'Fintech'");
    EXPECT_EQ(message("R-1,Bad,,,Atlantis,,active,,,,,,"),
              "references.csv:3: field 'country': expected a country or region of UN M49, got "
              "'Atlantis'");
    EXPECT_EQ(message("R-1,Bad,,crm;hr,,,active,,,,,,"),
              "references.csv:3: field 'products': expected a product id of the catalogue, got "
              "'hr'");
    EXPECT_EQ(message("R-1,Bad,,,,7,active,,,,,,"),
              "references.csv:3: field 'size_band': expected a band 0-5 or a label '1-49', "
              "'50-249', '250-999', '1000-4999', '5000-19999', '20000+', got '7'");
    EXPECT_EQ(message("R-1,Bad,,,,,sleeping,,,,,,"),
              "references.csv:3: field 'status': expected one of candidate, active, paused, "
              "retired, got 'sleeping'");
    EXPECT_EQ(message("R-1,Bad,,,,,active,juggling,,,,,"),
              "references.csv:3: field 'consents': expected one of the activity types "
              "name_drop, logo_use, quote, rfp_text, success_story, case_study, roi_case_study, "
              "sales_call, pr, analyst_interview, video_testimonial, site_visit, got 'juggling'");
    EXPECT_EQ(message("R-1,Bad,,,,,active,case_study:2/0/90,,,,,"),
              "references.csv:3: field 'consents': expected a personal limit "
              "max_uses/window_days/cooldown_days such as 2/365/90, got 'case_study:2/0/90'");
    EXPECT_EQ(message("R-1,Bad,,,,,active,,11,,,,"),
              "references.csv:3: field 'nps': expected a whole number 0-10, got '11'");
    EXPECT_EQ(message("R-1,Bad,,,,,active,,,101,,,"),
              "references.csv:3: field 'csat': expected a number 0-100, got '101'");
    EXPECT_EQ(message("R-1,Bad,,,,,active,,,,,,2025-02-30"),
              "references.csv:3: field 'last_contact': expected a date YYYY-MM-DD, got "
              "'2025-02-30'");
    EXPECT_EQ(message("R-0,Again,,,,,active,,,,,,"),
              "references.csv:3: field 'id': expected a reference id not used before (first on "
              "line 2), got 'R-0'");
    EXPECT_EQ(message("R-1,Bad\xFF,,,,,active,,,,,,"),
              "references.csv:3: field 'name': expected valid UTF-8, got 'Bad\\xFF'");
}

TEST(ReferencesTable, UnknownAndMissingColumnsAreNamed) {
    const auto v = test_vocabulary();
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references("id,name,status,industy,colour\n",
                                                   file_format::csv, *v, named("references.csv"));
              }),
              "references.csv:1: expected only the columns id, name, industry, products, country, "
              "size_band, employees, status, consents, nps, csat, health, owner, last_contact, "
              "got 'unknown columns industy, colour'");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references("id,industry\n", file_format::csv, *v,
                                                   named("references.csv"));
              }),
              "references.csv:1: expected the required columns id, name, status, got 'no column "
              "name, status'");
}

TEST(ReferencesTable, CollectsEveryErrorAndKeepsTheGoodRows) {
    const auto v = test_vocabulary();
    std::vector<refmatch::parse_error> errors;
    const auto refs = refmatch::parse_references(
        "id,name,industry,status\nA,a,54,active\nB,b,Fintech,active\nC,c,52,nope\nD,d\nE,e,,"
        "paused\n",
        file_format::csv, *v, named("references.csv", &errors));
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_EQ(refs[0].id, "A");
    EXPECT_EQ(refs[1].id, "E");
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_STREQ(errors[0].what(),
                 "references.csv:3: field 'industry': expected a NAICS 2022 code, got 'Fintech'");
    EXPECT_EQ(errors[1].line(), 4u);
    EXPECT_EQ(errors[1].field(), "status");
    EXPECT_STREQ(errors[2].what(),
                 "references.csv:5: expected 4 fields as in the header, got '2 fields'");
}

TEST(ReferencesTable, RoundTripsThroughCsvAndJson) {
    const auto v = test_vocabulary();
    std::vector<refmatch::reference_customer> refs(3);
    refs[0].id = "R-1";
    refs[0].name = "Société Générale, \"SG\"\nParis ";
    refs[0].industry = "522110";
    refs[0].products = {"crm", "erp"};
    refs[0].country = "FR";
    refs[0].size = 5;
    refs[0].status = refmatch::reference_status::active;
    refs[0].consents = {{refmatch::activity::sales_call, std::nullopt},
                        {refmatch::activity::site_visit, refmatch::quota_limit{1, 730, 365}},
                        {refmatch::activity::quote, refmatch::quota_limit{std::nullopt, 365, 0}}};
    refs[0].signals = {10, 97.25, 0.1};
    refs[0].owner = "Zoë 東京";
    refs[0].last_contact = refmatch::parse_date("2024-12-31");
    refs[1].id = "R-2";
    refs[1].name = " leading space";
    refs[1].status = refmatch::reference_status::retired;
    refs[2].id = "R-3";
    refs[2].name = "日本電気";
    refs[2].country = "Japan";
    refs[2].status = refmatch::reference_status::candidate;
    for (const auto format : {file_format::csv, file_format::json}) {
        const auto text = refmatch::format_references(refs, *v, format);
        EXPECT_EQ(refmatch::parse_references(text, format, *v, named("r")), refs) << text;
    }
}

TEST(JsonTables, CheckFormatVersionAndNameRecordPaths) {
    const auto v = test_vocabulary();
    const auto message = [&](const std::string& text) {
        return parse_message([&] {
            (void)refmatch::parse_references(text, file_format::json, *v, named("references.json"));
        });
    };
    EXPECT_EQ(message(R"({"format": "refmatch-references", "version": 2, "references": []})"),
              "references.json: field 'version': expected format version 1, got '2'");
    EXPECT_EQ(message(R"({"format": "refmatch-prospects", "version": 1})"),
              "references.json: field 'format': expected \"refmatch-references\", got "
              "'\"refmatch-prospects\"'");
    EXPECT_EQ(message(R"({"format": "refmatch-references", "version": 1, "references": [
  {"id": "A", "name": "a", "status": "active"},
  {"id": "B", "name": "b", "status": "active", "industry": "Fintech"}]})"),
              "references.json: field 'references[1].industry': expected a NAICS 2022 code, got "
              "'Fintech'");
    EXPECT_EQ(message(R"({"format": "refmatch-references", "version": 1, "references": [
  {"id": "A", "name": "a", "status": "active", "colour": "red"}]})"),
              "references.json: field 'references[0].': expected only the keys id, name, "
              "industry, products, country, size_band, employees, status, consents, nps, csat, "
              "health, owner, last_contact, got 'unknown keys colour'");
    EXPECT_EQ(
        message("{\"format\": \"refmatch-references\",\n \"version\": 1,\n \"references\": [,]}"),
        "references.json:3: field 'references[0]': expected valid JSON, got 'syntax error "
        "while parsing value - unexpected ','; expected '[', '{', or a literal'");
}

TEST(JsonTables, ReadsStructuredConsentsAndNumbers) {
    const auto v = test_vocabulary();
    const auto refs = refmatch::parse_references(
        R"({"format": "refmatch-references", "version": 1, "references": [
  {"id": "A", "name": "a", "status": "active", "size_band": 2, "nps": 8, "csat": 90,
   "products": ["crm", "bi"],
   "consents": ["logo_use", {"activity": "case_study", "max_uses": 3, "window_days": 180},
                {"activity": "pr", "max_uses": null}]}]})",
        file_format::json, *v, named("references.json"));
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].size, std::optional<std::uint8_t>(2));
    EXPECT_EQ(refs[0].products, (std::vector<std::string>{"crm", "bi"}));
    ASSERT_EQ(refs[0].consents.size(), 3u);
    EXPECT_FALSE(refs[0].consents[0].limit);
    EXPECT_EQ(refs[0].consents[1].limit, (refmatch::quota_limit{3, 180, 0}));
    EXPECT_EQ(refs[0].consents[2].limit, (refmatch::quota_limit{std::nullopt, 365, 0}));
}

TEST(OtherTables, RoundTripProductsQuotasProspectsUsage) {
    const auto v = test_vocabulary();
    for (const auto format : {file_format::csv, file_format::json}) {
        const auto products = refmatch::parse_products(
            refmatch::format_products(v->products, format), format, named("p"));
        EXPECT_EQ(products.products(), v->products.products());

        refmatch::activity_catalog activities;
        const auto webinar = activities.add("webinar");
        refmatch::quota_policy quotas;
        quotas.set(webinar, {5, 30, 2});
        quotas.set(refmatch::activity::logo_use, {100, 365, 0});
        refmatch::activity_catalog reread;
        const auto parsed = refmatch::parse_quotas(
            refmatch::format_quotas(quotas, activities, format), format, reread, named("q"));
        EXPECT_EQ(reread.names(), activities.names());
        EXPECT_EQ(parsed, quotas);

        std::vector<refmatch::prospect> prospects(2);
        prospects[0] = {"P-1",
                        "Acme, Inc.",
                        "31-33",
                        {"erp"},
                        "Brazil",
                        2,
                        125000.5,
                        "negotiation",
                        refmatch::activity::sales_call,
                        refmatch::parse_date("2025-06-30"),
                        {"R-1", "R-9"},
                        "Rep Á"};
        prospects[1].id = "P-2";
        EXPECT_EQ(refmatch::parse_prospects(refmatch::format_prospects(prospects, *v, format),
                                            format, *v, named("p")),
                  prospects);

        const std::vector<refmatch::usage_event> usage = {
            {"R-1", refmatch::activity::case_study, "P-1", *refmatch::parse_date("2025-01-05")},
            {"R-2", refmatch::activity::logo_use, "", *refmatch::parse_date("2024-11-30")}};
        EXPECT_EQ(refmatch::parse_usage(refmatch::format_usage(usage, *v, format), format, *v,
                                        named("u")),
                  usage);
    }
}

TEST(OtherTables, QuotaErrorsRegisterNothing) {
    refmatch::activity_catalog activities;
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_quotas(
                      "activity,max_uses,window_days,cooldown_days\nwebinar,5,30,0\n"
                      "sales_call,0,90,7\n",
                      file_format::csv, activities, named("quotas.csv"));
              }),
              "quotas.csv:3: field 'max_uses': expected a whole number >= 1, or empty for no "
              "limit, got '0'");
    EXPECT_EQ(activities.size(), 12u);  // webinar was not registered
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_quotas(
                      "activity,max_uses,window_days,cooldown_days\nquote,5,30,0\nQuote,,30,0\n",
                      file_format::csv, activities, named("quotas.csv"));
              }),
              "quotas.csv:3: field 'activity': expected each activity once (first on line 2), "
              "got 'quote'");
}

TEST(OtherTables, UsageNamesUnknownReferences) {
    const auto v = test_vocabulary();
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_usage(
                      "reference_id,activity,opportunity_id,date\nR-1,quote,,2025-01-01\n"
                      "R-7,quote,,2025-01-02\n",
                      file_format::csv, *v, named("usage.csv"),
                      [](std::string_view id) { return id == "R-1"; });
              }),
              "usage.csv:3: field 'reference_id': expected a reference id of the program, got "
              "'R-7'");
}

// --- Tables as columns --------------------------------------------------------------------------

namespace {

// A column from its cells; "<null>" stands for a null cell.
refmatch::table_column column(std::string name, std::vector<std::string> cells) {
    refmatch::table_column c{std::move(name), {}};
    for (auto& cell : cells)
        c.values.push_back(cell == "<null>" ? std::nullopt
                                            : std::optional<std::string>(std::move(cell)));
    return c;
}

}  // namespace

TEST(ColumnTables, ParseToTheSameProspectsAsTheCsvText) {
    const auto v = test_vocabulary();
    // The same three prospects as CSV text and as columns in another order; a null cell and an
    // empty one both read as an empty field.
    const std::string text =
        "id,name,industry,products,country,size_band,deal_value,stage,activity,needed_by,"
        "exclusions,owner\n"
        "P-1,\"Acme, Inc.\",31-33,erp; bi,Brazil,2,125000.5,negotiation,sales_call,2025-06-30,"
        "R-1;R-9,Rep Á\n"
        "P-2,Beta,,,,,,,,,,\n"
        "P-3,Gamma,52,crm,SE,50-249,0,,quote,,,\n";
    const refmatch::table_columns table = {
        column("owner", {"Rep Á", "<null>", ""}),
        column("id", {"P-1", "P-2", "P-3"}),
        column("name", {"Acme, Inc.", "Beta", "Gamma"}),
        column("industry", {"31-33", "<null>", "52"}),
        column("products", {"erp; bi", "", "crm"}),
        column("country", {"Brazil", "<null>", "SE"}),
        column("size_band", {"2", "<null>", "50-249"}),
        column("deal_value", {"125000.5", "<null>", "0"}),
        column("stage", {"negotiation", "", "<null>"}),
        column("activity", {"sales_call", "<null>", "quote"}),
        column("needed_by", {"2025-06-30", "<null>", ""}),
        column("exclusions", {"R-1;R-9", "<null>", "<null>"}),
    };
    const auto from_text = refmatch::parse_prospects(text, file_format::csv, *v, named("p.csv"));
    const auto from_columns = refmatch::parse_prospects(table, *v, named("frame"));
    ASSERT_EQ(from_text.size(), 3u);
    EXPECT_EQ(from_columns, from_text);
    // Independent checks of a few fields, so that equality is not of two wrong results.
    EXPECT_EQ(from_columns[0].products, (std::vector<std::string>{"erp", "bi"}));
    EXPECT_EQ(from_columns[0].name, "Acme, Inc.");
    EXPECT_EQ(from_columns[2].size, std::optional<std::uint8_t>(1));
    EXPECT_EQ(from_columns[1].industry, "");

    // References and usage events read the same way.
    const auto refs = refmatch::parse_references(
        refmatch::table_columns{column("id", {"R-1"}), column("name", {"Nordic"}),
                                column("status", {"active"}), column("consents", {"quote"})},
        *v, named("refs"));
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].consents.size(), 1u);
    const auto usage = refmatch::parse_usage(
        refmatch::table_columns{column("reference_id", {"R-1"}), column("activity", {"quote"}),
                                column("date", {"2025-01-05"})},
        *v, named("usage"));
    ASSERT_EQ(usage.size(), 1u);
    EXPECT_EQ(usage[0].day, *refmatch::parse_date("2025-01-05"));
}

TEST(ColumnTables, AProgramsColumnsAreCheckedAllAtOnce) {
    const auto v = test_vocabulary();
    refmatch::program_columns c;
    c.references = refmatch::table_columns{
        column("id", {"R-1", "R-2", "R-3"}), column("name", {"A", "B", "C"}),
        column("industry", {"52", "Fintech", "52"}),
        column("status", {"active", "active", "resting"}), column("consents", {"quote", "", ""})};
    c.prospects = refmatch::table_columns{column("id", {"P-1"}), column("country", {"Atlantis"})};
    c.usage = refmatch::table_columns{column("reference_id", {"R-1", "R-2", "R-9"}),
                                      column("activity", {"quote", "quote", "quote"}),
                                      column("date", {"2025-01-05", "2025-01-06", "2025-01-07"})};
    const auto errors = refmatch::check_program_columns(c, v, {});
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.emplace_back(e.what());
    // Every bad row of every table; R-2's use is not reported (its row exists), R-9's is.
    EXPECT_EQ(messages,
              (std::vector<std::string>{
                  "references:2: field 'industry': expected a NAICS 2022 code, got 'Fintech'",
                  "references:3: field 'status': expected one of candidate, active, paused, "
                  "retired, got 'resting'",
                  "prospects:1: field 'country': expected a country or region of UN M49, got "
                  "'Atlantis'",
                  "usage:3: field 'reference_id': expected a reference id of the program, got "
                  "'R-9'"}));
    // Without collecting, the first error is thrown; good columns make the program.
    EXPECT_THROW((void)refmatch::read_program_columns(c, v, {}), refmatch::parse_error);
    c.references =
        refmatch::table_columns{column("id", {"R-1"}), column("name", {"A"}),
                                column("status", {"active"}), column("consents", {"quote"})};
    c.prospects.reset();
    c.usage =
        refmatch::table_columns{column("reference_id", {"R-1"}), column("activity", {"quote"}),
                                column("date", {"2025-01-05"})};
    EXPECT_TRUE(refmatch::check_program_columns(c, v, {}).empty());
    const auto p = refmatch::read_program_columns(c, v, {}).assemble();
    EXPECT_EQ(p->usage.size(), 1u);
    EXPECT_TRUE(p->references.contains("R-1"));
}

TEST(ColumnTables, ErrorsNameTheRowAndField) {
    const auto v = test_vocabulary();
    // Row 1 (counted from 0) is reported as line 2: 0 is kept for column errors.
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_prospects(
                      refmatch::table_columns{column("id", {"P-1", "P-2"}),
                                              column("industry", {"52", "Fintech"})},
                      *v, named("prospects frame"));
              }),
              "prospects frame:2: field 'industry': expected a NAICS 2022 code, got 'Fintech'");
    try {
        (void)refmatch::parse_prospects(
            refmatch::table_columns{column("id", {"P-1", "P-2", "P-1"})}, *v, named("f"));
        ADD_FAILURE() << "a duplicate id was accepted";
    } catch (const refmatch::parse_error& e) {
        EXPECT_EQ(e.line(), 3u);
        EXPECT_EQ(e.field(), "id");
        EXPECT_EQ(std::string(e.what()),
                  "f:3: field 'id': expected a prospect id not used before (first on row 0), got "
                  "'P-1'");
    }
    // Column errors carry no line.
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_prospects(
                      refmatch::table_columns{column("id", {"P-1"}), column("colour", {"red"})}, *v,
                      named("f"));
              }),
              "f: expected only the columns id, name, industry, products, country, size_band, "
              "employees, deal_value, stage, activity, needed_by, exclusions, owner, got "
              "'unknown column colour'");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_prospects(refmatch::table_columns{column("name", {"a"})},
                                                  *v, named("f"));
              }),
              "f: expected the required columns id, got 'no column id'");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_prospects(
                      refmatch::table_columns{column("id", {"P-1", "P-2"}), column("name", {"a"})},
                      *v, named("f"));
              }),
              "f: field 'name': expected 2 values as column id, got '1 values'");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_prospects(
                      refmatch::table_columns{column("id", {"P-1"}), column("name", {"a\xff"})}, *v,
                      named("f"));
              }),
              "f:1: field 'name': expected valid UTF-8, got 'a\\xFF'");
}

TEST(ColumnTables, CollectsEveryErrorAndKeepsTheGoodRows) {
    const auto v = test_vocabulary();
    std::vector<refmatch::parse_error> errors;
    const auto prospects = refmatch::parse_prospects(
        refmatch::table_columns{column("id", {"P-1", "P-2", "P-3", "P-4"}),
                                column("size_band", {"1", "9", "2", "x"})},
        *v, named("f", &errors));
    ASSERT_EQ(prospects.size(), 2u);
    EXPECT_EQ(prospects[0].id, "P-1");
    EXPECT_EQ(prospects[1].id, "P-3");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].line(), 2u);
    EXPECT_EQ(errors[1].line(), 4u);
    EXPECT_EQ(errors[1].field(), "size_band");
}

// --- Programs -----------------------------------------------------------------------------------

namespace {

void write_small_program(const temp_dir& d) {
    d.write("products.csv", "id,name,family\ncrm,CRM Suite,sales\nerp,ERP Core,finance\n");
    d.write("quotas.csv", "activity,max_uses,window_days,cooldown_days\nwebinar,4,90,7\n");
    d.write("references.csv",
            "id,name,industry,products,country,size_band,status,consents\n"
            "R-1,Ärzte GmbH,621111,crm,DE,2,active,webinar;sales_call:3/90/0\n"
            "R-2,Nordic Bank,522110,crm;erp,SE,4,paused,case_study\n");
    d.write("prospects.csv",
            "id,industry,country,activity,needed_by,deal_value\nP-1,52,FR,sales_call,2025-05-01,"
            "50000\n");
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,P-0,2025-01-10\n"
            "R-1,webinar,,2025-02-10\n");
}

}  // namespace

TEST(Program, LoadsADirectory) {
    const temp_dir d("refmatch_io_test_program");
    write_small_program(d);
    const auto p = refmatch::load_program(d.path);
    EXPECT_EQ(p->vocab->products.size(), 2u);
    const auto webinar = p->vocab->activities.at("webinar");
    EXPECT_EQ(p->quotas.limit(webinar), (refmatch::quota_limit{4, 90, 7}));
    EXPECT_EQ(p->references.size(), 2u);
    EXPECT_EQ(p->prospects.size(), 1u);
    EXPECT_EQ(p->usage.size(), 2u);
    EXPECT_EQ(p->usage.used("R-1", webinar, 90, *refmatch::parse_date("2025-03-01")), 2u);
    EXPECT_EQ(p->references.in_geography("Europe").size(), 2u);
    EXPECT_EQ(p->references.at("R-1").name, "Ärzte GmbH");
}

TEST(Program, SavesAndReloadsInBothFormats) {
    const temp_dir d("refmatch_io_test_program_rt");
    write_small_program(d);
    const auto p = refmatch::load_program(d.path);
    for (const auto format : {file_format::json, file_format::csv}) {
        const temp_dir out("refmatch_io_test_program_rt_out");
        refmatch::save_program(*p, out.path, format);
        const auto q = refmatch::load_program(out.path);
        EXPECT_EQ(q->references.all(), p->references.all());
        EXPECT_EQ(q->prospects.all(), p->prospects.all());
        EXPECT_EQ(q->usage.events(), p->usage.events());
        EXPECT_EQ(q->quotas, p->quotas);
        EXPECT_EQ(q->vocab->activities.names(), p->vocab->activities.names());
        EXPECT_EQ(q->vocab->products.products(), p->vocab->products.products());
        // Only the five tables: no temporary file is left behind.
        std::size_t files = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(out.path)) ++files;
        EXPECT_EQ(files, 5u);
    }
}

TEST(Program, LoadIsAllOrNothingAndNamesTheFile) {
    const temp_dir d("refmatch_io_test_program_bad");
    write_small_program(d);
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-01-10\n"
            "R-3,webinar,,2025-01-11\n");
    EXPECT_EQ(parse_message([&] { (void)refmatch::load_program(d.path); }),
              "usage.csv:3: field 'reference_id': expected a reference id of the program, got "
              "'R-3'");
    // The reference ids are checked once the table is read; the error is still the first by
    // line, whether it is an unknown reference or a bad row.
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-01-10\n"
            "R-3,webinar,,2025-01-11\nR-1,webinar,,2025-13-11\n");
    EXPECT_EQ(parse_message([&] { (void)refmatch::load_program(d.path); }),
              "usage.csv:3: field 'reference_id': expected a reference id of the program, got "
              "'R-3'");
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-13-10\n"
            "R-3,webinar,,2025-01-11\n");
    EXPECT_EQ(parse_message([&] { (void)refmatch::load_program(d.path); }),
              "usage.csv:2: field 'date': expected a date YYYY-MM-DD, got '2025-13-10'");
    fs::remove(d.path / "products.csv");
    EXPECT_EQ(parse_message([&] { (void)refmatch::load_program(d.path); }),
              "products.csv: expected a products.csv or products.json file in the program "
              "directory, got 'no such file'");
}

// The usage text is read before the prospects (a large program's prospects are then not held
// beside it), and the errors still come in table order: collected, the prospects' before the
// usage's; thrown, the prospects' when both tables have one, else the usage's.
TEST(Program, UsageIsReadBeforeProspectsWithErrorsInTableOrder) {
    const temp_dir d("refmatch_io_test_program_order");
    write_small_program(d);
    d.write("prospects.csv",
            "id,industry,country,activity,needed_by,deal_value\nP-1,52,FR,sales_call,2025-05-01,"
            "50000\nP-2,52,Atlantis,sales_call,2025-05-01,1\n");
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-01-10\n"
            "R-1,teleport,,2025-01-11\n");
    std::vector<std::string> stages;
    const auto errors = refmatch::check_program(d.path);
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.emplace_back(e.what());
    const std::string prospect_error =
        "prospects.csv:3: field 'country': expected a country or region of UN M49, got "
        "'Atlantis'";
    const std::string usage_error =
        "usage.csv:3: field 'activity': expected one of the activity types name_drop, logo_use, "
        "quote, rfp_text, success_story, case_study, roi_case_study, sales_call, pr, "
        "analyst_interview, video_testimonial, site_visit, webinar, got 'teleport'";
    EXPECT_EQ(messages, (std::vector<std::string>{prospect_error, usage_error}));
    try {
        (void)refmatch::load_program(d.path, [&](const refmatch::progress_update& at) {
            if (stages.empty() || stages.back() != at.stage) stages.emplace_back(at.stage);
            return true;
        });
        ADD_FAILURE() << "no error";
    } catch (const refmatch::parse_error& e) {
        EXPECT_EQ(e.what(), prospect_error);
    }
    EXPECT_EQ(stages, (std::vector<std::string>{"products.csv", "quotas.csv", "references.csv",
                                                "usage.csv", "prospects.csv"}));
    write_small_program(d);
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-01-10\n"
            "R-1,teleport,,2025-01-11\n");
    try {
        (void)refmatch::load_program(d.path);
        ADD_FAILURE() << "no error";
    } catch (const refmatch::parse_error& e) {
        EXPECT_EQ(e.what(), usage_error);
    }
}

TEST(Program, CheckReportsEveryErrorOfEveryFile) {
    const temp_dir d("refmatch_io_test_program_check");
    write_small_program(d);
    d.write("references.csv",
            "id,name,industry,products,country,size_band,status,consents\n"
            "R-1,A,Fintech,crm,DE,2,active,webinar\n"
            "R-2,B,522110,crm;hr,SE,4,paused,case_study\n"
            "R-3,C,522110,crm,SE,4,paused,case_study\n");
    d.write("usage.csv",
            "reference_id,activity,opportunity_id,date\nR-1,webinar,,2025-01-10\n"
            "R-9,webinar,,2025-01-11\nR-3,teleport,,2025-01-11\n");
    const auto errors = refmatch::check_program(d.path);
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.emplace_back(e.what());
    EXPECT_EQ(messages,
              (std::vector<std::string>{
                  "references.csv:2: field 'industry': expected a NAICS 2022 code, got 'Fintech'",
                  "references.csv:3: field 'products': expected a product id of the catalogue, "
                  "got 'hr'",
                  "usage.csv:3: field 'reference_id': expected a reference id of the program, "
                  "got 'R-9'",
                  "usage.csv:4: field 'activity': expected one of the activity types name_drop, "
                  "logo_use, quote, rfp_text, success_story, case_study, roi_case_study, "
                  "sales_call, pr, analyst_interview, video_testimonial, site_visit, webinar, "
                  "got 'teleport'"}));
    // check_file on one table uses the files beside it.
    EXPECT_EQ(refmatch::check_file(d.path / "usage.csv").size(), 2u);
    EXPECT_EQ(refmatch::check_file(d.path / "products.csv").size(), 0u);
}

TEST(AtomicWrite, ReplacesTheFileWhole) {
    const temp_dir d("refmatch_io_test_atomic");
    const auto path = d.path / "x.csv";
    refmatch::write_file_atomically(path, "old");
    refmatch::write_file_atomically(path, "new contents");
    EXPECT_EQ(refmatch::read_file(path), "new contents");
    // A target in a directory that does not exist fails without creating anything.
    EXPECT_THROW(refmatch::write_file_atomically(d.path / "no" / "x.csv", "x"), refmatch::error);
    EXPECT_FALSE(fs::exists(d.path / "no"));
}

// --- Progress and cancellation ------------------------------------------------------------------

TEST(ProgramProgress, EachTableReportsItsFileUpToItsSize) {
    const auto sample = std::filesystem::path(REFMATCH_SOURCE_DIR) / "src/data/sample";
    std::map<std::string, std::vector<std::pair<std::size_t, std::size_t>>> seen;
    const auto p = refmatch::load_program(sample, [&](const refmatch::progress_update& at) {
        seen[std::string(at.stage)].emplace_back(at.done, at.total);
        return true;
    });
    for (const char* file : {"products.csv", "quotas.csv", "references.csv", "usage.csv"}) {
        SCOPED_TRACE(file);
        ASSERT_TRUE(seen.count(file));
        const auto& reports = seen[file];
        const auto size = static_cast<std::size_t>(std::filesystem::file_size(sample / file));
        for (std::size_t i = 0; i < reports.size(); ++i) {
            EXPECT_EQ(reports[i].second, size);
            if (i > 0) EXPECT_GE(reports[i].first, reports[i - 1].first);
        }
        EXPECT_EQ(reports.back().first, size);  // the last report is the whole file
    }
    EXPECT_EQ(p->references.size(), 2000u);
}

TEST(ProgramProgress, AFalseAnswerCancelsTheLoad) {
    const auto sample = std::filesystem::path(REFMATCH_SOURCE_DIR) / "src/data/sample";
    std::vector<std::string> stages;
    try {
        (void)refmatch::load_program(sample, [&](const refmatch::progress_update& at) {
            stages.emplace_back(at.stage);
            return at.stage != "references.csv";
        });
        FAIL() << "the load was not cancelled";
    } catch (const refmatch::cancelled& e) {
        EXPECT_STREQ(e.what(), "reading references.csv cancelled");
    }
    // Cancelled at the first report of the references: no later table was read.
    ASSERT_FALSE(stages.empty());
    EXPECT_EQ(stages.back(), "references.csv");
    EXPECT_EQ(std::count(stages.begin(), stages.end(), "usage.csv"), 0);
}
