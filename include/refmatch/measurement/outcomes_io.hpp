#pragma once
/// @file measurement/outcomes_io.hpp
/// The outcomes table as a file, `outcomes.csv` or `outcomes.json` of a program directory
/// (docs/data-formats.md), read with the program's CSV and JSON readers and field rules (compiled
/// in refmatch::io).

#include <refmatch/io.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/vocabulary.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::measurement {

/// Parses outcomes text (named `file` in messages), each record checked as `check_outcomes`
/// checks it. @throws parse_error naming file, line (or JSON record) and field; nothing is
/// returned then.
[[nodiscard]] std::vector<opportunity_outcome> parse_outcomes(
    std::string_view text, const std::string& file, const vocabulary& v,
    file_format format = file_format::csv);
/// The text of `outcomes` (CSV: CRLF; JSON: `{"format": "refmatch-outcomes", ...}`).
[[nodiscard]] std::string format_outcomes(std::span<const opportunity_outcome> outcomes,
                                          const vocabulary& v,
                                          file_format format = file_format::csv);
/// Reads a file, its format from its extension. @throws parse_error (also for a missing file).
[[nodiscard]] std::vector<opportunity_outcome> load_outcomes(const std::filesystem::path& path,
                                                             const vocabulary& v);
/// The outcomes of a program directory: its `outcomes.csv` or `outcomes.json`, or none when it
/// has neither. @throws parse_error when it has both.
[[nodiscard]] std::vector<opportunity_outcome> load_program_outcomes(
    const std::filesystem::path& directory, const vocabulary& v);
/// Writes a file atomically (temporary file + rename), in the format of its extension.
void save_outcomes(const std::filesystem::path& path, std::span<const opportunity_outcome> outcomes,
                   const vocabulary& v);

}  // namespace refmatch::measurement
