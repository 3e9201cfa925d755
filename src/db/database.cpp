// refmatch::database: opening, loading through the assembly path, transactional writes, refresh.

#include "db/measurement_tables.hpp"
#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "db/tables.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/content/library.hpp>
#include <refmatch/db/database.hpp>
#include <refmatch/measurement/outcomes_io.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <unistd.h>

namespace refmatch {
namespace {

namespace fs = std::filesystem;

// Refuses, before SQLite sees the path, what it would otherwise misreport or silently accept.
void check_path(const fs::path& path, const database_options& o) {
    const std::string name = path.string();
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (fs::is_directory(status))
        throw database_error(name + ": open: is a directory, expected a database file");
    const auto dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    if (!fs::exists(status)) {
        if (!o.create)
            throw database_error(name +
                                 ": open: no such database file (create one with `refmatch db "
                                 "init`, or the create option)");
        if (!fs::is_directory(dir, ec))
            throw database_error(name + ": open: no such directory '" + dir.string() + "'");
    } else if (!o.create && fs::file_size(path, ec) == 0) {
        throw database_error(name + ": open: the file is empty, expected a refmatch database");
    }
    // SQLite keeps the -wal and -shm files beside the database: a writer needs the directory.
    if (!o.read_only && ::access(dir.c_str(), W_OK) != 0)
        throw database_error(name + ": open: the directory '" + dir.string() +
                             "' is not writable (a database needs its -wal and -shm files "
                             "beside it); open it read-only to read it");
}

}  // namespace

struct database::impl {
    fs::path path;
    database_options options;
    db::connection conn;
    mutable std::mutex mutex;
    std::shared_ptr<refmatch::program> prog;
    db::cursor seen;  // what of the database the in-memory program holds
    std::int64_t data_version = 0;

    impl(const fs::path& p, const database_options& o) : path(p), options(o) {
        check_path(path, options);
        // NOMUTEX: the object's mutex serialises every use of its connection already, so
        // SQLite's own lock around each call (every column read of a load) is not needed.
        int flags = (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    SQLITE_OPEN_NOMUTEX;
        if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
        conn = db::connection(path.string(), flags,
                              options.vfs.empty() ? nullptr : options.vfs.c_str());
        sqlite3_busy_timeout(conn.get(), static_cast<int>(options.busy_timeout.count()));
        if (!options.read_only && sqlite3_db_readonly(conn.get(), "main") == 1)
            throw database_error(path.string() +
                                 ": open: the file is read-only; open it read-only to read it");
        conn.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
        db::migrate(conn, schema_version, options.read_only);
        if (!options.read_only) {
            // WAL: readers never block the writer and see the last commit before they began.
            // synchronous=FULL: the WAL is fsynced at every commit, so a commit that returned
            // survives power loss too (NORMAL would survive only a process crash).
            db::statement wal(conn, "PRAGMA journal_mode = WAL", "set the WAL journal");
            if (!wal.step() || wal.text(0) != "wal")
                throw database_error(path.string() + ": set the WAL journal: got journal mode '" +
                                     std::string(wal.text(0)) + "'");
        }
        conn.exec("PRAGMA synchronous = FULL", "set synchronous");
        // Writes to a large ledger touch pages all over its index: read them through a memory
        // map and keep more of them cached than SQLite's 2 MiB default.
        conn.exec("PRAGMA mmap_size = 4294967296", "set the memory map");
        conn.exec("PRAGMA cache_size = -65536", "set the page cache");
        if (!options.read_only && db::count_rows(conn, "activity") == 0) {
            // A new database holds the empty program: the standard activities and quotas.
            db::transaction t(conn, db::transaction::write, "create the program");
            if (db::count_rows(conn, "activity") == 0)
                db::write_program(conn, refmatch::program(standard_vocabulary()),
                                  db::bump_revision(conn, "create the program"), "", "");
            t.commit();
        }
        reload();
    }

    std::int64_t read_data_version() const {
        db::statement s(conn, "PRAGMA data_version", "refresh");
        return s.step() ? s.integer(0) : 0;
    }

    // A second connection for reading the ledger while `conn` reads the other tables (see
    // db::load_program): loading the whole program uses both cores.
    db::connection ledger_reader() const {
        db::connection c(path.string(), SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         options.vfs.empty() ? nullptr : options.vfs.c_str());
        sqlite3_busy_timeout(c.get(), static_cast<int>(options.busy_timeout.count()));
        c.exec("PRAGMA mmap_size = 4294967296", "set the memory map");
        return c;
    }

    db::loaded_program load() const {
        const auto reader = ledger_reader();
        return db::load_program(conn, &reader);
    }

    // Builds the program anew from the database (one read snapshot).
    void reload() {
        data_version = read_data_version();
        db::transaction t(conn, db::transaction::read, "load the program");
        auto loaded = load();
        t.commit();
        prog = std::move(loaded.program);
        seen = loaded.seen;
    }

    // Applies what other transactions committed since `seen`; returns whether anything changed.
    bool catch_up() {
        db::transaction t(conn, db::transaction::read, "refresh");
        const auto now = db::read_cursor(conn);
        if (now.generation != seen.generation) {
            auto loaded = load();
            t.commit();
            prog = std::move(loaded.program);
            seen = loaded.seen;
            return true;
        }
        if (now.revision == seen.revision) return false;
        db::apply_changes(conn, *prog, seen);
        t.commit();
        seen.revision = now.revision;
        return true;
    }

    // One write: `body(revision, current)` runs inside a write transaction that also bumps the
    // revision; `current` says whether memory held every commit before this one (no other
    // connection wrote since it last followed). After the commit, when it was current,
    // `apply_own(result)` puts this transaction's rows into memory directly; otherwise (or
    // without `apply_own`) memory catches up from the database, own rows included.
    template <class F, class Apply = std::nullptr_t>
    auto write(std::string_view operation, F&& body, Apply&& apply_own = nullptr) {
        if (options.read_only)
            throw database_error(path.string() + ": " + std::string(operation) +
                                 ": the database is open read-only");
        db::transaction t(conn, db::transaction::write, operation);
        const auto revision = db::bump_revision(conn, operation);
        const bool current = revision == seen.revision + 1;
        auto result = body(revision, current);
        t.commit();
        if constexpr (std::is_same_v<std::decay_t<Apply>, std::nullptr_t>) {
            catch_up();
        } else if (!current) {
            catch_up();
        } else {
            try {
                apply_own(result);
                seen.revision = revision;
            } catch (...) {
                // Memory took only part of the commit: build it anew from the database.
                reload();
            }
        }
        return result;
    }

    // Turns SQLite's foreign-key enforcement off until the returned guard goes (the pragma is
    // taken only outside a transaction, hence before the write begins).
    struct foreign_keys_on {
        const db::connection* c;
        ~foreign_keys_on() {
            sqlite3_exec(c->get(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
        }
    };
    [[nodiscard]] foreign_keys_on foreign_keys_off(std::string_view operation) {
        conn.exec("PRAGMA foreign_keys = OFF", operation);
        return {&conn};
    }

    // Imports `p` (and what `beside` writes) in one transaction. The program read back would be
    // `p` itself: memory takes `take()` (p, or a copy of it) rather than loading the tables.
    template <class Take, class Beside>
    void import(const refmatch::program& p, const recorded_by& by, Take&& take, Beside&& beside) {
        db::cursor after;
        // Into an empty database, every row names rows of `p` itself (write_program checks the
        // ledger's reference ids once each, the stores checked the rest), so SQLite's
        // foreign-key lookups, one per ledger row, are left out of this transaction. The pragma
        // is taken only outside a transaction, hence here; it is back on when this returns.
        const auto restore = foreign_keys_off("import a program");
        write(
            "import a program",
            [&](std::int64_t revision, bool) {
                require_empty("import a program");
                after = db::write_program(conn, p, revision, by.who, format_timestamp(by.at));
                beside();
                return 0;
            },
            [&](int) {
                prog = take();
                seen = after;
            });
    }

    void require_empty(std::string_view operation) {
        if (db::count_rows(conn, "reference_customer") + db::count_rows(conn, "prospect") +
                db::count_rows(conn, "usage_ledger") !=
            0)
            throw database_error(path.string() + ": " + std::string(operation) +
                                 ": the database already holds a program (import needs an empty "
                                 "one: create a new file)");
    }
};

database::database(const fs::path& path, const database_options& options)
    : impl_(std::make_unique<impl>(path, options)) {}
database::~database() = default;
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;

const fs::path& database::path() const noexcept {
    return impl_->path;
}

const database_options& database::options() const noexcept {
    return impl_->options;
}

std::shared_ptr<const program> database::program() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->prog;
}

bool database::refresh() {
    std::lock_guard lock(impl_->mutex);
    const auto v = impl_->read_data_version();
    if (v == impl_->data_version) return false;
    impl_->data_version = v;
    return impl_->catch_up();
}

void database::import_program(const fs::path& directory, const recorded_by& by,
                              const progress_callback& progress) {
    std::shared_ptr<refmatch::program> p = load_program(directory, progress);
    const auto outcomes = measurement::load_program_outcomes(directory, *p->vocab);
    const auto items = content::load_program_content(directory, *p->vocab);
    content::check_content(items, *p);
    std::lock_guard lock(impl_->mutex);
    impl_->import(
        *p, by, [&] { return std::move(p); },
        [&] {
            db::put_outcomes(impl_->conn, outcomes);
            db::put_content(impl_->conn, items);
        });
}

void database::import_program(const refmatch::program& p, const recorded_by& by,
                              std::span<const measurement::opportunity_outcome> outcomes) {
    measurement::check_outcomes(outcomes, *p.vocab);
    std::lock_guard lock(impl_->mutex);
    impl_->import(
        p, by, [&] { return std::make_shared<refmatch::program>(p); },
        [&] { db::put_outcomes(impl_->conn, outcomes); });
}

void database::export_program(const fs::path& directory, file_format format) const {
    const auto p = program();
    save_program(*p, directory, format);
    // The tables beside the program, when it has them, in the program's format (files identical
    // to their save_*).
    const std::string extension = format == file_format::json ? ".json" : ".csv";
    const std::string stale = format == file_format::json ? ".csv" : ".json";
    std::error_code ec;
    for (const char* table : {"outcomes", "content"})
        if (!fs::remove(directory / (table + stale), ec) && ec)
            throw error("cannot remove '" + (directory / (table + stale)).string() +
                        "': " + ec.message());
    if (const auto o = outcomes(); !o.empty())
        measurement::save_outcomes(directory / ("outcomes" + extension), o, *p->vocab);
    if (const auto c = content_items(); !c.empty())
        content::save_content(directory / ("content" + extension), c);
}

void database::add_reference(reference_customer r) {
    std::vector<reference_customer> one;
    one.push_back(std::move(r));
    add_references(std::move(one));
}

void database::add_references(std::vector<reference_customer> rs) {
    std::lock_guard lock(impl_->mutex);
    // Validated as the store validates, before anything is written.
    reference_store(impl_->prog->vocab).add_all(rs);
    impl_->write("add references", [&](std::int64_t revision, bool) {
        db::upsert_references(impl_->conn, *impl_->prog->vocab, rs, revision, false);
        return 0;
    });
}

void database::update_reference(reference_customer r) {
    std::lock_guard lock(impl_->mutex);
    std::vector<reference_customer> one;
    one.push_back(std::move(r));
    reference_store(impl_->prog->vocab).add_all(one);
    impl_->write("update a reference", [&](std::int64_t revision, bool) {
        db::upsert_references(impl_->conn, *impl_->prog->vocab, one, revision, true);
        return 0;
    });
}

void database::set_reference_status(std::string_view id, reference_status status) {
    std::lock_guard lock(impl_->mutex);
    impl_->write("change a reference's status", [&](std::int64_t revision, bool) {
        db::set_status(impl_->conn, id, status, revision);
        return 0;
    });
}

void database::add_prospect(prospect p) {
    std::lock_guard lock(impl_->mutex);
    std::vector<prospect> one;
    one.push_back(std::move(p));
    prospect_store(impl_->prog->vocab).add_all(one);
    impl_->write("add a prospect", [&](std::int64_t revision, bool) {
        db::upsert_prospects(impl_->conn, *impl_->prog->vocab, one, revision, false);
        return 0;
    });
}

void database::update_prospect(prospect p) {
    std::lock_guard lock(impl_->mutex);
    std::vector<prospect> one;
    one.push_back(std::move(p));
    prospect_store(impl_->prog->vocab).add_all(one);
    impl_->write("update a prospect", [&](std::int64_t revision, bool) {
        db::upsert_prospects(impl_->conn, *impl_->prog->vocab, one, revision, true);
        return 0;
    });
}

std::int64_t database::record_usage(const usage_event& e, const recorded_by& by) {
    return record_usage(std::span<const usage_event>(&e, 1), by);
}

std::int64_t database::record_usage(std::span<const usage_event> events, const recorded_by& by) {
    std::lock_guard lock(impl_->mutex);
    const auto at = format_timestamp(by.at);
    auto& m = *impl_;
    // Every event is checked before it is written: against memory when memory holds every
    // commit (it then knows every reference and activity the database does), otherwise by
    // insert_usage against the tables. SQLite's own foreign-key lookups, a search of the 1M
    // reference_customer keys per row, would only repeat those checks: they are left out.
    const auto restore = m.foreign_keys_off("record usage");
    return m.write(
        "record usage",
        [&](std::int64_t, bool current) {
            if (current)
                for (const auto& e : events) m.prog->check_usage(e);
            return db::insert_usage(m.conn, *m.prog->vocab, events, by.who, at, current);
        },
        [&](std::int64_t first) {
            // Checked above, as record_usage would check them again.
            for (const auto& e : events) m.prog->usage.record(e);
            if (!events.empty())
                m.seen.last_event = first + static_cast<std::int64_t>(events.size()) - 1;
        });
}

std::vector<ledger_entry> database::history(std::string_view reference_id) const {
    std::lock_guard lock(impl_->mutex);
    db::transaction t(impl_->conn, db::transaction::read, "read the usage history");
    auto out = db::read_history(impl_->conn, *impl_->prog->vocab, reference_id);
    t.commit();
    return out;
}

std::vector<measurement::opportunity_outcome> database::outcomes() const {
    std::lock_guard lock(impl_->mutex);
    db::transaction t(impl_->conn, db::transaction::read, "read the outcomes");
    auto out = db::read_outcomes(impl_->conn, *impl_->prog->vocab);
    t.commit();
    return out;
}

void database::put_outcomes(std::span<const measurement::opportunity_outcome> outcomes) {
    std::lock_guard lock(impl_->mutex);
    const auto& v = *impl_->prog->vocab;
    measurement::check_outcomes(outcomes, v);
    impl_->write("write outcomes", [&](std::int64_t, bool) {
        db::put_outcomes(impl_->conn, outcomes);
        measurement::check_outcomes(db::read_outcomes(impl_->conn, v), v);
        return 0;
    });
}

std::vector<content::content_item> database::content_items() const {
    std::lock_guard lock(impl_->mutex);
    db::transaction t(impl_->conn, db::transaction::read, "read the materials library");
    auto out = db::read_content(impl_->conn, *impl_->prog->vocab);
    t.commit();
    return out;
}

void database::put_content_items(std::span<const content::content_item> items) {
    std::lock_guard lock(impl_->mutex);
    content::check_content(items, *impl_->prog);
    impl_->write("write content", [&](std::int64_t, bool) {
        db::put_content(impl_->conn, items);
        return 0;
    });
}

std::vector<std::string> database::check() const {
    std::lock_guard lock(impl_->mutex);
    return db::check(impl_->conn);
}

}  // namespace refmatch
