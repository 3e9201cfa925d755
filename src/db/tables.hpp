#pragma once
// Reading and writing the program's tables (private to refmatch::db). Records go through
// refmatch::io's record rules (io/records.hpp) both ways, so the database holds exactly the fields
// the files hold and reads them back with the same checks.

#include "db/sqlite.hpp"

#include <refmatch/db/database.hpp>
#include <refmatch/program.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::db {

/// How far the in-memory program follows the database.
struct cursor {
    std::int64_t generation = 0;  ///< program_state.generation
    std::int64_t revision = 0;    ///< program_state.revision
    std::int64_t last_event = 0;  ///< the highest usage_ledger.event_id applied
};

struct loaded_program {
    std::unique_ptr<refmatch::program> program;
    cursor seen;
};

/// The program_state row (last_event left 0). Call inside a transaction.
cursor read_cursor(const connection& c);
/// Bumps and returns the revision (inside the write transaction).
std::int64_t bump_revision(const connection& c, std::string_view operation);
std::int64_t count_rows(const connection& c, std::string_view table);

/// Reads every table and assembles the program. Call inside a read transaction. With
/// `ledger_reader` (another connection to the same file, used by nothing else meanwhile) the
/// usage ledger is read through it on a second thread while `c` reads the other tables.
/// @throws database_error (SQLite) or parse_error naming the table and row.
loaded_program load_program(const connection& c, const connection* ledger_reader = nullptr);

/// Applies to `p` the rows written after `seen` (references, prospects, usage), and moves
/// `seen.last_event` on. Call inside a read transaction.
void apply_changes(const connection& c, refmatch::program& p, cursor& seen);

/// Writes a whole program into empty tables and bumps the generation; returns where the
/// database then is (the program's last event included).
cursor write_program(const connection& c, const refmatch::program& p, std::int64_t revision,
                     std::string_view who, std::string_view at);
/// Inserts references (`replace`: updates existing ones, each must exist).
void upsert_references(const connection& c, const vocabulary& v,
                       std::span<const reference_customer> rs, std::int64_t revision, bool replace);
void set_status(const connection& c, std::string_view id, reference_status s,
                std::int64_t revision);
void upsert_prospects(const connection& c, const vocabulary& v, std::span<const prospect> ps,
                      std::int64_t revision, bool replace);
/// Appends usage events; returns the first event id (the others follow it, one apart).
/// @throws validation_error for a reference or activity not in the tables (unless `checked`:
/// the events were checked already, as a program's are, or against memory that holds every
/// commit). These checks stand in for the foreign keys: they hold with foreign_keys off too.
std::int64_t insert_usage(const connection& c, const vocabulary& v,
                          std::span<const usage_event> events, std::string_view who,
                          std::string_view at, bool checked = false);

std::vector<ledger_entry> read_history(const connection& c, const vocabulary& v,
                                       std::string_view reference_id);
/// integrity_check, foreign_key_check and a full load; the problems found.
std::vector<std::string> check(const connection& c);

}  // namespace refmatch::db
