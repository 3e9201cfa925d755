#pragma once
/// @file db/database.hpp
/// The program database: a program held in one SQLite file, the system of record (link
/// refmatch::db). docs/database.md describes the schema, the durability and concurrency model and
/// what a crash can and cannot lose.

#include <refmatch/content/content_item.hpp>
#include <refmatch/db/errors.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/program.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// How a database is opened.
struct database_options {
    /// Create the file (and an empty program) when it does not exist. Without it a missing file
    /// is an error; an existing file is never overwritten either way.
    bool create = false;
    /// Open for reading only: every write throws `database_error`.
    bool read_only = false;
    /// How long a write waits for another connection's write lock before `database_busy_error`.
    std::chrono::milliseconds busy_timeout{5000};
    /// The SQLite VFS to open the file through (empty: the default one). Tests use a fault
    /// injecting VFS.
    std::string vfs;
};

/// Who recorded a change and when (the library never reads the clock: the caller says).
struct recorded_by {
    std::string who;
    /// UTC time of the recording, stored as `YYYY-MM-DDTHH:MM:SSZ`.
    std::chrono::sys_seconds at{};
};

/// One row of the usage ledger as the database holds it.
struct ledger_entry {
    std::int64_t event_id = 0;  ///< increasing in commit order, never reused
    usage_event event;
    std::string recorded_by;
    std::string recorded_at;  ///< `YYYY-MM-DDTHH:MM:SSZ`
    bool operator==(const ledger_entry&) const = default;
};

/// A reference program stored in a SQLite database file.
///
/// Opening runs the schema's forward migrations (a file of a newer schema is refused) and loads
/// the program into memory through the one assembly path, so `program()` and an `engine` over it
/// work as for a program loaded from files. Every write is one SQLite transaction, durable when
/// the call returns (WAL journal, `synchronous=FULL`), and then applied to the in-memory program
/// (usage through `program::record_usage`); call `engine::refresh()` after reference changes.
/// Commits of other connections (other processes, other `database` objects) reach memory on
/// `refresh()`, a whole transaction at a time.
///
/// **Errors:** every SQLite failure is a `database_error` naming the operation and the file
/// (`database_busy_error` when the write lock stayed taken past the busy timeout); a rejected
/// record is a `validation_error` and changes nothing.
///
/// **Thread safety:** one object may be shared by threads: its calls are serialised by a mutex
/// (the in-memory program stays readable meanwhile, see program.hpp). Several objects on the same
/// file, in one process or many, are the way to write concurrently.
///
/// **Complexity:** opening is linear in the database size (the usage ledger is read on a second
/// thread, through a second read-only connection, beside the other tables); a write costs one
/// transaction (one fsync of the WAL, see docs/benchmarks.md) plus O(1) per record applied to
/// memory; `refresh` costs one `PRAGMA data_version` when nothing changed, otherwise time linear in
/// what changed.
class database {
public:
    /// The schema version this library writes; older files are migrated on open.
    static constexpr int schema_version = 6;

    /// Opens (or, with `options.create`, creates) the database at `path`.
    /// @throws database_error: not a database, truncated, newer schema, missing file without
    ///         `create`, unwritable file or directory. The file is left as it was then.
    explicit database(const std::filesystem::path& path, const database_options& options = {});
    ~database();
    database(database&&) noexcept;
    database& operator=(database&&) noexcept;
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept;
    /// The options it was opened with (layers over the database open their connections alike).
    [[nodiscard]] const database_options& options() const noexcept;

    /// The in-memory program, kept in step with every commit this object makes or `refresh`es.
    /// It is replaced by a new object only when the whole program changes (an import by another
    /// connection): take it again after `refresh()` returns true if you hold one.
    [[nodiscard]] std::shared_ptr<const refmatch::program> program() const;

    /// Applies the commits of other connections since the last look, a whole transaction at a
    /// time; returns whether anything changed. Cheap when nothing did.
    bool refresh();

    /// Imports a program (a directory of files, or one in memory) into a database that holds
    /// no references, prospects or usage yet, in one transaction: all of it or nothing. Its
    /// usage events are recorded as by `by`. A directory's `outcomes.csv` and `content.csv`, when
    /// present, come in the same transaction.
    /// @throws parse_error for bad files, database_error when the database already holds a
    ///         program or the write fails.
    void import_program(const std::filesystem::path& directory, const recorded_by& by,
                        const progress_callback& progress = {});
    /// The same for a program in memory (a CRM import, say), with its opportunity outcomes in
    /// the same transaction (checked as `check_outcomes` checks them, before anything is
    /// written).
    void import_program(const refmatch::program& p, const recorded_by& by,
                        std::span<const measurement::opportunity_outcome> outcomes = {});

    /// Writes the program to a directory, files identical to `save_program` of it.
    void export_program(const std::filesystem::path& directory,
                        file_format format = file_format::csv) const;

    /// Adds references (one transaction); an existing id is a validation_error.
    void add_reference(reference_customer r);
    void add_references(std::vector<reference_customer> rs);
    /// Replaces the reference with the same id. @throws not_found_error for an unknown id.
    void update_reference(reference_customer r);
    /// Changes a reference's status. @throws not_found_error for an unknown id.
    void set_reference_status(std::string_view id, reference_status status);
    /// Adds or replaces a prospect.
    void add_prospect(prospect p);
    void update_prospect(prospect p);

    /// Records one use; durable when the call returns. Returns the event id.
    /// @throws validation_error for an unknown reference or activity (nothing is written).
    std::int64_t record_usage(const usage_event& e, const recorded_by& by);
    /// Records uses in one transaction, all or none; returns the first event id (the others
    /// follow in order).
    std::int64_t record_usage(std::span<const usage_event> events, const recorded_by& by);

    /// The ledger rows of one reference (all when `reference_id` is empty), by event id.
    [[nodiscard]] std::vector<ledger_entry> history(std::string_view reference_id) const;

    /// The opportunity outcomes (docs/measurement.md), by opportunity id.
    [[nodiscard]] std::vector<measurement::opportunity_outcome> outcomes() const;
    /// Adds outcomes, replacing those with the same opportunity id, in one transaction; the
    /// whole table after it is checked as `check_outcomes` checks it.
    /// @throws validation_error (nothing is written).
    void put_outcomes(std::span<const measurement::opportunity_outcome> outcomes);
    /// The materials library (docs/measurement.md), by id.
    [[nodiscard]] std::vector<content::content_item> content_items() const;
    /// Adds content items, replacing those with the same id, in one transaction.
    /// @throws validation_error as `content::check_content` (nothing is written).
    void put_content_items(std::span<const content::content_item> items);

    /// Checks the file: SQLite's integrity and foreign-key checks, then that the program loads.
    /// Returns the problems found (empty: all is well).
    [[nodiscard]] std::vector<std::string> check() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace refmatch
