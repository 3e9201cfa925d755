// The schema and its migrations. A migration is frozen once released: a change to the schema is
// a new entry at the end of `migrations`, never an edit of an old one.

#include "db/schema.hpp"

#include <array>
#include <string>

namespace refmatch::db {
namespace {

// Migration i brings a database from user_version i to i + 1.
//
// Records keep their fields as the file formats write them (NULL for an empty field; lists
// ';'-joined, consents with their personal limits as `case_study:2/365/90`), so that one parser
// (refmatch::io's record rules) reads files and database alike. `revision` is the program
// revision of the transaction that last wrote a row: `refresh` reads only what changed.
constexpr std::array<const char*, 2> migrations = {
    R"sql(
CREATE TABLE program_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL,  -- bumped when the whole program is replaced (import)
    revision    INTEGER NOT NULL   -- bumped by every write transaction
) STRICT;
INSERT INTO program_state VALUES (1, 1, 0);

CREATE TABLE product (
    position    INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    family      TEXT
) STRICT;

-- Every activity type of the program, standard and custom, with the program's quota for it.
CREATE TABLE activity (
    position       INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    max_uses       TEXT,
    window_days    TEXT NOT NULL,
    cooldown_days  TEXT NOT NULL
) STRICT;

CREATE TABLE reference_customer (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    industry      TEXT,
    products      TEXT,
    country       TEXT,
    size_band     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('candidate', 'active', 'paused', 'retired')),
    consents      TEXT,
    nps           TEXT,
    csat          TEXT,
    health        TEXT,
    owner         TEXT,
    last_contact  TEXT,
    revision      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX reference_customer_revision ON reference_customer (revision);

CREATE TABLE prospect (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    industry    TEXT,
    products    TEXT,
    country     TEXT,
    size_band   TEXT,
    deal_value  TEXT,
    stage       TEXT,
    activity    TEXT REFERENCES activity (name),
    needed_by   TEXT,
    exclusions  TEXT,
    owner       TEXT,
    revision    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX prospect_revision ON prospect (revision);

-- The usage ledger: append-only (the triggers refuse updates and deletes).
CREATE TABLE usage_ledger (
    event_id        INTEGER PRIMARY KEY,
    reference_id    TEXT NOT NULL REFERENCES reference_customer (id),
    activity        TEXT NOT NULL REFERENCES activity (name),
    opportunity_id  TEXT,
    day             TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
) STRICT;
CREATE INDEX usage_ledger_reference ON usage_ledger (reference_id, event_id);
CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
)sql",
    // 1 -> 2: measurement. Opportunity outcomes (what the ledger's opportunity ids became) and
    // the materials library, with the fields of outcomes.csv and content.csv.
    R"sql(
CREATE TABLE opportunity_outcome (
    opportunity_id  TEXT PRIMARY KEY,
    name            TEXT,
    industry        TEXT,
    country         TEXT,
    size_band       TEXT,
    stage           TEXT,
    status          TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    amount          TEXT,
    created         TEXT,
    closed          TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE content_item (
    id            TEXT PRIMARY KEY,
    title         TEXT,
    type          TEXT NOT NULL,
    reference_id  TEXT REFERENCES reference_customer (id),
    industry      TEXT,
    products      TEXT,
    country       TEXT,
    size_band     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'published')),
    published     TEXT,
    expires       TEXT,
    uses          TEXT
) STRICT, WITHOUT ROWID;
)sql",
};

std::int64_t pragma_int(const connection& c, const char* sql, std::string_view operation) {
    statement s(c, sql, operation);
    return s.step() ? s.integer(0) : 0;
}

}  // namespace

void migrate(const connection& c, int target, bool read_only) {
    static_assert(migrations.size() > 0);
    const auto& file = c.file();
    // Reading the header fails here for a file that is not a database.
    const auto version = pragma_int(c, "PRAGMA user_version", "read the schema version");
    const auto app = pragma_int(c, "PRAGMA application_id", "read the schema version");
    if (app != 0 && app != application_id)
        throw database_error(file +
                             ": open: expected a refmatch database, found a SQLite "
                             "database of another application (application_id " +
                             std::to_string(app) + ")");
    if (version > target)
        throw database_error(file + ": open: the database has schema version " +
                             std::to_string(version) + ", newer than this refmatch's " +
                             std::to_string(target) + "; use a newer refmatch");
    if (version == target) {
        if (app != application_id)
            throw database_error(file + ": open: expected a refmatch database (application_id)");
        return;
    }
    if (version == 0 && pragma_int(c, "SELECT count(*) FROM sqlite_schema", "read the schema") != 0)
        throw database_error(file +
                             ": open: expected a refmatch database, found a SQLite database "
                             "with tables of its own");
    if (read_only)
        throw database_error(file + ": open: the database has schema version " +
                             std::to_string(version) + " and needs migrating to " +
                             std::to_string(target) + "; open it once for writing");

    transaction t(c, transaction::write, "migrate the schema");
    // Another connection may have migrated it meanwhile.
    const auto now = pragma_int(c, "PRAGMA user_version", "migrate the schema");
    for (auto v = now; v < target; ++v) {
        c.exec(migrations[static_cast<std::size_t>(v)], "migrate the schema");
        c.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str(), "migrate the schema");
    }
    c.exec(("PRAGMA application_id = " + std::to_string(application_id)).c_str(),
           "migrate the schema");
    t.commit();
}

}  // namespace refmatch::db
