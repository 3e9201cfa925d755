#pragma once
/// @file content/content_io.hpp
/// The materials library as a CSV file, `content.csv` of a program directory
/// (docs/data-formats.md), read with the program's CSV reader and field rules (compiled in
/// refmatch::io).

#include <refmatch/content/content_item.hpp>
#include <refmatch/vocabulary.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::content {

/// Parses content CSV text (named `file` in messages): ids unique, type and status known, tags
/// known to `v`, `expires` after `published`. Whether the featured reference exists is the
/// program's question (`check_content`). @throws parse_error naming file, line and field.
[[nodiscard]] std::vector<content_item> parse_content(std::string_view text,
                                                      const std::string& file, const vocabulary& v);
/// The CSV text of `items` (CRLF, every column).
[[nodiscard]] std::string format_content(std::span<const content_item> items);
/// Reads a file. @throws parse_error (also for a missing file).
[[nodiscard]] std::vector<content_item> load_content(const std::filesystem::path& path,
                                                     const vocabulary& v);
/// The library of a program directory: its `content.csv`, or none when it has no such file.
[[nodiscard]] std::vector<content_item> load_program_content(const std::filesystem::path& directory,
                                                             const vocabulary& v);
/// Writes a file atomically (temporary file + rename).
void save_content(const std::filesystem::path& path, std::span<const content_item> items);

}  // namespace refmatch::content
