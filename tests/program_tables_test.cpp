// Program assembly: tables_of/assemble round trips, the serialised state and its version check,
// and every loader giving the program that assembling its tables gives.

#include <refmatch/io.hpp>
#include <refmatch/program_tables.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using namespace refmatch;

namespace {

const fs::path sample_dir = fs::path(REFMATCH_SOURCE_DIR) / "src" / "data" / "sample";

// Two programs hold the same tables, in the same order, over the same vocabulary.
void expect_same(const program& a, const program& b) {
    EXPECT_EQ(a.references.all(), b.references.all());
    EXPECT_EQ(a.prospects.all(), b.prospects.all());
    EXPECT_EQ(a.usage.events(), b.usage.events());
    EXPECT_EQ(a.quotas, b.quotas);
    EXPECT_EQ(a.vocab->products.products(), b.vocab->products.products());
    EXPECT_EQ(a.vocab->activities.names(), b.vocab->activities.names());
    EXPECT_EQ(a.vocab->sizes.lower_bounds(), b.vocab->sizes.lower_bounds());
    EXPECT_EQ(a.vocab->industries.name(), b.vocab->industries.name());
    EXPECT_EQ(a.vocab->industries.size(), b.vocab->industries.size());
    EXPECT_EQ(a.vocab->geography.name(), b.vocab->geography.name());
    EXPECT_EQ(a.vocab->geography.size(), b.vocab->geography.size());
}

std::string message_of(const auto& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

// A program with a custom activity, custom geography and size bands, and every table filled.
std::unique_ptr<program> custom_program() {
    const std::vector<taxonomy_entry> regions{
        {"EU", "Europe", "", 0}, {"DE", "Germany", "EU", 0}, {"FR", "France", "EU", 0}};
    auto v = std::make_shared<vocabulary>(*standard_vocabulary(
        product_catalog({{"crm", "CRM, \"Suite\"", "sales"}, {"erp", "ERP", ""}})));
    v->geography = taxonomy("W", "World", regions);
    v->geography.set_name("Tiny");
    v->sizes = size_bands({1, 100, 1000});
    const auto webinar = v->activities.add("webinar");
    program_tables t;
    t.vocab = v;
    t.quotas.set(webinar, quota_limit{3, 30, 5});
    reference_customer r;
    r.id = "R-1";
    r.name = "Ärzte\nGmbH";
    r.industry = "621111";
    r.products = {"crm"};
    r.country = "DE";
    r.size = 1;
    r.status = reference_status::active;
    r.consents = {{webinar, quota_limit{2, 60, 0}}, {activity::quote, std::nullopt}};
    t.references.push_back(r);
    r.id = "R-0";
    r.country = "FR";
    t.references.push_back(r);
    prospect p;
    p.id = "P-1";
    p.country = "EU";
    p.activity = webinar;
    t.prospects.push_back(p);
    const date d = *parse_date("2025-03-01");
    t.usage = usage_batch(
        std::vector<usage_event>{{"R-1", webinar, "P-1", d},
                                 {"R-0", webinar, "", d - std::chrono::days(9)},
                                 {"R-1", activity::quote, "", d - std::chrono::days(1)}});
    return std::move(t).assemble();
}

}  // namespace

TEST(ProgramTables, TablesOfThenAssembleGivesAnEqualProgram) {
    const auto p = load_program(sample_dir);
    const auto tables = tables_of(*p);
    EXPECT_EQ(tables.references.size(), p->references.size());
    EXPECT_EQ(tables.usage.size(), p->usage.size());
    expect_same(*tables.assemble(), *p);         // copying
    expect_same(*tables_of(*p).assemble(), *p);  // moving
    const auto custom = custom_program();
    expect_same(*tables_of(*custom).assemble(), *custom);
}

TEST(ProgramTables, AssembleIsAllOrNothingWithTheStoresMessages) {
    auto tables = tables_of(*custom_program());
    const auto usage = tables.usage;
    tables.usage.add({"R-9", activity::quote, "", *parse_date("2025-01-01")});
    EXPECT_EQ(message_of([&] { (void)tables.assemble(); }),
              "usage of 'R-9': field 'reference_id': expected a reference id of the program, got "
              "'R-9'");
    tables.usage = usage;
    // The first bad event in recording order is the one named, each id looked up once.
    tables.usage.add({"R-1", activity_id{999}, "", *parse_date("2025-01-02")});
    tables.usage.add({"R-8", activity::quote, "", *parse_date("2025-01-03")});
    EXPECT_EQ(message_of([&] { (void)tables.assemble(); }),
              "usage of 'R-1': field 'activity': expected a registered activity type, got '999'");
    tables.usage = usage;
    auto edited = tables.references.unpack();
    edited[0].products = {"hr"};
    tables.references = edited;
    EXPECT_EQ(message_of([&] { (void)tables.assemble(); }),
              "reference 'R-0': field 'products': expected a product id of the catalogue, got "
              "'hr'");  // tables_of gives references in id order
    EXPECT_EQ(message_of([] { (void)program_tables{}.assemble(); }),
              "program tables: expected a vocabulary, got none");
}

TEST(ProgramState, RoundTripsEveryTableAndTheVocabulary) {
    for (const auto& p : {load_program(sample_dir), custom_program()}) {
        const auto state = format_program_state(tables_of(*p));
        ASSERT_TRUE(state.starts_with("refmatch program state 2\n"));
        const auto back = parse_program_state(state).assemble();
        expect_same(*back, *p);
        // The taxonomy itself, not only its size: similarity as before.
        const auto& g = back->vocab->geography;
        EXPECT_DOUBLE_EQ(g.similarity(*g.find("DE"), *g.find("FR")),
                         p->vocab->geography.similarity(*p->vocab->geography.find("DE"),
                                                        *p->vocab->geography.find("FR")));
    }
}

TEST(ProgramState, ChecksTheVersionAndTheShape) {
    auto state = format_program_state(tables_of(*custom_program()));
    auto old = state;
    old.replace(0, std::string("refmatch program state 2").size(), "refmatch program state 1");
    EXPECT_EQ(message_of([&] { (void)parse_program_state(old); }),
              "program state:1: field 'version': expected version 2, got '1'");
    EXPECT_EQ(message_of([] { (void)parse_program_state("{\"products\": []}\n"); }),
              "program state:1: expected a refmatch program state, got '{\"products\": []}'");
    EXPECT_EQ(message_of([&] {
                  (void)parse_program_state(state.substr(0, 60));
              }).rfind("program state:", 0),
              0u);
}

// Every loader goes through read_program_tables and assemble: the directory, the same tables from
// memory, and the serialised state give one program, in one order.
TEST(ProgramTables, EveryLoaderGivesTheProgramOfItsTables) {
    const auto from_files = load_program(sample_dir);
    program_sources sources;
    const auto memory = [](const char* name) {
        return table_source{name, file_format::csv,
                            [text = read_file(sample_dir / name)] { return text; }};
    };
    sources.products = memory("products.csv");
    sources.quotas = memory("quotas.csv");
    sources.references = memory("references.csv");
    sources.prospects = memory("prospects.csv");
    sources.usage = memory("usage.csv");
    const auto from_memory = read_program_tables(sources, *standard_vocabulary()).assemble();
    expect_same(*from_files, *from_memory);
    expect_same(*from_files,
                *parse_program_state(format_program_state(tables_of(*from_memory))).assemble());
    EXPECT_TRUE(check_program(sample_dir).empty());
}

TEST(ProgramTables, ReadingCollectsErrorsOfEveryTable) {
    program_sources sources;
    sources.products = table_source{"products.csv", file_format::csv,
                                    [] { return std::string("id,name\ncrm,CRM\n"); }};
    sources.references = table_source{
        "references.csv", file_format::csv,
        [] { return std::string("id,name,status,products\nR-1,A,active,crm\nR-2,B,active,hr\n"); }};
    sources.prospects = table_source{"prospects.csv", file_format::csv,
                                     []() -> std::string { throw error("disk on fire"); }};
    sources.usage =
        table_source{"usage.csv", file_format::csv, [] {
                         return std::string(
                             "reference_id,activity,opportunity_id,date\nR-2,quote,,2025-01-01\n"
                             "R-3,quote,,2025-01-01\n");
                     }};
    std::vector<parse_error> errors;
    const auto tables = read_program_tables(sources, *standard_vocabulary(), {}, &errors);
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.emplace_back(e.what());
    EXPECT_EQ(messages,
              (std::vector<std::string>{
                  "references.csv:3: field 'products': expected a product id of the catalogue, "
                  "got 'hr'",
                  "prospects.csv: expected a readable file, got 'disk on fire'",
                  "usage.csv:3: field 'reference_id': expected a reference id of the program, "
                  "got 'R-3'"}));
    EXPECT_EQ(tables.references.size(), 1u);
    EXPECT_EQ(tables.usage.size(), 1u);  // R-2's use: its row exists, its error is its own
    // Without collecting, the first error is thrown.
    EXPECT_EQ(message_of([&] { (void)read_program_tables(sources, *standard_vocabulary()); }),
              "references.csv:3: field 'products': expected a product id of the catalogue, got "
              "'hr'");
}

// A usage table large enough to be checked on a second thread while the stores fill gives the
// program, and the errors, of the one-thread order: the stores' errors first, then the first
// bad event in recording order.
TEST(ProgramTables, LargeUsageAssemblesAsTheOneThreadOrder) {
    auto tables = tables_of(*custom_program());
    const date d = *parse_date("2025-01-01");
    for (int i = 0; i < 100000; ++i)
        tables.usage.add({i % 3 ? "R-1" : "R-0", activity::quote, "O-" + std::to_string(i % 977),
                          d + std::chrono::days(i % 500)});
    ASSERT_GE(tables.usage.size(), std::size_t{1} << 16);

    // The same program as adding the tables one after another on one thread.
    program one_thread(tables.vocab);
    one_thread.quotas = tables.quotas;
    one_thread.references.add_all(tables.references);
    one_thread.prospects.add_all(tables.prospects);
    one_thread.record_usage_all(tables.usage);
    expect_same(*tables.assemble(), one_thread);

    const auto with_events = [&](std::vector<std::pair<std::size_t, usage_event>> bad) {
        auto t = tables;
        t.usage = usage_batch{};
        std::size_t i = 0;
        tables.usage.for_each(
            [&](std::string_view r, activity_id a, std::string_view o, date day, std::uint32_t) {
                for (const auto& [at, e] : bad)
                    if (at == i) t.usage.add(e);
                t.usage.add(r, a, o, day);
                ++i;
            });
        return t;
    };
    const usage_event unknown{"R-9", activity::quote, "", d};
    const usage_event bad_activity{"R-1", activity_id{999}, "", d};
    EXPECT_EQ(message_of([&] {
                  (void)with_events({{70000, unknown}, {90000, bad_activity}}).assemble();
              }),
              "usage of 'R-9': field 'reference_id': expected a reference id of the program, got "
              "'R-9'");
    EXPECT_EQ(message_of([&] {
                  (void)with_events({{70000, bad_activity}, {90000, unknown}}).assemble();
              }),
              "usage of 'R-1': field 'activity': expected a registered activity type, got '999'");
    // The stores' errors come before the usage's, the references' before the prospects'.
    auto duplicate = with_events({{70000, unknown}});
    duplicate.prospects.push_back(duplicate.prospects.back());
    EXPECT_EQ(message_of([&] { (void)duplicate.assemble(); }),
              "prospect '" + duplicate.prospects.back().id + "': id is already in the store");
    duplicate.references.push_back(duplicate.references[duplicate.references.size() - 1]);
    EXPECT_EQ(message_of([&] { (void)duplicate.assemble(); }),
              "reference 'R-1': id is already in the store");
}
