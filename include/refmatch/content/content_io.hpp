#pragma once
/// @file content/content_io.hpp
/// The materials library as a file, `content.csv` or `content.json` of a program directory
/// (docs/data-formats.md), read with the program's CSV and JSON readers and field rules
/// (compiled in refmatch::io).

#include <refmatch/content/content_item.hpp>
#include <refmatch/io.hpp>
#include <refmatch/vocabulary.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::content {

/// Parses content text (named `file` in messages): ids unique, type and status known, tags
/// known to `v`, `expires` after `published`. Whether the featured reference exists is the
/// program's question (`check_content`). @throws parse_error naming file, line (or JSON record)
/// and field.
[[nodiscard]] std::vector<content_item> parse_content(std::string_view text,
                                                      const std::string& file, const vocabulary& v,
                                                      file_format format = file_format::csv);
/// The text of `items` (CSV: CRLF; JSON: `{"format": "refmatch-content", ...}`).
[[nodiscard]] std::string format_content(std::span<const content_item> items,
                                         file_format format = file_format::csv);
/// Reads a file, its format from its extension. @throws parse_error (also for a missing file).
[[nodiscard]] std::vector<content_item> load_content(const std::filesystem::path& path,
                                                     const vocabulary& v);
/// The library of a program directory: its `content.csv` or `content.json`, or none when it has
/// neither. @throws parse_error when it has both.
[[nodiscard]] std::vector<content_item> load_program_content(const std::filesystem::path& directory,
                                                             const vocabulary& v);
/// Writes a file atomically (temporary file + rename), in the format of its extension.
void save_content(const std::filesystem::path& path, std::span<const content_item> items);

}  // namespace refmatch::content
