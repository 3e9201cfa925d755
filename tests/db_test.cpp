// The program database on real SQLite files: schema and bad files, round trips with the file
// formats, transactional writes, refresh across connections, and reliability with real child
// processes (kill -9, concurrent writers and readers) and a fault-injecting VFS.

#include "db/db_workload.hpp"
#include "db/fault_vfs.hpp"

#include <refmatch/db/database.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/io.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace refmatch;

namespace {

const fs::path sample_dir = fs::path(REFMATCH_SOURCE_DIR) / "src/data/sample";

recorded_by tester() {
    return {"tester", test_workload::at()};
}

// A fresh, empty directory per test.
fs::path scratch(const std::string& name) {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    const auto dir = fs::temp_directory_path() / ("refmatch_db_test_" + std::to_string(getpid())) /
                     (std::string(info->test_suite_name()) + "." + info->name()) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The message of the refmatch::error `f` throws, "" if none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

// The sample program in a new database file.
fs::path sample_database(const fs::path& dir) {
    const auto path = dir / "program.db";
    database_options o;
    o.create = true;
    database db(path, o);
    db.import_program(sample_dir, tester());
    return path;
}

// Runs SQL on the file with a connection of our own (not refmatch's), returning the first
// column of the first row as text.
std::string raw_sql(const fs::path& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            out = std::string("error: ") + sqlite3_errmsg(db);
    } else {
        out = std::string("error: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

std::size_t ledger_count(const fs::path& path, const std::string& opportunity) {
    return std::stoul(raw_sql(
        path, "SELECT count(*) FROM usage_ledger WHERE opportunity_id = '" + opportunity + "'"));
}

void expect_same_program(const program& a, const program& b) {
    EXPECT_EQ(a.references.all(), b.references.all());
    EXPECT_EQ(a.prospects.all(), b.prospects.all());
    EXPECT_EQ(a.usage.events(), b.usage.events());
    EXPECT_EQ(a.quotas, b.quotas);
    EXPECT_EQ(a.vocab->activities.names(), b.vocab->activities.names());
    EXPECT_EQ(a.vocab->products.products(), b.vocab->products.products());
}

usage_event use_of(const program& p, const std::string& ref, std::string_view activity,
                   const std::string& opportunity, const char* day) {
    return {ref, p.vocab->activities.at(activity), opportunity, *parse_date(day)};
}

// Runs `f` in a child process without root's privileges (file permissions then apply, as for a
// user); returns its exit status. Not root: runs it in a child all the same.
template <class F>
int as_unprivileged(F&& f) {
    const pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(99);
        _exit(f());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

pid_t spawn(const std::vector<std::string>& args) {
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace

// --- Opening and bad files ---------------------------------------------------------------------

TEST(DatabaseOpen, CreatesAnEmptyProgramOnlyWhenAsked) {
    const auto path = scratch("db") / "new.db";
    EXPECT_EQ(error_of([&] { database db(path); }),
              path.string() +
                  ": open: no such database file (create one with `refmatch db init`, or the "
                  "create option)");
    EXPECT_FALSE(fs::exists(path));
    database_options o;
    o.create = true;
    database db(path, o);
    EXPECT_EQ(db.program()->references.size(), 0u);
    EXPECT_EQ(db.program()->vocab->activities.names(), activity_catalog().names());
    EXPECT_EQ(raw_sql(path, "PRAGMA user_version"), std::to_string(database::schema_version));
    EXPECT_EQ(raw_sql(path, "PRAGMA journal_mode"), "wal");
    EXPECT_TRUE(db.check().empty());
}

TEST(DatabaseOpen, RefusesBadFilesAndLeavesThemAlone) {
    const auto dir = scratch("db");
    const auto text = dir / "notes.db";
    std::ofstream(text) << "references,but not a database\n";
    const auto before = bytes_of(text);
    database_options create;
    create.create = true;
    for (const auto& o : {database_options{}, create})
        EXPECT_EQ(
            error_of([&] { database db(text, o); }),
            text.string() + ": read the schema version: file is not a database (SQLite code 26)");
    EXPECT_EQ(bytes_of(text), before);

    const auto other = dir / "other.db";
    raw_sql(other, "CREATE TABLE t (x)");
    EXPECT_EQ(error_of([&] { database db(other); }),
              other.string() +
                  ": open: expected a refmatch database, found a SQLite database with tables of "
                  "its own");
    EXPECT_EQ(raw_sql(other, "SELECT count(*) FROM sqlite_schema"), "1");

    const auto empty = dir / "empty.db";
    std::ofstream{empty};
    EXPECT_EQ(error_of([&] { database db(empty); }),
              empty.string() + ": open: the file is empty, expected a refmatch database");
    EXPECT_EQ(fs::file_size(empty), 0u);

    EXPECT_EQ(error_of([&] { database db(dir); }),
              dir.string() + ": open: is a directory, expected a database file");
    EXPECT_EQ(error_of([&] { database db(dir / "no" / "such.db", create); }),
              (dir / "no" / "such.db").string() + ": open: no such directory '" +
                  (dir / "no").string() + "'");
}

TEST(DatabaseOpen, RefusesANewerSchema) {
    const auto path = sample_database(scratch("db"));
    raw_sql(path, "PRAGMA user_version = 99");
    const auto before = bytes_of(path);
    EXPECT_EQ(error_of([&] { database db(path); }),
              path.string() +
                  ": open: the database has schema version 99, newer than this "
                  "refmatch's " +
                  std::to_string(database::schema_version) + "; use a newer refmatch");
    EXPECT_EQ(bytes_of(path), before);
}

// A file of schema version 5 (the ledger indexed by (reference_id, event_id)) opens migrated to
// the block index, with its ledger and every reference's history as they were, and takes new
// uses; the ledger stays append-only.
TEST(DatabaseOpen, AFileBeforeTheBlockIndexMigratesKeepingItsLedger) {
    constexpr int before_block_index = 5;  // the schema migration 5 -> 6 starts from
    const auto path = sample_database(scratch("db"));
    std::vector<ledger_entry> all;
    std::vector<ledger_entry> of_r1;
    {
        database db(path);
        (void)db.record_usage(use_of(*db.program(), "R-0001", "sales_call", "t:m", "2025-06-30"),
                              tester());
        all = db.history("");
        of_r1 = db.history("R-0001");
    }
    for (const char* sql :
         {"DROP INDEX usage_ledger_block_reference",
          "CREATE INDEX usage_ledger_reference ON usage_ledger (reference_id, event_id)"})
        EXPECT_EQ(raw_sql(path, sql), "") << sql;
    EXPECT_EQ(raw_sql(path, "PRAGMA user_version = " + std::to_string(before_block_index)), "");
    database db(path);
    EXPECT_EQ(raw_sql(path, "PRAGMA user_version"), std::to_string(database::schema_version));
    EXPECT_EQ(raw_sql(path,
                      "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'index' AND "
                      "tbl_name = 'usage_ledger'"),
              "usage_ledger_block_reference");
    EXPECT_EQ(db.history(""), all);
    EXPECT_EQ(db.history("R-0001"), of_r1);
    ASSERT_GE(of_r1.size(), 2u);
    const auto id =
        db.record_usage(use_of(*db.program(), "R-0001", "quote", "t:m", "2025-07-01"), tester());
    EXPECT_EQ(db.history("R-0001").back().event_id, id);
    EXPECT_EQ(db.history("R-0001").size(), of_r1.size() + 1);
    EXPECT_EQ(db.program()->usage.size(), all.size() + 1);
    EXPECT_EQ(raw_sql(path, "DELETE FROM usage_ledger"), "error: the usage ledger is append-only");
    EXPECT_TRUE(db.check().empty());
}

TEST(DatabaseOpen, RefusesATruncatedFile) {
    const auto path = sample_database(scratch("db"));
    raw_sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
    fs::resize_file(path, fs::file_size(path) / 2);
    const auto before = bytes_of(path);
    const auto message = error_of([&] { database db(path); });
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(": database disk image is malformed (SQLite code 11)"),
              std::string::npos)
        << message;
    EXPECT_EQ(bytes_of(path), before);
}

TEST(DatabaseOpen, ReadOnlyFilesAndDirectoriesAreClearErrors) {
    const auto dir = scratch("db");
    const auto path = sample_database(dir);
    fs::permissions(dir, fs::perms::all);
    fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    const auto before = bytes_of(path);
    // A read-only file in a writable directory.
    EXPECT_EQ(as_unprivileged([&] {
                  const auto m = error_of([&] { database db(path); });
                  return m == path.string() +
                                     ": open: the file is read-only; open it read-only to read it"
                             ? 0
                             : 1;
              }),
              0);
    // A writable file in a read-only directory.
    fs::permissions(path, fs::perms::all);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    EXPECT_EQ(as_unprivileged([&] {
                  const auto m = error_of([&] { database db(path); });
                  return m.find(": open: the directory '" + dir.string() + "' is not writable") !=
                                 std::string::npos
                             ? 0
                             : 1;
              }),
              0);
    EXPECT_EQ(bytes_of(path), before);
    // Opened read-only, it reads, and every write is refused.
    database_options ro;
    ro.read_only = true;
    database db(path, ro);
    EXPECT_EQ(db.program()->references.size(), 2000u);
    EXPECT_EQ(error_of([&] {
                  (void)db.record_usage(
                      use_of(*db.program(), "R-0001", "sales_call", "P-0001", "2025-07-01"),
                      tester());
              }),
              path.string() + ": record usage: the database is open read-only");
}

// --- Round trips with the files ----------------------------------------------------------------

TEST(DatabaseImport, HoldsTheSameProgramAsItsFiles) {
    const auto dir = scratch("db");
    const auto path = sample_database(dir);
    const auto files = load_program(sample_dir);
    database db(path);
    expect_same_program(*db.program(), *files);
    EXPECT_EQ(raw_sql(path, "SELECT count(*) FROM usage_ledger"),
              std::to_string(files->usage.size()));
    EXPECT_TRUE(db.check().empty());

    // Export: the files save_program writes for the same program, byte for byte.
    for (const auto format : {file_format::csv, file_format::json}) {
        const auto exported = scratch(format == file_format::csv ? "csv" : "json");
        const auto saved = scratch(format == file_format::csv ? "saved-csv" : "saved-json");
        db.export_program(exported, format);
        save_program(*files, saved, format);
        std::size_t n = 0;
        for (const auto& f : fs::directory_iterator(saved)) {
            ++n;
            EXPECT_EQ(bytes_of(exported / f.path().filename()), bytes_of(f.path()))
                << f.path().filename();
        }
        EXPECT_EQ(n, 5u);
    }
}

TEST(DatabaseImport, IsAllOrNothingAndOnlyIntoAnEmptyDatabase) {
    const auto dir = scratch("db");
    const auto bad = scratch("bad");
    for (const auto& f : fs::directory_iterator(sample_dir)) fs::copy(f.path(), bad);
    std::ofstream(bad / "usage.csv", std::ios::app) << "R-9999,sales_call,,2025-01-01\n";
    database_options o;
    o.create = true;
    database db(dir / "program.db", o);
    const auto message = error_of([&] { db.import_program(bad, tester()); });
    EXPECT_NE(message.find("usage.csv:"), std::string::npos) << message;
    EXPECT_EQ(raw_sql(dir / "program.db", "SELECT count(*) FROM reference_customer"), "0");

    // Cancelled through its progress: nothing written either.
    const auto stopped = error_of([&] {
        db.import_program(sample_dir, tester(),
                          [](const progress_update& at) { return at.stage != "usage.csv"; });
    });
    EXPECT_EQ(stopped, "reading usage.csv cancelled");
    EXPECT_EQ(raw_sql(dir / "program.db", "SELECT count(*) FROM reference_customer"), "0");

    db.import_program(sample_dir, tester());
    const auto twice = error_of([&] { db.import_program(sample_dir, tester()); });
    EXPECT_EQ(twice, (dir / "program.db").string() +
                         ": import a program: the database already holds a program (import needs "
                         "an empty one: create a new file)");
    EXPECT_EQ(db.program()->references.size(), 2000u);
}

// --- Writes ------------------------------------------------------------------------------------

TEST(DatabaseWrites, RecordUsageIsDurableAndSeenByProgramAndEngine) {
    const auto path = sample_database(scratch("db"));
    const date now = *parse_date("2025-07-01");
    std::int64_t first = 0;
    std::size_t before = 0;
    {
        database db(path);
        const auto p = db.program();
        const auto call = p->vocab->activities.at("sales_call");
        before = p->usage.size();
        const auto used = p->usage.used("R-0001", call, 365, now);
        first = db.record_usage(use_of(*p, "R-0001", "sales_call", "P-0001", "2025-06-30"),
                                {"ana", test_workload::at()});
        EXPECT_EQ(p->usage.used("R-0001", call, 365, now), used + 1);
        const std::vector<usage_event> batch = {
            use_of(*p, "R-0002", "case_study", "P-0002", "2025-06-29"),
            use_of(*p, "R-0001", "sales_call", "P-0003", "2025-06-28")};
        EXPECT_EQ(db.record_usage(batch, tester()), first + 1);
        EXPECT_EQ(p->usage.used("R-0001", call, 365, now), used + 2);
        EXPECT_EQ(p->usage.size(), before + 3);
    }
    // Reopened: all three, in order, with who and when.
    database db(path);
    EXPECT_EQ(db.program()->usage.size(), before + 3);
    const auto h = db.history("R-0001");
    ASSERT_GE(h.size(), 2u);
    EXPECT_EQ(h[h.size() - 2].event_id, first);
    EXPECT_EQ(h[h.size() - 2].recorded_by, "ana");
    EXPECT_EQ(h[h.size() - 2].recorded_at, "2025-07-01T09:00:00Z");
    EXPECT_EQ(h.back().event.opportunity_id, "P-0003");
    EXPECT_EQ(h.back().event_id, first + 2);
    for (const auto& e : h) EXPECT_EQ(e.event.reference_id, "R-0001");
}

TEST(DatabaseWrites, ARejectedUseWritesNothing) {
    const auto path = sample_database(scratch("db"));
    database db(path);
    const auto p = db.program();
    const auto size = p->usage.size();
    const std::vector<usage_event> batch = {
        use_of(*p, "R-0001", "sales_call", "t:x", "2025-06-30"),
        {"R-9999", p->vocab->activities.at("sales_call"), "t:x", *parse_date("2025-06-30")}};
    EXPECT_EQ(error_of([&] { (void)db.record_usage(batch, tester()); }),
              "usage of 'R-9999': field 'reference_id': expected a reference id of the program, "
              "got 'R-9999'");
    EXPECT_EQ(p->usage.size(), size);
    EXPECT_EQ(ledger_count(path, "t:x"), 0u);
    // The ledger is append-only, whoever asks.
    EXPECT_EQ(raw_sql(path, "DELETE FROM usage_ledger"), "error: the usage ledger is append-only");
    EXPECT_EQ(raw_sql(path, "UPDATE usage_ledger SET day = '2020-01-01'"),
              "error: the usage ledger is append-only");
}

// A connection behind another's commits checks its uses against the tables, not its memory: a
// reference only the other connection added is taken, an unknown one is refused whole.
TEST(DatabaseWrites, AConnectionBehindChecksUsesAgainstTheTables) {
    const auto path = sample_database(scratch("db"));
    database a(path);
    database b(path);
    auto r = a.program()->references.at("R-0001");
    r.id = "R-FROM-A";
    a.add_reference(r);
    const auto p = b.program();
    ASSERT_FALSE(p->references.contains("R-FROM-A"));
    const std::vector<usage_event> bad = {
        {"R-FROM-A", p->vocab->activities.at("sales_call"), "t:behind", *parse_date("2025-06-30")},
        {"R-9999", p->vocab->activities.at("sales_call"), "t:behind", *parse_date("2025-06-30")}};
    EXPECT_EQ(error_of([&] { (void)b.record_usage(bad, tester()); }),
              "usage of 'R-9999': field 'reference_id': expected a reference id of the program, "
              "got 'R-9999'");
    EXPECT_EQ(ledger_count(path, "t:behind"), 0u);
    const auto id = b.record_usage(bad[0], tester());
    EXPECT_EQ(ledger_count(path, "t:behind"), 1u);
    EXPECT_EQ(b.history("R-FROM-A").at(0).event_id, id);
    EXPECT_TRUE(b.program()->references.contains("R-FROM-A"));
    EXPECT_TRUE(b.check().empty());
}

// A reference's history is its rows of the whole ledger, in event order, over a ledger of several
// blocks of 2^16 events (the per-reference index's first key): the oracle is a filter of the
// whole ledger.
TEST(DatabaseWrites, HistoryOfAReferenceIsItsRowsOfTheWholeLedger) {
    const auto path = sample_database(scratch("db"));
    database db(path);
    const auto p = db.program();
    std::vector<std::string> ids;
    p->references.for_each([&](const auto& r) { ids.emplace_back(r.id()); });
    std::mt19937_64 rng(11);
    std::vector<usage_event> batch(10000);
    for (int i = 0; i < 15; ++i) {
        for (auto& e : batch)
            e = {ids[rng() % ids.size()], activity_id{static_cast<std::uint16_t>(rng() % 12)},
                 "t:h" + std::to_string(i), *parse_date("2025-06-30")};
        (void)db.record_usage(batch, tester());
    }
    const auto all = db.history("");
    ASSERT_GT(all.size(), 150000u);
    ASSERT_GT(all.back().event_id >> 16, 1);
    for (const auto& id : {ids.front(), ids[ids.size() / 2], ids.back()}) {
        std::vector<ledger_entry> expected;
        std::copy_if(all.begin(), all.end(), std::back_inserter(expected),
                     [&](const ledger_entry& e) { return e.event.reference_id == id; });
        EXPECT_GT(expected.size(), 20u);
        EXPECT_EQ(db.history(id), expected) << id;
    }
    EXPECT_TRUE(db.history("R-9999").empty());
}

TEST(DatabaseWrites, ReferencesAndProspectsChangeInOneTransactionEach) {
    const auto path = sample_database(scratch("db"));
    database db(path);
    auto r = db.program()->references.at("R-0001");
    r.id = "R-NEW";
    r.status = reference_status::active;
    engine e(db.program());
    db.add_reference(r);
    EXPECT_TRUE(db.program()->references.contains("R-NEW"));
    EXPECT_TRUE(e.refresh());
    EXPECT_EQ(error_of([&] { db.add_reference(r); }),
              "reference 'R-NEW': field 'id': expected an id not yet in the program, got 'R-NEW'");
    auto bad = r;
    bad.id = "R-BAD";
    bad.industry = "Fintech";
    EXPECT_NE(error_of([&] { db.add_reference(bad); }).find("Fintech"), std::string::npos);
    EXPECT_EQ(raw_sql(path, "SELECT count(*) FROM reference_customer WHERE id = 'R-BAD'"), "0");

    db.set_reference_status("R-NEW", reference_status::paused);
    EXPECT_EQ(db.program()->references.at("R-NEW").status, reference_status::paused);
    EXPECT_TRUE(e.stale());
    EXPECT_EQ(error_of([&] { db.set_reference_status("R-404", reference_status::active); }),
              "no reference 'R-404' in the program");
    r.name = "Renamed";
    r.status = reference_status::paused;
    db.update_reference(r);

    auto pr = db.program()->prospects.at("P-0001");
    pr.id = "P-NEW";
    db.add_prospect(pr);
    pr.stage = "closing";
    db.update_prospect(pr);
    pr.id = "P-404";
    EXPECT_EQ(error_of([&] { db.update_prospect(pr); }), "no prospect 'P-404' in the program");

    database again(path);
    expect_same_program(*again.program(), *db.program());
    EXPECT_EQ(again.program()->references.at("R-NEW").name, "Renamed");
    EXPECT_EQ(again.program()->prospects.at("P-NEW").stage, "closing");
}

TEST(DatabaseRefresh, SeesOtherConnectionsWholeTransactions) {
    const auto path = sample_database(scratch("db"));
    database a(path);
    database b(path);
    engine over_b(b.program());
    EXPECT_FALSE(b.refresh());
    const auto p = a.program();
    std::mt19937_64 rng(1);
    (void)a.record_usage(test_workload::batch(p->references.all(), rng, "t:b1"), tester());
    EXPECT_EQ(test_workload::counts(b.program()->usage.events()).count("t:b1"), 0u);
    EXPECT_TRUE(b.refresh());
    EXPECT_EQ(test_workload::counts(b.program()->usage.events())["t:b1"],
              test_workload::batch_size);
    // Uses alone leave the engine's snapshot current (it reads the ledger live).
    EXPECT_FALSE(over_b.stale());
    auto r = p->references.at("R-0002");
    r.owner = "Someone Else";
    a.update_reference(r);
    EXPECT_TRUE(b.refresh());
    EXPECT_EQ(b.program()->references.at("R-0002").owner, "Someone Else");
    EXPECT_TRUE(over_b.stale());
    EXPECT_FALSE(b.refresh());
    expect_same_program(*a.program(), *b.program());
}

// Memory takes an import and its own commits directly, and catches up from the database after
// another connection wrote: either way it holds what a fresh open reads from the file.
TEST(DatabaseRefresh, MemoryAfterOwnAndOthersWritesIsWhatAReopenReads) {
    const auto dir = scratch("db");
    const auto path = dir / "program.db";
    database_options o;
    o.create = true;
    database a(path, o);
    a.import_program(sample_dir, tester());
    expect_same_program(*a.program(), *database(path).program());

    database b(path);
    const auto p = a.program();
    std::mt19937_64 rng(7);
    (void)a.record_usage(test_workload::batch(p->references.all(), rng, "t:own1"), tester());
    (void)a.record_usage(use_of(*p, "R-0003", "sales_call", "t:own2", "2025-06-01"), tester());
    expect_same_program(*a.program(), *database(path).program());
    // Another connection commits before a's next write: a's write brings it in too, in order.
    (void)b.record_usage(test_workload::batch(p->references.all(), rng, "t:other"), tester());
    (void)a.record_usage(use_of(*p, "R-0004", "case_study", "t:own3", "2025-06-02"), tester());
    expect_same_program(*a.program(), *database(path).program());
    EXPECT_EQ(ledger_count(path, "t:other"), test_workload::batch_size);
    // A rejected batch changes neither the file nor memory.
    std::vector<usage_event> bad = {use_of(*p, "R-0004", "case_study", "t:bad", "2025-06-03"),
                                    {"R-NONE", activity_id{0}, "t:bad", *parse_date("2025-06-03")}};
    EXPECT_THROW((void)a.record_usage(bad, tester()), validation_error);
    EXPECT_EQ(ledger_count(path, "t:bad"), 0u);
    expect_same_program(*a.program(), *database(path).program());
}

// --- Reliability: kill -9, I/O faults, concurrency ---------------------------------------------

// Kills a child recording usage at random moments; every acknowledged call must be there, whole,
// and nothing half-written. REFMATCH_DB_KILLS overrides the number of kills (the soak script).
TEST(DatabaseReliability, KillNineLosesNothingAcknowledged) {
    const auto dir = scratch("db");
    const auto path = sample_database(dir);
    const auto acks = dir / "acks.txt";
    const char* env = std::getenv("REFMATCH_DB_KILLS");
    const int kills = env ? std::atoi(env) : 50;
    std::mt19937_64 rng(20251201);
    int killed_mid_run = 0;
    for (int k = 0; k < kills; ++k) {
        // Killed once it has recorded at least one call, then at a random moment.
        const auto acked = lines_of(acks).size();
        const pid_t pid = spawn({REFMATCH_DB_CHILD, "record", path.string(), acks.string(),
                                 std::to_string(rng()), "1000000"});
        for (int wait = 0; wait < 2000 && lines_of(acks).size() == acked; ++wait)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
        kill(pid, SIGKILL);
        if (wait_for(pid) == 128 + SIGKILL) ++killed_mid_run;
    }
    EXPECT_EQ(killed_mid_run, kills);
    database db(path);
    EXPECT_TRUE(db.check().empty());
    const auto counts = test_workload::counts(db.program()->usage.events());
    const auto acknowledged = lines_of(acks);
    EXPECT_GT(acknowledged.size(), static_cast<std::size_t>(kills));
    for (const auto& opportunity : acknowledged) {
        const auto it = counts.find(opportunity);
        ASSERT_NE(it, counts.end()) << opportunity << " acknowledged but lost";
        EXPECT_EQ(it->second, opportunity.starts_with("t:b") ? test_workload::batch_size : 1u)
            << opportunity;
    }
    EXPECT_EQ(test_workload::broken_batch(db.program()->usage.events()), "");
    // At most one call per kill can be committed without its acknowledgement.
    std::size_t tagged = 0;
    for (const auto& [opportunity, n] : counts) tagged += opportunity.starts_with("t:") ? 1 : 0;
    EXPECT_LE(tagged, acknowledged.size() + static_cast<std::size_t>(kills));
    std::cout << "kills " << kills << ", calls acknowledged " << acknowledged.size()
              << ", committed " << tagged << '\n';
}

TEST(DatabaseReliability, IoFaultsAreErrorsAndLoseNothingCommitted) {
    fault_vfs::install();
    const auto dir = scratch("db");
    const auto origin = sample_database(dir);
    std::mt19937_64 rng(7);
    const auto refs = load_program(sample_dir)->references.all();
    int failures_seen = 0;
    // Fail after n writes/syncs for a spread of n: during open, commits, checkpoints.
    for (const long n : {0, 1, 2, 3, 4, 6, 8, 11, 15, 20, 27, 35, 45, 60, 80, 110}) {
        const auto path = dir / ("fault" + std::to_string(n) + ".db");
        fs::copy_file(origin, path);
        std::vector<std::string> acknowledged;
        std::set<std::string> attempted;
        database_options o;
        o.vfs = fault_vfs::name;
        fault_vfs::fail_after(n);
        try {
            database db(path, o);
            for (int call = 0; call < 20; ++call) {
                const auto opportunity = "t:" + std::string(call % 2 ? "b" : "s") +
                                         std::to_string(n) + "-" + std::to_string(call);
                attempted.insert(opportunity);
                try {
                    if (call % 2)
                        (void)db.record_usage(test_workload::batch(refs, rng, opportunity),
                                              tester());
                    else
                        (void)db.record_usage(test_workload::single(refs, rng, opportunity),
                                              tester());
                    acknowledged.push_back(opportunity);
                } catch (const database_error& e) {
                    ++failures_seen;
                    const std::string m = e.what();
                    EXPECT_EQ(m.rfind(path.string() + ": ", 0), 0u) << m;
                    EXPECT_NE(m.find("I/O error"), std::string::npos) << m;
                }
            }
        } catch (const database_error& e) {
            ++failures_seen;
            EXPECT_NE(std::string(e.what()).find("I/O error"), std::string::npos) << e.what();
        }
        fault_vfs::fail_after(-1);
        database reopened(path);
        EXPECT_TRUE(reopened.check().empty()) << n;
        const auto counts = test_workload::counts(reopened.program()->usage.events());
        for (const auto& a : acknowledged) {
            ASSERT_TRUE(counts.count(a)) << a << " acknowledged but lost (n = " << n << ")";
            EXPECT_EQ(counts.at(a), a.starts_with("t:b") ? test_workload::batch_size : 1u);
        }
        EXPECT_EQ(test_workload::broken_batch(reopened.program()->usage.events()), "");
        for (const auto& [opportunity, count] : counts)
            if (opportunity.starts_with("t:")) {
                EXPECT_TRUE(attempted.count(opportunity));
            }
    }
    EXPECT_GT(failures_seen, 15);
}

TEST(DatabaseConcurrency, TwoWriterThreadsBothSucceed) {
    const auto path = sample_database(scratch("db"));
    constexpr int per_thread = 40;
    std::vector<std::thread> writers;
    std::atomic<int> done{0};
    for (int t = 0; t < 2; ++t)
        writers.emplace_back([&, t] {
            database db(path);
            std::mt19937_64 rng(static_cast<std::uint64_t>(t));
            const auto refs = db.program()->references.all();
            for (int i = 0; i < per_thread; ++i) {
                (void)db.record_usage(
                    test_workload::single(refs, rng,
                                          "t:s" + std::to_string(t) + "-" + std::to_string(i)),
                    tester());
                ++done;
            }
        });
    for (auto& w : writers) w.join();
    EXPECT_EQ(done, 2 * per_thread);
    database db(path);
    std::size_t tagged = 0;
    for (const auto& [o, n] : test_workload::counts(db.program()->usage.events())) {
        if (!o.starts_with("t:")) continue;
        ++tagged;
        EXPECT_EQ(n, 1u) << o;
    }
    EXPECT_EQ(tagged, 2u * per_thread);
}

TEST(DatabaseConcurrency, WritersAndReadersInOtherProcesses) {
    const auto dir = scratch("db");
    const auto path = sample_database(dir);
    const pid_t reader = spawn({REFMATCH_DB_CHILD, "watch", path.string(), "1500"});
    const pid_t batches = spawn(
        {REFMATCH_DB_CHILD, "record", path.string(), (dir / "acks-r.txt").string(), "5", "60"});
    const pid_t w1 = spawn(
        {REFMATCH_DB_CHILD, "write", path.string(), (dir / "acks1.txt").string(), "40", "p1"});
    const pid_t w2 = spawn(
        {REFMATCH_DB_CHILD, "write", path.string(), (dir / "acks2.txt").string(), "40", "p2"});
    EXPECT_EQ(wait_for(batches), 0);
    EXPECT_EQ(wait_for(w1), 0);
    EXPECT_EQ(wait_for(w2), 0);
    EXPECT_EQ(wait_for(reader), 0) << "a reader saw a half batch";
    database db(path);
    const auto counts = test_workload::counts(db.program()->usage.events());
    std::size_t ok = 0;
    for (const auto* name : {"acks1.txt", "acks2.txt"})
        for (const auto& line : lines_of(dir / name)) {
            const auto id = line.substr(line.find(' ') + 1);
            const bool busy = line.starts_with("busy ");
            // A busy call wrote nothing; a successful one wrote its event once.
            EXPECT_EQ(counts.count(id) ? counts.at(id) : 0u, busy ? 0u : 1u) << line;
            ok += busy ? 0 : 1;
        }
    EXPECT_EQ(ok, 80u) << "with a 5 s busy timeout every write gets through";
    EXPECT_EQ(test_workload::broken_batch(db.program()->usage.events()), "");
}

TEST(DatabaseConcurrency, AHeldWriteLockIsAClearBusyError) {
    const auto path = sample_database(scratch("db"));
    database_options o;
    o.busy_timeout = std::chrono::milliseconds(50);
    database db(path, o);
    const auto size = db.program()->usage.size();
    sqlite3* other = nullptr;
    sqlite3_open(path.c_str(), &other);
    sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    const auto message = error_of([&] {
        (void)db.record_usage(use_of(*db.program(), "R-0001", "sales_call", "t:busy", "2025-06-30"),
                              tester());
    });
    EXPECT_EQ(message, path.string() +
                           ": record usage: database busy: another connection held the write lock "
                           "past the busy timeout; nothing was written");
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(db.program()->usage.size(), size);
    (void)db.record_usage(use_of(*db.program(), "R-0001", "sales_call", "t:busy", "2025-06-30"),
                          tester());
    EXPECT_EQ(ledger_count(path, "t:busy"), 1u);
}
