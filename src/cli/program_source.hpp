#pragma once
// Where a command's program comes from: `--program PATH` names a program directory (files) or a
// program database file. The path decides: an existing directory is read as files, anything else
// is opened as a database (read-only for the commands that only read).

#include <refmatch/db/database.hpp>
#include <refmatch/io.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace refmatch::cli {

inline constexpr const char* program_help = "Program directory or program database file";

/// The program at `path`, for reading.
inline std::shared_ptr<const program> open_program(const std::string& path) {
    std::error_code ec;  // a path that cannot be inspected is opened, and reported, as a file
    if (std::filesystem::is_directory(path, ec)) return load_program(path);
    database_options o;
    o.read_only = true;
    return database(path, o).program();
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
