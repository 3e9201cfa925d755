// Hostile and mistaken input: each case was once a crash, a foreign exception or a misleading
// message. Every failure of a reader must be a parse_error naming the file and the field, and
// whatever loads must save and load again.

#include "test_support.hpp"

#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

using refmatch::test_support::named;
using refmatch::test_support::parse_message;

namespace {

const std::string references_header =
    "id,name,industry,products,country,size_band,status,consents\n";
const std::string products_csv = "id,name,family\ncrm-01,Customer Core,crm\n";

std::string reference_row(const std::string& id) {
    return id + ",A,52,crm-01,DE,2,active,sales_call\n";
}

std::string references_json(const std::string& fields) {
    return R"({"format":"refmatch-references","version":1,"references":[{"id":"R-1","name":"A",)"
           R"("industry":"52","products":["crm-01"],"country":"DE","status":"active")" +
           fields + "}]}";
}

std::shared_ptr<refmatch::vocabulary> vocab_with_products() {
    auto v = std::make_shared<refmatch::vocabulary>(*refmatch::standard_vocabulary());
    v->products = refmatch::parse_products(products_csv, refmatch::file_format::csv);
    return v;
}

class program_dir : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("refmatch-hostile-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    fs::path dir;
};

}  // namespace

TEST(HostileJson, AHugeExponentIsAParseErrorNamingTheField) {
    const auto v = vocab_with_products();
    for (const std::string number : {"1e400", "-1e400"})
        EXPECT_EQ(parse_message([&] {
                      (void)refmatch::parse_references(references_json(",\n\"nps\":" + number),
                                                       refmatch::file_format::json, *v,
                                                       named("references.json"));
                  }),
                  "references.json:2: field 'references[0].nps': expected a number within the "
                  "range of a double, got '" +
                      number + "'");
    // Every table, through the same reader.
    EXPECT_EQ(parse_message([] {
                  (void)refmatch::parse_products(
                      R"({"format":"refmatch-products","version":1,"products":[{"id":1e999}]})",
                      refmatch::file_format::json, named("products.json"));
              }),
              "products.json:1: field 'products[0].id': expected a number within the range of a "
              "double, got '1e999'");
}

TEST(HostileJson, DeepNestingIsBoundedAndQuotedBriefly) {
    const auto v = vocab_with_products();
    const std::string deep = std::string(70000, '[') + std::string(70000, ']');
    const auto message = parse_message([&] {
        (void)refmatch::parse_references(references_json(",\"owner\":" + deep),
                                         refmatch::file_format::json, *v, named("references.json"));
    });
    EXPECT_EQ(message,
              "references.json:1: field 'references[0].owner[0][0][0][0][0][0][0][0][0][0]"
              "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]': expected JSON "
              "nested at most 32 levels deep, got 'deeper nesting'");
    // A long bad value is quoted as an excerpt with its size.
    const std::string big_object = "{\"k\":\"" + std::string(100000, 'x') + "\"}";
    const auto quoted = parse_message([&] {
        (void)refmatch::parse_references(references_json(",\"owner\":" + big_object),
                                         refmatch::file_format::json, *v, named("references.json"));
    });
    EXPECT_LT(quoted.size(), 400u);
    EXPECT_NE(quoted.find("bytes in all)"), std::string::npos) << quoted;
}

TEST(HostileNumbers, ASubnormalNumberSavesAndLoadsAsItWasRead) {
    const auto v = vocab_with_products();
    for (const auto format : {refmatch::file_format::csv, refmatch::file_format::json}) {
        const auto refs = refmatch::parse_references(references_json(",\"csat\":1e-310"),
                                                     refmatch::file_format::json, *v);
        ASSERT_EQ(refs.size(), 1u);
        ASSERT_TRUE(refs[0].signals.csat);
        EXPECT_EQ(*refs[0].signals.csat, 1e-310);
        const auto again =
            refmatch::parse_references(refmatch::format_references(refs, *v, format), format, *v);
        EXPECT_EQ(again, refs);
    }
    refmatch::prospect p;
    p.id = "P-1";
    p.deal_value = 4.9e-324;  // the smallest subnormal
    const std::vector<refmatch::prospect> prospects = {p};
    for (const auto format : {refmatch::file_format::csv, refmatch::file_format::json})
        EXPECT_EQ(refmatch::parse_prospects(refmatch::format_prospects(prospects, *v, format),
                                            format, *v),
                  prospects);
}

TEST(HostileText, ControlCharactersInAFieldAreRejected) {
    const auto v = vocab_with_products();
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(
                      references_header + std::string("R-1,A\0B,52,crm-01,DE,2,active,\n", 30),
                      refmatch::file_format::csv, *v, named("references.csv"));
              }),
              "references.csv:2: field 'name': expected text without control characters, got "
              "'A\\x00B'");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(references_json(",\"owner\":\"x\\u0000y\""),
                                                   refmatch::file_format::json, *v,
                                                   named("references.json"));
              }),
              "references.json: field 'references[0].owner': expected text without control "
              "characters, got 'x\\x00y'");
    // Tabs and line breaks inside a quoted name stay allowed.
    EXPECT_NO_THROW((void)refmatch::parse_references(
        references_header + "R-1,\"A\tB\nC\",52,crm-01,DE,2,active,\n", refmatch::file_format::csv,
        *v));
}

TEST(HostileCsv, Utf16IsNamedOnce) {
    const auto v = vocab_with_products();
    std::string utf16 = "\xFF\xFE";
    for (const char c : references_header + reference_row("R-1")) {
        utf16 += c;
        utf16 += '\0';
    }
    const std::string expected =
        "references.csv:1: expected UTF-8 text, got 'UTF-16 text (Excel's \"Unicode text\"): "
        "save the file as UTF-8 (\"CSV UTF-8\")'";
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(utf16, refmatch::file_format::csv, *v,
                                                   named("references.csv"));
              }),
              expected);
    // Without the byte-order mark, too.
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(utf16.substr(2), refmatch::file_format::csv, *v,
                                                   named("references.csv"));
              }),
              expected);
}

TEST(HostileCsv, ASemicolonDelimitedHeaderIsNamed) {
    const auto v = vocab_with_products();
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_products("id;name;family\ncrm-01;Core;crm\n",
                                                 refmatch::file_format::csv, named("products.csv"));
              }),
              "products.csv:1: expected columns separated by ',', got 'columns separated by ';' "
              "(a spreadsheet export in another locale): save the file with ',' as the "
              "delimiter'");
}

TEST(HostileCsv, AnUnterminatedQuoteIsReportedWhereItOpens) {
    const auto v = vocab_with_products();
    const std::string text = references_header + reference_row("R-1") +
                             "R-2,\"B,52,crm-01,DE,2,active,sales_call\n" + reference_row("R-3") +
                             reference_row("R-4");
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(text, refmatch::file_format::csv, *v,
                                                   named("references.csv"));
              }),
              "references.csv:3: expected well-formed CSV (RFC 4180 quoting), got 'a quote "
              "opened here and never closed'");
}

TEST(HostileCsv, AHugeHeaderGivesABoundedMessage) {
    std::string header = "id,name,family";
    for (int i = 0; i < 1000000; ++i) header += ",c" + std::to_string(i);
    const auto message = parse_message([&] {
        (void)refmatch::parse_products(header + "\n", refmatch::file_format::csv,
                                       named("products.csv"));
    });
    EXPECT_EQ(message,
              "products.csv:1: expected only the columns id, name, family, got 'unknown columns "
              "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 999990 more'");
}

TEST(Enumerations, CaseIsIgnoredAndMessagesListTheValues) {
    const auto v = vocab_with_products();
    const auto refs =
        refmatch::parse_references(references_header + "R-1,A,52,crm-01,DE,2,Active,Sales_Call\n",
                                   refmatch::file_format::csv, *v);
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].status, refmatch::reference_status::active);
    EXPECT_TRUE(refs[0].consents_to(refmatch::activity::sales_call));
    EXPECT_EQ(parse_message([&] {
                  (void)refmatch::parse_references(
                      references_header + "R-1,A,52,crm-01,DE,Huge,active,\n",
                      refmatch::file_format::csv, *v, named("references.csv"));
              }),
              "references.csv:2: field 'size_band': expected a band 0-5 or a label '1-49', "
              "'50-249', '250-999', '1000-4999', '5000-19999', '20000+', got 'Huge'");
}

TEST_F(program_dir, ASymlinkLoopIsAnErrorNamingThePathAndChecksGoOn) {
    write("products.csv", products_csv);
    fs::create_symlink("references.csv", dir / "references.csv");
    const auto errors = refmatch::check_program(dir);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].file(), "references.csv");
    EXPECT_NE(std::string(errors[0].what()).find("Too many levels of symbolic links"),
              std::string::npos)
        << errors[0].what();
    try {
        (void)refmatch::load_program(dir);
        FAIL() << "loaded";
    } catch (const refmatch::error& e) {
        EXPECT_NE(std::string(e.what()).find((dir / "references.csv").string()), std::string::npos)
            << e.what();
    }
}

TEST_F(program_dir, SavingWhereNoDirectoryCanBeMadeIsARefmatchError) {
    write("plain-file", "x");
    const auto program = refmatch::generate_program({});
    try {
        refmatch::save_program(*program, dir / "plain-file" / "out");
        FAIL() << "saved";
    } catch (const refmatch::error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot create the directory '" +
                                             (dir / "plain-file" / "out").string() +
                                             "': Not a directory");
    }
}

TEST_F(program_dir, BothFormatsOfATableAreOneError) {
    write("products.csv", products_csv);
    write("references.csv", references_header + reference_row("R-1"));
    write("references.json", references_json(""));
    const auto errors = refmatch::check_program(dir);
    ASSERT_EQ(errors.size(), 1u) << errors[1].what();
    EXPECT_EQ(std::string(errors[0].what()),
              "references.csv: expected one file per table in the program directory, got 'both "
              "references.csv and references.json'");
}

TEST_F(program_dir, ALoneTableSaysOnceThatItsCatalogueIsMissing) {
    std::string refs = references_header;
    for (int i = 0; i < 50; ++i) refs += reference_row("R-" + std::to_string(1000 + i));
    refs += "R-2000,B,Fintech,crm-01,DE,2,active,\n";
    write("references.csv", refs);
    const auto errors = refmatch::check_file(dir / "references.csv");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(std::string(errors[0].what()),
              "references.csv: field 'products': expected a products.csv or products.json "
              "catalogue to check product ids against, got 'no products.csv or products.json "
              "beside it: product ids not checked'");
    EXPECT_EQ(std::string(errors[1].what()),
              "references.csv:52: field 'industry': expected a NAICS 2022 code, got 'Fintech'");
}

TEST_F(program_dir, AnUnreadableCatalogueDoesNotCascade) {
    std::string utf16;
    for (const char c : products_csv) {
        utf16 += c;
        utf16 += '\0';
    }
    write("products.csv", utf16);
    std::string refs = references_header;
    for (int i = 0; i < 50; ++i) refs += reference_row("R-" + std::to_string(1000 + i));
    write("references.csv", refs);
    write("usage.csv",
          "reference_id,activity,opportunity_id,date\nR-1000,sales_call,,2025-01-01\n");
    const auto errors = refmatch::check_program(dir);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(std::string(errors[0].what()).find("products.csv:1: expected UTF-8 text"),
              std::string::npos);
    EXPECT_EQ(std::string(errors[1].what()),
              "references.csv: field 'products': expected a products.csv or products.json "
              "catalogue to check product ids against, got 'products.csv has no readable "
              "product: product ids not checked'");
}

TEST_F(program_dir, AUtf16ReferencesFileIsOneErrorNotOnePerUse) {
    write("products.csv", products_csv);
    std::string refs = references_header;
    for (int i = 0; i < 30; ++i) refs += reference_row("R-" + std::to_string(1000 + i));
    std::string utf16 = "\xFF\xFE";
    for (const char c : refs) {
        utf16 += c;
        utf16 += '\0';
    }
    write("references.csv", utf16);
    std::string usage = "reference_id,activity,opportunity_id,date\n";
    for (int i = 0; i < 30; ++i)
        usage += "R-" + std::to_string(1000 + i) + ",sales_call,,2025-01-01\n";
    write("usage.csv", usage);
    // The directory: the references file's one error, and the uses said not checked once.
    const auto all = refmatch::check_program(dir);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_NE(std::string(all[0].what()).find("references.csv:1: expected UTF-8 text, got 'UTF-16"),
              std::string::npos);
    EXPECT_EQ(std::string(all[1].what()),
              "usage.csv: field 'reference_id': expected a references table to check reference "
              "ids against, got 'references.csv has no readable reference: reference ids not "
              "checked'");
    // The usage file alone, its references beside it: once, too.
    const auto lone = refmatch::check_file(dir / "usage.csv");
    ASSERT_EQ(lone.size(), 1u);
    EXPECT_EQ(std::string(lone[0].what()),
              "usage.csv: field 'reference_id': expected a references table to check reference "
              "ids against, got 'references.csv beside it has no readable reference: reference "
              "ids not checked'");
}

TEST(ProgramRules, AReferenceWithUsesCannotBeRemoved) {
    const auto program = refmatch::generate_program({});
    const auto events = program->usage.events();
    ASSERT_FALSE(events.empty());
    const auto used = events.front().reference_id;
    EXPECT_THROW(program->references.remove(used), refmatch::validation_error);
    EXPECT_TRUE(program->references.contains(used));
    // A reference without uses goes; the program still saves and loads.
    std::string unused;
    for (const auto& r : program->references.all()) {
        bool has = false;
        for (const auto& e : events) has = has || e.reference_id == r.id;
        if (!has) {
            unused = r.id;
            break;
        }
    }
    ASSERT_FALSE(unused.empty());
    program->references.remove(unused);
    const auto again = refmatch::parse_program_state(
        refmatch::format_program_state(refmatch::tables_of(*program)));
    EXPECT_EQ(again.references.size(), program->references.size());
}
