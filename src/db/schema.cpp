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
constexpr std::array<const char*, 6> migrations = {
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
    // 1 -> 2: reference requests (docs/requests.md). A request's status and its audit trail
    // change together in one transaction; holds are `request_reference` rows in state 'held',
    // live until `expires_on`; a fulfilled hold names the ledger row it became.
    R"sql(
CREATE TABLE request (
    id              INTEGER PRIMARY KEY,
    requester       TEXT NOT NULL,
    opportunity_id  TEXT NOT NULL REFERENCES prospect (id),
    activity        TEXT NOT NULL REFERENCES activity (name),
    wanted          INTEGER NOT NULL CHECK (wanted >= 1),
    needed_by       TEXT NOT NULL CHECK (needed_by GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    expires_on      TEXT NOT NULL,  -- open requests and their holds expire on this day
    planned_on      TEXT,           -- the day the activity is scheduled (the holds' day)
    created_at      TEXT NOT NULL,
    notes           TEXT,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'proposed', 'approval_asked',
                        'approved', 'owner_declined', 'customer_asked', 'accepted',
                        'customer_declined', 'scheduled', 'fulfilled', 'cancelled', 'expired')),
    status_at       TEXT NOT NULL   -- when it entered its status
) STRICT;
CREATE INDEX request_status ON request (status);

-- The audit trail: every transition, who made it and when.
CREATE TABLE request_transition (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES request (id),
    at           TEXT NOT NULL,
    who          TEXT NOT NULL,
    from_status  TEXT,  -- NULL for the creation
    to_status    TEXT NOT NULL,
    comment      TEXT
) STRICT;
CREATE INDEX request_transition_request ON request_transition (request_id, id);

-- The candidates the engine proposed, with their explanations.
CREATE TABLE request_candidate (
    request_id    INTEGER NOT NULL REFERENCES request (id),
    position      INTEGER NOT NULL,
    reference_id  TEXT NOT NULL REFERENCES reference_customer (id),
    final_score   REAL NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (request_id, position)
) STRICT;

-- The references attached to a request; 'held' rows are the holds.
CREATE TABLE request_reference (
    request_id    INTEGER NOT NULL REFERENCES request (id),
    reference_id  TEXT NOT NULL REFERENCES reference_customer (id),
    state         TEXT NOT NULL CHECK (state IN ('attached', 'held', 'released', 'used',
                      'owner_declined', 'customer_declined')),
    hold_day      TEXT,     -- held: the day the hold is dated; used: the day of the use
    customer_asked INTEGER NOT NULL DEFAULT 0 CHECK (customer_asked IN (0, 1)),
    event_id      INTEGER REFERENCES usage_ledger (event_id),
    PRIMARY KEY (request_id, reference_id)
) STRICT;
CREATE INDEX request_reference_held ON request_reference (state, reference_id);

-- Declines remembered: a customer who declined is not proposed again for the opportunity.
CREATE TABLE request_decline (
    request_id      INTEGER NOT NULL REFERENCES request (id),
    reference_id    TEXT NOT NULL REFERENCES reference_customer (id),
    opportunity_id  TEXT NOT NULL,
    activity        TEXT NOT NULL REFERENCES activity (name),
    by_whom         TEXT NOT NULL CHECK (by_whom IN ('owner', 'customer')),
    at              TEXT NOT NULL
) STRICT;
CREATE INDEX request_decline_opportunity ON request_decline (opportunity_id, reference_id);

-- Outreach: each contact attempt with the customer.
CREATE TABLE request_outreach (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES request (id),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'phone', 'video', 'in_person',
                      'social')),
    day           TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('no_answer', 'accepted', 'declined')),
    who           TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX request_outreach_request ON request_outreach (request_id, id);

CREATE TABLE request_feedback (
    request_id  INTEGER PRIMARY KEY REFERENCES request (id),
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    outcome     TEXT,
    again       INTEGER NOT NULL CHECK (again IN (0, 1)),
    comment     TEXT,
    who         TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
)sql",
    // 2 -> 3: the referral program (refmatch::referrals, docs/referrals.md): fields as its files
    // write them, so one set of record rules reads both.
    R"sql(
CREATE TABLE referral_rules (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    rules  TEXT NOT NULL  -- rules.json's text
) STRICT;

CREATE TABLE referral_account (
    position          INTEGER NOT NULL UNIQUE,  -- the order accounts were added in
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    domain            TEXT,
    country           TEXT,
    kind              TEXT NOT NULL CHECK (kind IN ('customer', 'opportunity')),
    since             TEXT,
    first_year_value  TEXT,
    referral_id       TEXT
) STRICT;

CREATE TABLE referral (
    position        INTEGER NOT NULL UNIQUE,  -- the order referrals were added in
    id              TEXT PRIMARY KEY,
    referrer_id     TEXT NOT NULL,
    name            TEXT,
    domain          TEXT,
    email           TEXT,
    country         TEXT,
    channel         TEXT,
    campaign        TEXT,
    variant         TEXT,
    referred_on     TEXT NOT NULL,
    qualified_on    TEXT,
    converted_on    TEXT,
    opportunity_id  TEXT,
    deal_value      TEXT,
    status          TEXT NOT NULL
        CHECK (status IN ('new', 'qualified', 'converted', 'lost', 'rejected'))
) STRICT;

CREATE TABLE reward (
    position     INTEGER NOT NULL UNIQUE,
    id           TEXT PRIMARY KEY,
    referral_id  TEXT NOT NULL REFERENCES referral (id),
    side         TEXT NOT NULL CHECK (side IN ('referrer', 'referred')),
    recipient    TEXT,
    kind         TEXT NOT NULL,
    amount       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'issued', 'held', 'void')),
    earned_on    TEXT NOT NULL
) STRICT;

-- Manual decisions on a referral's checks: append-only, with who and why.
CREATE TABLE referral_override (
    seq          INTEGER PRIMARY KEY,
    referral_id  TEXT NOT NULL REFERENCES referral (id),
    level        TEXT NOT NULL CHECK (level IN ('pass', 'review', 'reject')),
    by           TEXT NOT NULL,
    reason       TEXT NOT NULL,
    on_day       TEXT NOT NULL
) STRICT;
CREATE TRIGGER referral_override_no_update BEFORE UPDATE ON referral_override
BEGIN SELECT RAISE(ABORT, 'the referral overrides are append-only'); END;
CREATE TRIGGER referral_override_no_delete BEFORE DELETE ON referral_override
BEGIN SELECT RAISE(ABORT, 'the referral overrides are append-only'); END;

-- The findings of the last check run.
CREATE TABLE referral_check (
    referral_id  TEXT NOT NULL REFERENCES referral (id),
    kind         TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('pass', 'review', 'reject')),
    reason       TEXT NOT NULL,
    evidence     TEXT  -- ';'-joined ids
) STRICT;
CREATE INDEX referral_check_referral ON referral_check (referral_id);
)sql",
    // 3 -> 4: measurement. Opportunity outcomes (what the ledger's opportunity ids became) and
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
    // 4 -> 5: per-reference owner approval (docs/requests.md). Each attached reference's owner
    // decides for it; the audit trail names the reference a decision is about. References held
    // by requests already past their approval count as approved.
    R"sql(
ALTER TABLE request_reference ADD COLUMN approved INTEGER NOT NULL DEFAULT 0
    CHECK (approved IN (0, 1));
ALTER TABLE request_transition ADD COLUMN reference_id TEXT;  -- NULL: the whole request
UPDATE request_reference SET approved = 1
 WHERE (state = 'held' AND request_id IN (SELECT id FROM request WHERE status IN
           ('approved', 'customer_asked', 'accepted', 'scheduled')))
    OR (state IN ('used', 'customer_declined') AND request_id IN
           (SELECT request_id FROM request_transition WHERE to_status = 'approved'));
)sql",
    // 5 -> 6: the ledger's per-reference index keyed by the event's block (2^16 events, the
    // ids' top bits) before the reference. A batch's entries all fall in the newest block, a
    // few hundred leaf pages, where (reference_id, event_id) put each use of a random reference
    // on a leaf page of its own (a 10,000-use batch on a 1M-reference program dirtied ~10,000
    // pages, tens of MB of WAL). One reference's history is one index search per block
    // (read_history); the expression here and there must stay the same. (IF EXISTS: a file
    // whose version was set back by hand may hold the new index already.)
    R"sql(
DROP INDEX IF EXISTS usage_ledger_reference;
CREATE INDEX IF NOT EXISTS usage_ledger_block_reference
    ON usage_ledger (event_id >> 16, reference_id);
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
