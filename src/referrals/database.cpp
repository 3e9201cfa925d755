// The referral tables of a program database. Each write: BEGIN IMMEDIATE, read the program,
// apply the operation of program.cpp, write the rows it changed, bump the program revision,
// commit.

#include "db/sqlite.hpp"
#include "referrals/rows.hpp"

#include <refmatch/db/database.hpp>
#include <refmatch/referrals/program.hpp>

#include <string>

namespace refmatch::referrals {
namespace {

using detail::field_problem;

// The SQL table of each referral table: its columns in the table's order, and `position`, the
// order rows were added in (a program reads back in the order it was written).
struct sql_table {
    const detail::table* t;
    const char* name;
};
const sql_table accounts_sql{&detail::accounts_table(), "referral_account"};
const sql_table referrals_sql{&detail::referrals_table(), "referral"};
const sql_table rewards_sql{&detail::rewards_table(), "reward"};

std::string column_list(const sql_table& s) {
    std::string out;
    for (const auto c : s.t->columns) out += (out.empty() ? "" : ", ") + std::string(c);
    return out;
}

template <class Record, class Parse>
std::vector<Record> read_rows(const db::connection& c, const sql_table& s, Parse parse) {
    const std::string sql = "SELECT " + column_list(s) + " FROM " + s.name + " ORDER BY position";
    db::statement st(c, sql, "read the referral program");
    std::vector<Record> out;
    while (st.step()) {
        try {
            out.push_back(parse([&](std::string_view column) -> std::string_view {
                const auto& cols = s.t->columns;
                const auto i = std::find(cols.begin(), cols.end(), column) - cols.begin();
                return st.text(static_cast<int>(i));
            }));
        } catch (const field_problem& p) {
            throw database_error(c.file() + ": read the referral program: table " + s.name +
                                 ": field '" + p.field + "': expected " + p.expected + ", got '" +
                                 p.found + "'");
        }
    }
    return out;
}

template <class Record>
void upsert(const db::connection& c, const sql_table& s, const Record& r) {
    const auto row = detail::row_of(r);
    std::string sql =
        "INSERT INTO " + std::string(s.name) + " (" + column_list(s) + ", position) VALUES (";
    for (std::size_t i = 0; i < row.size(); ++i) sql += i ? ", ?" : "?";
    sql += std::string(", (SELECT coalesce(max(position), 0) + 1 FROM ") + s.name + ")";
    sql += ") ON CONFLICT (id) DO UPDATE SET ";
    for (std::size_t i = 1; i < s.t->columns.size(); ++i)
        sql += (i > 1 ? ", " : "") + std::string(s.t->columns[i]) + " = excluded." +
               std::string(s.t->columns[i]);
    db::statement st(c, sql, "write the referral program");
    for (std::size_t i = 0; i < row.size(); ++i) st.bind(static_cast<int>(i + 1), row[i]);
    st.run();
}

}  // namespace

struct referral_database::impl {
    db::connection conn;

    referral_program read() const {
        referral_program p;
        {
            db::statement st(conn, "SELECT rules FROM referral_rules WHERE id = 1",
                             "read the referral rules");
            if (st.step()) {
                try {
                    p.rules = detail::parse_rules(st.text(0));
                } catch (const field_problem& e) {
                    throw database_error(conn.file() + ": read the referral rules: field '" +
                                         e.field + "': expected " + e.expected + ", got '" +
                                         e.found + "'");
                }
            }
        }
        p.accounts = read_rows<account>(conn, accounts_sql, detail::account_of);
        p.referrals = read_rows<referral>(conn, referrals_sql, detail::referral_of);
        p.rewards = read_rows<reward>(conn, rewards_sql, detail::reward_of);
        db::statement st(conn,
                         "SELECT referral_id, level, by, reason, on_day FROM referral_override "
                         "ORDER BY seq",
                         "read the referral overrides");
        while (st.step()) {
            const std::array<std::string_view, 5> fields{st.text(0), st.text(1), st.text(2),
                                                         st.text(3), st.text(4)};
            const auto& cols = detail::overrides_table().columns;
            p.overrides.push_back(detail::override_of([&](std::string_view c) {
                return fields[static_cast<std::size_t>(std::find(cols.begin(), cols.end(), c) -
                                                       cols.begin())];
            }));
        }
        return p;
    }

    void write(const program_change& change) const {
        for (const auto& r : change.referrals) upsert(conn, referrals_sql, r);
        for (const auto& w : change.rewards) upsert(conn, rewards_sql, w);
        for (const auto& o : change.overrides) {
            const auto row = detail::row_of(o);
            db::statement st(conn,
                             "INSERT INTO referral_override (referral_id, level, by, reason, "
                             "on_day) VALUES (?, ?, ?, ?, ?)",
                             "record an override");
            for (std::size_t i = 0; i < row.size(); ++i) st.bind(static_cast<int>(i + 1), row[i]);
            st.run();
        }
        bump();
    }

    void bump() const {
        conn.exec("UPDATE program_state SET revision = revision + 1 WHERE id = 1",
                  "bump the program revision");
    }

    void store_checks(const check_report& report) const {
        conn.exec("DELETE FROM referral_check", "store the check results");
        db::statement st(conn,
                         "INSERT INTO referral_check (referral_id, kind, level, reason, evidence) "
                         "VALUES (?, ?, ?, ?, ?)",
                         "store the check results");
        for (const auto& f : report.findings) {
            std::string evidence;
            for (const auto& e : f.evidence) evidence += (evidence.empty() ? "" : ";") + e;
            st.bind(1, f.referral_id)
                .bind(2, to_string(f.kind))
                .bind(3, to_string(f.level))
                .bind(4, f.reason)
                .bind(5, evidence);
            st.run();
        }
    }

    // One write transaction around `op(program)`, which returns the change to write.
    template <class Op>
    auto transact(std::string_view operation, Op op) {
        db::transaction t(conn, db::transaction::write, operation);
        auto p = read();
        auto result = op(p);
        t.commit();
        return result;
    }
};

referral_database::referral_database(const std::filesystem::path& file, bool create) {
    {
        // Opening a program database checks the file and runs the schema's migrations.
        database_options options;
        options.create = create;
        const database program(file, options);
    }
    impl_ = std::make_unique<impl>();
    impl_->conn = db::connection(file.string(), SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_busy_timeout(impl_->conn.get(), 5000);
    impl_->conn.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
    impl_->conn.exec("PRAGMA synchronous = FULL", "set synchronous");
}
referral_database::~referral_database() = default;
referral_database::referral_database(referral_database&&) noexcept = default;
referral_database& referral_database::operator=(referral_database&&) noexcept = default;

referral_program referral_database::load() const {
    db::transaction t(impl_->conn, db::transaction::read, "read the referral program");
    return impl_->read();
}

void referral_database::set_rules(const reward_rules& rules) {
    impl_->transact("set the referral rules", [&](referral_program&) {
        db::statement st(impl_->conn,
                         "INSERT INTO referral_rules (id, rules) VALUES (1, ?) "
                         "ON CONFLICT (id) DO UPDATE SET rules = excluded.rules",
                         "set the referral rules");
        st.bind(1, detail::format_rules(rules));
        st.run();
        impl_->bump();
        return 0;
    });
}

void referral_database::put_accounts(std::span<const account> accounts) {
    impl_->transact("write accounts", [&](referral_program&) {
        for (const auto& a : accounts) {
            if (a.id.empty() || a.name.empty())
                throw validation_error("account " + a.id, a.id.empty() ? "id" : "name",
                                       a.id.empty() ? "an account id" : "the organisation's name",
                                       "");
            upsert(impl_->conn, accounts_sql, a);
        }
        impl_->bump();
        return 0;
    });
}

void referral_database::add_referral(referral r) {
    impl_->transact("add a referral", [&](referral_program& p) {
        impl_->write(referrals::add_referral(p, std::move(r)));
        return 0;
    });
}

void referral_database::advance_referral(std::string_view id, referral_status to, date day,
                                         std::string_view opportunity_id, double deal_value,
                                         const check_options& options) {
    impl_->transact("advance a referral", [&](referral_program& p) {
        // The checks as they stand with this move, so that earned rewards start held when the
        // referral is under review.
        auto moved = p;
        (void)referrals::advance_referral(moved, id, to, day, opportunity_id, deal_value);
        const auto checks =
            check_referrals(moved.referrals, moved.accounts, moved.overrides, options);
        impl_->write(
            referrals::advance_referral(p, id, to, day, opportunity_id, deal_value, &checks));
        return 0;
    });
}

check_report referral_database::run_checks(const check_options& options) {
    return impl_->transact("run the referral checks", [&](referral_program& p) {
        auto report = check_referrals(p.referrals, p.accounts, p.overrides, options);
        impl_->write(apply_checks(p, report));
        impl_->store_checks(report);
        return report;
    });
}

void referral_database::override_checks(check_override o) {
    impl_->transact("record an override", [&](referral_program& p) {
        impl_->write(referrals::override_checks(p, std::move(o)));
        return 0;
    });
}

void referral_database::move_reward(std::string_view reward_id, reward_state to) {
    impl_->transact("move a reward", [&](referral_program& p) {
        impl_->write(referrals::move_reward(p, reward_id, to));
        return 0;
    });
}

void referral_database::import_program(const referral_program& in) {
    impl_->transact("import a referral program", [&](referral_program& p) {
        if (!p.referrals.empty() || !p.accounts.empty())
            throw database_error(impl_->conn.file() +
                                 ": import a referral program: the database holds a referral "
                                 "program already");
        db::statement st(impl_->conn, "INSERT INTO referral_rules (id, rules) VALUES (1, ?)",
                         "import a referral program");
        st.bind(1, detail::format_rules(in.rules));
        st.run();
        for (const auto& a : in.accounts) upsert(impl_->conn, accounts_sql, a);
        impl_->write({in.referrals, in.rewards, in.overrides});
        return 0;
    });
}

}  // namespace refmatch::referrals
