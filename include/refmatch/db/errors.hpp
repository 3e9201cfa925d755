#pragma once
/// @file db/errors.hpp
/// The errors of the program database.

#include <refmatch/error.hpp>

#include <string>
#include <utility>

namespace refmatch {

/// A SQLite failure, named by the operation that met it and the database file:
/// `program.db: record usage: disk I/O error (SQLITE_IOERR_FSYNC)`. `code()` is SQLite's
/// extended result code (0 for errors found by refmatch itself, such as a newer schema).
class database_error : public error {
public:
    database_error(std::string message, int code = 0) : error(std::move(message)), code_(code) {}
    [[nodiscard]] int code() const noexcept { return code_; }

private:
    int code_;
};

/// Another connection kept the write lock past the busy timeout; nothing was written and the
/// call may be retried.
class database_busy_error : public database_error {
public:
    using database_error::database_error;
};

}  // namespace refmatch
