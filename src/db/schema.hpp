#pragma once
// The schema of the program database and its forward-only migrations (private to refmatch::db).
// docs/database.md shows the tables.

#include "db/sqlite.hpp"

namespace refmatch::db {

/// PRAGMA application_id of a refmatch database ("RFMT"): a SQLite file of another application
/// is refused rather than written to.
inline constexpr int application_id = 0x52464d54;

/// Brings the schema of `c` to `target`, all migrations in one write transaction, or refuses
/// the file: a newer schema, another application's database, or (with `read_only`) one that
/// needs migrating. @throws database_error.
void migrate(const connection& c, int target, bool read_only);

}  // namespace refmatch::db
