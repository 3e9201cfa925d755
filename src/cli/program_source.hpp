#pragma once
// Where a command's program comes from: `--program PATH` names a program directory (files) or a
// program database file. The path decides: an existing directory is read as files, anything else
// is opened as a database (read-only for the commands that only read).

#include <refmatch/db/database.hpp>
#include <refmatch/io.hpp>
#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refmatch::cli {

inline constexpr const char* program_help = "Program directory or program database file";

/// Whether `--program PATH` names a program directory (files); anything else is a database. A
/// path that cannot be inspected counts as a database file, whose opening then reports it.
inline bool is_program_directory(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec);
}

/// The databases this command opened for reading, by path: the live holds of a database's
/// requests are read over the connection its program came from.
inline std::map<std::string, std::shared_ptr<database>>& opened_databases() {
    static std::map<std::string, std::shared_ptr<database>> open;
    return open;
}

inline database& read_database(const std::string& path) {
    auto& db = opened_databases()[path];
    if (!db) {
        database_options o;
        o.read_only = true;
        db = std::make_shared<database>(path, o);
    }
    return *db;
}

/// Keeps `p` until the process exits. The tool exits right after its command, and freeing a
/// large program record by record takes longer (about a second at 1M references) than the exit
/// takes to release the whole process: what is kept here is never freed, on purpose.
template <class T>
std::shared_ptr<T> kept_until_exit(std::shared_ptr<T> p) {
    static auto* kept = new std::vector<std::shared_ptr<const void>>;
    kept->push_back(p);
    return p;
}

/// The program at `path`, for reading.
inline std::shared_ptr<const program> open_program(const std::string& path) {
    if (is_program_directory(path)) return kept_until_exit<const program>(load_program(path));
    return kept_until_exit(read_database(path).program());
}

/// The live holds of the requests at `now` when `path` is a database (null for files): matches
/// and assignments on a database count them like uses (docs/requests.md).
inline std::shared_ptr<const hold_index> open_holds(const std::string& path, date now) {
    if (is_program_directory(path)) return nullptr;
    auto holds = request_book(read_database(path)).hold_index_at(std::chrono::sys_seconds{now});
    return holds->empty() ? nullptr : holds;
}

/// Who and when a change made from the command line is recorded as: $USER (or "unknown") and
/// the current time (the library never reads the clock; the tool does).
inline recorded_by command_line_user() {
    const char* user = std::getenv("USER");
    return {user && *user ? user : "unknown",
            std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
}

/// Today, by the clock of the machine (the tool's default day; the library never reads it).
inline date today() {
    return date{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

/// The default day a command evaluates quotas on: the latest use of the program dated on or
/// before `today`. Uses dated after it (recorded ahead, or a typo in a year) do not move the
/// default: they are reported on `std::cerr` once and count only for a day given with --now.
/// Empty when there is no such use.
inline std::optional<date> default_day(const program& prog, date today) {
    const auto last = prog.usage.last_day();
    if (!last || *last <= today) return last;
    std::optional<date> latest;
    std::size_t ahead = 0;
    for (const auto& e : prog.usage.events()) {
        if (e.day > today)
            ++ahead;
        else if (!latest || e.day > *latest)
            latest = e.day;
    }
    std::cerr << "refmatch: " << ahead << (ahead == 1 ? " use is" : " uses are")
              << " dated after today (the latest " << format_date(*last)
              << "): not counted for the default day; give --now to count them\n";
    return latest;
}

}  // namespace refmatch::cli
