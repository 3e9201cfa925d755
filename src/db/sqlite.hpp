#pragma once
// Thin RAII wrappers over the SQLite C API (private to refmatch::db): a connection, a prepared
// statement and a transaction. Every failure becomes a database_error naming the operation.

#include <refmatch/db/errors.hpp>

#include <cstdint>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace refmatch::db {

/// "program.db: record usage: disk I/O error (SQLite code 1290)"; a busy database gets its own
/// class so that callers may retry.
[[noreturn]] inline void fail(const std::string& file, std::string_view operation, int code,
                              sqlite3* handle) {
    std::string message = file + ": " + std::string(operation) + ": ";
    const int primary = code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        throw database_busy_error(
            message +
                "database busy: another connection held the write lock past the busy "
                "timeout; nothing was written",
            code);
    }
    message += handle ? sqlite3_errmsg(handle) : sqlite3_errstr(code);
    message += " (SQLite code " + std::to_string(code) + ")";
    throw database_error(std::move(message), code);
}

// SQLite counts every allocation in global statistics kept under a mutex: two lock round trips
// per allocation, a tenth of an import's time. refmatch never reads them (sqlite3_memory_used),
// so they are turned off before this process first starts SQLite. When the process started it
// already, the call is refused and changes nothing.
inline void skip_memory_statistics() {
    [[maybe_unused]] static const int once = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

class connection {
public:
    connection() = default;
    connection(const std::string& file, int flags, const char* vfs) : file_(file) {
        skip_memory_statistics();
        const int rc = sqlite3_open_v2(file.c_str(), &handle_, flags | SQLITE_OPEN_EXRESCODE, vfs);
        if (rc != SQLITE_OK) {
            std::string message = handle_ ? sqlite3_errmsg(handle_) : sqlite3_errstr(rc);
            sqlite3_close_v2(handle_);
            handle_ = nullptr;
            throw database_error(file + ": open: " + message, rc);
        }
        sqlite3_extended_result_codes(handle_, 1);
    }
    connection(connection&& o) noexcept
        : handle_(std::exchange(o.handle_, nullptr)),
          file_(std::move(o.file_)),
          cache_(std::move(o.cache_)) {}
    connection& operator=(connection&& o) noexcept {
        std::swap(handle_, o.handle_);
        std::swap(file_, o.file_);
        std::swap(cache_, o.cache_);
        return *this;
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() {
        for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
        sqlite3_close_v2(handle_);
    }

    [[nodiscard]] sqlite3* get() const noexcept { return handle_; }
    [[nodiscard]] const std::string& file() const noexcept { return file_; }

    /// Runs SQL without results (several statements allowed).
    void exec(const char* sql, std::string_view operation) const {
        const int rc = sqlite3_exec(handle_, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) db::fail(file_, operation, rc, handle_);
    }
    [[noreturn]] void fail(std::string_view operation, int rc) const {
        db::fail(file_, operation, rc, handle_);
    }

private:
    friend class statement;
    // Prepared statements kept for reuse, by SQL text; `busy` while a `statement` holds one.
    struct cached_statement {
        sqlite3_stmt* stmt = nullptr;
        bool busy = false;
    };
    sqlite3* handle_ = nullptr;
    std::string file_;
    mutable std::unordered_map<std::string, cached_statement> cache_;
};

/// A prepared statement; bind, step, read columns, reset for the next use. Statements are
/// prepared once per connection and SQL text and reused (the connection caches them).
class statement {
public:
    statement(const connection& c, std::string_view sql, std::string_view operation)
        : conn_(&c), operation_(operation) {
        auto& slot = c.cache_[std::string(sql)];
        if (!slot.busy && slot.stmt) {
            stmt_ = slot.stmt;
        } else {
            const int rc = sqlite3_prepare_v3(c.get(), sql.data(), static_cast<int>(sql.size()),
                                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
            if (rc != SQLITE_OK) c.fail(operation_, rc);
            if (!slot.stmt) slot.stmt = stmt_;
        }
        if (stmt_ == slot.stmt) {
            slot.busy = true;
            slot_ = &slot;
        }
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() {
        if (slot_) {
            sqlite3_reset(stmt_);
            sqlite3_clear_bindings(stmt_);
            slot_->busy = false;
        } else {
            sqlite3_finalize(stmt_);
        }
    }

    /// Binds text; an empty text binds NULL (the tables hold NULL for an absent field).
    statement& bind(int i, std::string_view text) { return bind_text(i, text, SQLITE_TRANSIENT); }
    /// Binds text that stays where it is until the statement has run (`run` or the last `step`):
    /// SQLite reads it in place instead of copying it. For the loops that write millions of
    /// rows; `bind` copies.
    statement& bind_in_place(int i, std::string_view text) {
        return bind_text(i, text, SQLITE_STATIC);
    }
    statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    statement& bind_real(int i, double v) {
        check(sqlite3_bind_double(stmt_, i, v));
        return *this;
    }
    /// Steps once: true while a row is there, false when done.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        const int code = rc;
        sqlite3_reset(stmt_);
        conn_->fail(operation_, code);
    }
    /// Steps to completion and resets.
    void run() {
        while (step()) {
        }
        reset();
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    [[nodiscard]] std::string_view text(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
                 : std::string_view();
    }
    [[nodiscard]] std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
    [[nodiscard]] double real(int i) const { return sqlite3_column_double(stmt_, i); }
    [[nodiscard]] int columns() const { return sqlite3_column_count(stmt_); }
    [[nodiscard]] std::string_view column_name(int i) const {
        return sqlite3_column_name(stmt_, i);
    }

private:
    statement& bind_text(int i, std::string_view text, sqlite3_destructor_type lifetime) {
        check(text.empty() ? sqlite3_bind_null(stmt_, i)
                           : sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                                               lifetime));
        return *this;
    }
    void check(int rc) const {
        if (rc != SQLITE_OK) conn_->fail(operation_, rc);
    }
    const connection* conn_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    connection::cached_statement* slot_ = nullptr;  // the cache entry lent to this statement
    std::string_view operation_;
};

/// A transaction: `BEGIN IMMEDIATE` for writes (the write lock is taken at the start, so a busy
/// database shows before any work), `BEGIN` for a read snapshot. Rolled back unless committed.
class transaction {
public:
    enum kind { read, write };
    transaction(const connection& c, kind k, std::string_view operation)
        : conn_(c), operation_(operation) {
        begin_ = k == write ? "BEGIN IMMEDIATE" : "BEGIN";
        const int rc = sqlite3_exec(c.get(), begin_, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) c.fail(operation_, rc);
        open_ = true;
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction() {
        if (open_ && !sqlite3_get_autocommit(conn_.get()))
            sqlite3_exec(conn_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        const int rc = sqlite3_exec(conn_.get(), "COMMIT", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) conn_.fail(operation_, rc);
        open_ = false;
    }

private:
    const connection& conn_;
    std::string_view operation_;
    const char* begin_ = nullptr;
    bool open_ = false;
};

}  // namespace refmatch::db
