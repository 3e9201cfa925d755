#pragma once
// Where a command's program comes from: `--program PATH` names a program directory (files) or a
// program database file. The path decides: an existing directory is read as files, anything else
// is opened as a database (read-only for the commands that only read).

#include <refmatch/db/database.hpp>
#include <refmatch/io.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace refmatch::cli {

inline constexpr const char* program_help = "Program directory or program database file";

/// The program at `path`, for reading.
inline std::shared_ptr<const program> open_program(const std::string& path) {
    if (std::filesystem::is_directory(path)) return load_program(path);
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

}  // namespace refmatch::cli
