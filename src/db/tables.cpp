// The program's tables: reading them into a program and writing records into them.

#include "db/tables.hpp"
#include "io/records.hpp"

#include <refmatch/program_tables.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

namespace refmatch::db {
namespace {

using detail::table_kind;

// The columns of schema version 1 that hold record fields, named as the file formats name them
// (the SQL aliases `day AS date`, `name AS activity` keep the formats' names).
constexpr std::array<std::string_view, 3> product_columns = {"id", "name", "family"};
constexpr std::array<std::string_view, 13> reference_columns = {
    "id",       "name", "industry", "products", "country", "size_band",   "status",
    "consents", "nps",  "csat",     "health",   "owner",   "last_contact"};
constexpr std::array<std::string_view, 12> prospect_columns = {
    "id",         "name",  "industry", "products",  "country",    "size_band",
    "deal_value", "stage", "activity", "needed_by", "exclusions", "owner"};

template <std::size_t N>
std::string column_list(const std::array<std::string_view, N>& cols) {
    std::string out;
    for (const auto c : cols) {
        if (!out.empty()) out += ", ";
        out += c;
    }
    return out;
}

// For each database column, the index of its field in the io record fields of `kind`.
template <std::size_t N>
std::array<std::size_t, N> field_positions(table_kind kind,
                                           const std::array<std::string_view, N>& cols) {
    const auto specs = detail::columns_of(kind);
    std::array<std::size_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        const auto name = cols[i];
        out[i] =
            static_cast<std::size_t>(std::find_if(specs.begin(), specs.end(),
                                                  [&](const auto& s) { return s.name == name; }) -
                                     specs.begin());
    }
    return out;
}

std::string source_name(const connection& c, std::string_view table) {
    return c.file() + ", table " + std::string(table);
}

// Runs a query and hands each row to `on_record` as an io record (field name -> text), named
// in messages by the database file, the table and the row number.
template <class F>
void read_records(const connection& c, const std::string& sql, std::string_view table,
                  std::string_view operation, F&& on_record,
                  const std::function<void(statement&)>& bind = {}) {
    statement s(c, sql, operation);
    if (bind) bind(s);
    const std::string source = source_name(c, table);
    detail::flat_record r;
    r.file = &source;
    const int n = s.columns();
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) names.emplace_back(s.column_name(i));
    for (int i = 0; i < n; ++i)
        r.fields.emplace_back(names[static_cast<std::size_t>(i)], std::string_view());
    std::size_t row = 0;
    while (s.step()) {
        r.line = ++row;
        for (int i = 0; i < n; ++i) r.fields[static_cast<std::size_t>(i)].second = s.text(i);
        on_record(r, s);
    }
}

product_catalog read_products(const connection& c) {
    product_catalog out;
    read_records(
        c, "SELECT " + column_list(product_columns) + " FROM product ORDER BY position", "product",
        "load the program",
        [&](const detail::flat_record& r, const statement&) { out.add(detail::build_product(r)); });
    return out;
}

quota_policy read_quotas(const connection& c, activity_catalog& activities) {
    quota_policy out;
    read_records(c,
                 "SELECT name AS activity, max_uses, window_days, cooldown_days FROM activity "
                 "ORDER BY position",
                 "activity", "load the program",
                 [&](const detail::flat_record& r, const statement&) {
                     const auto [id, limit] = detail::build_quota(r, activities);
                     out.set(id, limit);
                 });
    return out;
}

// The rows written after `revision` (0: all of them, in id order), into `out`: a vector of
// records, or a batch that packs each as it is read (a program being opened).
template <class References>
void read_references(const connection& c, const vocabulary& v, std::int64_t revision,
                     References& out) {
    // The whole table: sized first, so that a million records are not moved again and again
    // as the vector grows.
    if (revision == 0) out.reserve(static_cast<std::size_t>(count_rows(c, "reference_customer")));
    read_records(
        c,
        "SELECT " + column_list(reference_columns) +
            (revision == 0 ? std::string(" FROM reference_customer ORDER BY id")
                           // The revision index, not a scan in id order: a refresh reads
                           // only what changed.
                           : std::string(" FROM reference_customer INDEXED BY "
                                         "reference_customer_revision WHERE revision > ?1")),
        "reference_customer", "load the program",
        [&](const detail::flat_record& r, const statement&) {
            out.push_back(detail::build_reference(r, v));
        },
        [&](statement& s) {
            if (revision != 0) s.bind(1, revision);
        });
}

std::vector<prospect> read_prospects(const connection& c, const vocabulary& v,
                                     std::int64_t revision) {
    std::vector<prospect> out;
    if (revision == 0) out.reserve(static_cast<std::size_t>(count_rows(c, "prospect")));
    read_records(
        c,
        "SELECT " + column_list(prospect_columns) +
            (revision == 0 ? std::string(" FROM prospect ORDER BY id")
                           : std::string(" FROM prospect INDEXED BY prospect_revision "
                                         "WHERE revision > ?1")),
        "prospect", "load the program",
        [&](const detail::flat_record& r, const statement&) {
            out.push_back(detail::build_prospect(r, v));
        },
        [&](statement& s) {
            if (revision != 0) s.bind(1, revision);
        });
    return out;
}

// Usage rows selected by `from_where` (a FROM clause naming usage_ledger, and its WHERE; its
// parameters bound by `bind`), in event order; `on_event(event_id, event, statement)`.
template <class F>
void read_usage(const connection& c, const vocabulary& v, const std::string& from_where,
                F&& on_event, const std::function<void(statement&)>& bind = {}) {
    read_records(
        c,
        "SELECT reference_id, activity, opportunity_id, day AS date, event_id, "
        "recorded_by, recorded_at " +
            from_where + " ORDER BY event_id",
        "usage_ledger", "load the program",
        [&](const detail::flat_record& r, const statement& s) {
            on_event(s.integer(4), detail::build_usage(r, v), s);
        },
        bind);
}

// The ledger rows with event ids in (after, upto], in event order, straight into `out` (no
// event made per row); returns the last event id read. Each row is read by the record rules
// (read_usage_view), whose error names it exactly as a record-by-record read would.
std::int64_t read_usage_columns(const connection& c, const vocabulary& v, std::int64_t after,
                                std::int64_t upto, usage_batch& out) {
    statement s(c,
                "SELECT reference_id, activity, opportunity_id, day AS date, event_id FROM "
                "usage_ledger WHERE event_id > ?1 AND event_id <= ?2 ORDER BY event_id",
                "load the program");
    s.bind(1, after).bind(2, upto);
    const std::string source = source_name(c, "usage_ledger");
    std::size_t row = 0;
    std::int64_t last = after;
    // One record reused for every row, its fields viewing SQLite's row (which lasts until the
    // next step: the rows copy a group's ids out of it).
    detail::flat_record r;
    r.file = &source;
    for (const std::string_view name : {"reference_id", "activity", "opportunity_id", "date"})
        r.fields.emplace_back(name, std::string_view());  // the columns selected, in order
    detail::usage_rows rows;
    while (s.step()) {
        r.line = ++row;
        for (int i = 0; i < 4; ++i) r.fields[static_cast<std::size_t>(i)].second = s.text(i);
        rows.add(detail::read_usage_view(r, v), out);
        last = s.integer(4);
    }
    rows.flush(out);
    return last;
}

// An INSERT of the given columns plus `revision`; or with `replace`, an UPDATE by id.
template <std::size_t N>
std::string upsert_sql(std::string_view table, const std::array<std::string_view, N>& cols,
                       bool replace) {
    std::string sql;
    if (!replace) {
        sql =
            "INSERT INTO " + std::string(table) + " (" + column_list(cols) + ", revision) VALUES (";
        for (std::size_t i = 0; i <= N; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
        return sql + ")";
    }
    sql = "UPDATE " + std::string(table) + " SET ";
    for (std::size_t i = 1; i < N; ++i)
        sql += std::string(cols[i]) + " = ?" + std::to_string(i + 1) + ", ";
    return sql + "revision = ?" + std::to_string(N + 1) + " WHERE id = ?1";
}

template <std::size_t N, class Record, class Fields>
void upsert(const connection& c, table_kind kind, std::string_view table, std::string_view what,
            const std::array<std::string_view, N>& cols, std::span<const Record> records,
            std::int64_t revision, bool replace, Fields&& fields_of) {
    const auto positions = field_positions(kind, cols);
    const std::string_view operation = replace ? "update records" : "add records";
    statement s(c, upsert_sql(table, cols, replace), operation);
    for (const auto& r : records) {
        const auto fields = fields_of(r);
        for (std::size_t i = 0; i < N; ++i)
            s.bind_in_place(static_cast<int>(i + 1), fields[positions[i]]);
        s.bind(static_cast<int>(N + 1), revision);
        try {
            s.run();
        } catch (const database_error& e) {
            if (e.code() == SQLITE_CONSTRAINT_PRIMARYKEY)
                throw validation_error(std::string(what) + " '" + r.id + "'", "id",
                                       "an id not yet in the program", r.id);
            throw;
        }
        if (replace && sqlite3_changes(c.get()) != 1)
            throw not_found_error("no " + std::string(what) + " '" + r.id + "' in the program");
    }
}

// "2025-07-01" into `out` (what format_date writes, without its printf: an import writes
// millions).
std::string_view day_text(date d, char (&out)[16]) {
    const std::chrono::year_month_day ymd{d};
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
        const auto text = format_date(d);
        const auto n = std::min(text.size(), sizeof out);
        std::copy_n(text.data(), n, out);
        return {out, n};
    }
    const auto two = [](char* p, unsigned v) {
        p[0] = static_cast<char>('0' + v / 10);
        p[1] = static_cast<char>('0' + v % 10);
    };
    two(out, static_cast<unsigned>(year / 100));
    two(out + 2, static_cast<unsigned>(year % 100));
    out[4] = '-';
    two(out + 5, static_cast<unsigned>(ymd.month()));
    out[7] = '-';
    two(out + 8, static_cast<unsigned>(ymd.day()));
    return {out, 10};
}

// The ledger's INSERT, prepared once for a run of events.
class ledger_insert {
public:
    ledger_insert(const connection& c, std::string_view who, std::string_view at)
        : c_(c),
          insert_(c,
                  "INSERT INTO usage_ledger (reference_id, activity, opportunity_id, day, "
                  "recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  "record usage"),
          recorder_(who.empty() ? std::string("unknown") : std::string(who)),
          at_(at.empty() ? std::string_view("-") : at) {}

    // Appends one row; returns its event id.
    std::int64_t add(std::string_view reference_id, std::string_view activity,
                     std::string_view opportunity_id, date day) {
        char buffer[16];
        insert_.bind_in_place(1, reference_id)
            .bind_in_place(2, activity)
            .bind_in_place(3, opportunity_id)
            .bind_in_place(4, day_text(day, buffer))
            .bind_in_place(5, recorder_)
            .bind_in_place(6, at_);
        insert_.run();
        return sqlite3_last_insert_rowid(c_.get());
    }

private:
    const connection& c_;
    statement insert_;
    std::string recorder_;
    std::string_view at_;
};

}  // namespace

cursor read_cursor(const connection& c) {
    statement s(c, "SELECT generation, revision FROM program_state", "read the program state");
    if (!s.step()) throw database_error(c.file() + ": read the program state: no state row");
    return {s.integer(0), s.integer(1), 0};
}

std::int64_t bump_revision(const connection& c, std::string_view operation) {
    statement s(c, "UPDATE program_state SET revision = revision + 1 RETURNING revision",
                operation);
    if (!s.step()) throw database_error(c.file() + ": " + std::string(operation) + ": no state");
    const auto r = s.integer(0);
    s.run();
    return r;
}

std::int64_t count_rows(const connection& c, std::string_view table) {
    statement s(c, "SELECT count(*) FROM " + std::string(table), "count rows");
    return s.step() ? s.integer(0) : 0;
}

loaded_program load_program(const connection& c, const connection* ledger_reader) {
    // The tables in assembly order (program_tables.hpp), then the one assembly step.
    loaded_program out;
    out.seen = read_cursor(c);
    program_tables tables;
    auto products = read_products(c);
    activity_catalog activities;
    tables.quotas = read_quotas(c, activities);
    tables.vocab = standard_vocabulary(std::move(products), std::move(activities));
    // The ledger is append-only and its event ids grow in commit order, so the rows up to the
    // last id of this snapshot are the same in any later snapshot: another connection may read
    // them meanwhile, beside the references and prospects read here.
    std::int64_t upto = 0;
    {
        statement s(c, "SELECT max(event_id) FROM usage_ledger", "load the program");
        if (s.step()) upto = s.integer(0);
    }
    std::exception_ptr ledger_error;
    const auto read_ledger = [&](const connection& from) {
        try {
            out.seen.last_event = read_usage_columns(from, *tables.vocab, 0, upto, tables.usage);
        } catch (...) {
            ledger_error = std::current_exception();
        }
    };
    std::thread ledger;
    if (ledger_reader && upto > 0) ledger = std::thread(read_ledger, std::cref(*ledger_reader));
    try {
        read_references(c, *tables.vocab, 0, tables.references);
        tables.prospects = read_prospects(c, *tables.vocab, 0);
    } catch (...) {
        if (ledger.joinable()) ledger.join();
        throw;
    }
    if (ledger.joinable())
        ledger.join();
    else
        read_ledger(c);
    if (ledger_error) std::rethrow_exception(ledger_error);
    out.program = std::move(tables).assemble();
    return out;
}

void apply_changes(const connection& c, program& p, cursor& seen) {
    std::vector<reference_customer> changed, fresh_refs;
    read_references(c, *p.vocab, seen.revision, changed);
    for (auto& r : changed) {
        if (p.references.contains(r.id))
            p.references.update(std::move(r));
        else
            fresh_refs.push_back(std::move(r));
    }
    // (An empty add_all would still bump the store's version and make engines rebuild.)
    if (!fresh_refs.empty()) p.references.add_all(std::move(fresh_refs));
    std::vector<prospect> fresh_prospects;
    for (auto& r : read_prospects(c, *p.vocab, seen.revision)) {
        if (p.prospects.contains(r.id))
            p.prospects.update(std::move(r));
        else
            fresh_prospects.push_back(std::move(r));
    }
    if (!fresh_prospects.empty()) p.prospects.add_all(std::move(fresh_prospects));
    const auto after = seen.last_event;
    read_usage(
        c, *p.vocab, "FROM usage_ledger WHERE event_id > ?1",
        [&](std::int64_t id, usage_event e, const statement&) {
            p.record_usage(std::move(e));
            seen.last_event = id;
        },
        [after](statement& s) { s.bind(1, after); });
}

cursor write_program(const connection& c, const program& p, std::int64_t revision,
                     std::string_view who, std::string_view at) {
    const auto& v = *p.vocab;
    c.exec("DELETE FROM product; DELETE FROM activity", "import a program");
    {
        statement s(c, "INSERT INTO product (position, id, name, family) VALUES (?1, ?2, ?3, ?4)",
                    "import a program");
        std::int64_t position = 0;
        for (const auto& product : v.products.products()) {
            const auto f = detail::product_fields(product);
            s.bind(1, position++).bind(2, f[0]).bind(3, f[1]).bind(4, f[2]).run();
        }
    }
    {
        statement s(c,
                    "INSERT INTO activity (position, name, max_uses, window_days, cooldown_days) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
                    "import a program");
        for (std::uint16_t i = 0; i < v.activities.size(); ++i) {
            const auto f =
                detail::quota_fields(v.activities.names()[i], p.quotas.limit(activity_id{i}));
            s.bind(1, std::int64_t{i}).bind(2, f[0]).bind(3, f[1]).bind(4, f[2]).bind(5, f[3]);
            s.run();
        }
    }
    upsert_references(c, v, p.references.all(), revision, false);
    upsert_prospects(c, v, p.prospects.all(), revision, false);
    // The ledger's index is built once after the rows (a sort) rather than row by row; DDL is
    // part of the transaction, so a failed import leaves the index as it was.
    c.exec("DROP INDEX usage_ledger_block_reference", "import a program");
    // The events straight from the ledger's interned columns, each reference id checked once
    // as record_usage checks it (the import runs without SQLite's per-row foreign-key lookups).
    std::int64_t last = 0;
    {
        ledger_insert insert(c, who, at);
        const auto usage = p.usage.batch();
        std::vector<bool> known(usage.reference_count(), false);
        usage.for_each([&](std::string_view reference_id, activity_id a,
                           std::string_view opportunity_id, date day, std::uint32_t number) {
            if (!known[number] || a.value >= v.activities.size()) {
                p.check_usage(reference_id, a);
                known[number] = true;
            }
            last = insert.add(reference_id, v.activities.name(a), opportunity_id, day);
        });
    }
    c.exec(
        "CREATE INDEX usage_ledger_block_reference ON usage_ledger (event_id >> 16, "
        "reference_id)",
        "import a program");
    c.exec("UPDATE program_state SET generation = generation + 1", "import a program");
    auto out = read_cursor(c);
    out.last_event = last;
    return out;
}

void upsert_references(const connection& c, const vocabulary& v,
                       std::span<const reference_customer> rs, std::int64_t revision,
                       bool replace) {
    upsert(c, table_kind::references, "reference_customer", "reference", reference_columns, rs,
           revision, replace,
           [&](const reference_customer& r) { return detail::reference_fields(r, v); });
}

void upsert_prospects(const connection& c, const vocabulary& v, std::span<const prospect> ps,
                      std::int64_t revision, bool replace) {
    upsert(c, table_kind::prospects, "prospect", "prospect", prospect_columns, ps, revision,
           replace, [&](const prospect& p) { return detail::prospect_fields(p, v); });
}

void set_status(const connection& c, std::string_view id, reference_status s,
                std::int64_t revision) {
    statement st(c, "UPDATE reference_customer SET status = ?1, revision = ?2 WHERE id = ?3",
                 "change a reference's status");
    st.bind(1, to_string(s)).bind(2, revision).bind(3, id).run();
    if (sqlite3_changes(c.get()) != 1)
        throw not_found_error("no reference '" + std::string(id) + "' in the program");
}

std::int64_t insert_usage(const connection& c, const vocabulary& v,
                          std::span<const usage_event> events, std::string_view who,
                          std::string_view at, bool checked) {
    std::optional<statement> exists;
    std::optional<statement> activity_exists;
    if (!checked) {
        exists.emplace(c, "SELECT 1 FROM reference_customer WHERE id = ?1", "record usage");
        activity_exists.emplace(c, "SELECT 1 FROM activity WHERE name = ?1", "record usage");
    }
    ledger_insert insert(c, who, at);
    std::int64_t first = 0;
    for (const auto& e : events) {
        // The program's record_usage checks, against the database (the truth for every
        // connection), so that memory can always take what was committed.
        if (exists) {
            const std::string subject = "usage of '" + e.reference_id + "'";
            exists->bind(1, e.reference_id);
            const bool known = exists->step();
            exists->reset();
            if (!known)
                throw validation_error(subject, "reference_id", "a reference id of the program",
                                       e.reference_id);
            if (e.activity.value >= v.activities.size())
                throw validation_error(subject, "activity", "a registered activity type",
                                       std::to_string(e.activity.value));
            const auto name = v.activities.name(e.activity);
            activity_exists->bind(1, name);
            const bool registered = activity_exists->step();
            activity_exists->reset();
            if (!registered)
                throw validation_error(subject, "activity", "an activity type of the program",
                                       std::string(name));
        }
        const auto id =
            insert.add(e.reference_id, v.activities.name(e.activity), e.opportunity_id, e.day);
        if (!first) first = id;
    }
    return first;
}

std::vector<ledger_entry> read_history(const connection& c, const vocabulary& v,
                                       std::string_view reference_id) {
    std::vector<ledger_entry> out;
    const bool all = reference_id.empty();
    // One reference's rows: one search of the (event_id >> 16, reference_id) index per block
    // of 2^16 events, the blocks in order (schema.cpp, migration 5 -> 6).
    read_usage(
        c, v,
        all ? "FROM usage_ledger"
            : "FROM (WITH RECURSIVE block(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM block "
              "WHERE n < (SELECT max(event_id) >> 16 FROM usage_ledger)) SELECT n FROM block) "
              "AS block CROSS JOIN usage_ledger WHERE usage_ledger.event_id >> 16 = block.n "
              "AND reference_id = ?1",
        [&](std::int64_t id, usage_event e, const statement& s) {
            out.push_back({id, std::move(e), std::string(s.text(5)), std::string(s.text(6))});
        },
        [&](statement& s) {
            if (!all) s.bind(1, reference_id);
        });
    return out;
}

std::vector<std::string> check(const connection& c) {
    std::vector<std::string> problems;
    {
        statement s(c, "PRAGMA integrity_check", "check integrity");
        while (s.step())
            if (s.text(0) != "ok") problems.emplace_back("integrity: " + std::string(s.text(0)));
    }
    {
        statement s(c, "PRAGMA foreign_key_check", "check foreign keys");
        while (s.step())
            problems.push_back("foreign key: table " + std::string(s.text(0)) + " row " +
                               std::to_string(s.integer(1)) + " refers to a missing row of " +
                               std::string(s.text(2)));
    }
    if (problems.empty()) {
        try {
            transaction t(c, transaction::read, "check the program");
            (void)load_program(c);
            t.commit();
        } catch (const error& e) {
            problems.emplace_back(std::string("the program does not load: ") + e.what());
        }
    }
    return problems;
}

}  // namespace refmatch::db
