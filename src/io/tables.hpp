#pragma once
// Reading and writing one table in either format (private to refmatch::io).

#include "io/records.hpp"

#include <refmatch/io.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::detail {

/// Reads the records of a table, calling `on_record` for each. With `options.errors` set, errors
/// of a record are collected and the next record is read; file-level errors (syntax, header,
/// JSON envelope) end the file. Without it the first error is thrown.
void read_table(table_kind kind, std::string_view text, file_format format,
                const read_options& options, const std::function<void(flat_record&)>& on_record);

/// Reads the records of a table held as columns (see `table_columns`), as `read_table` above:
/// the column names are checked as a CSV header, the record of row `i` has line `i + 1`.
void read_table(table_kind kind, const table_columns& table, const read_options& options,
                const std::function<void(flat_record&)>& on_record);

/// Reads a references table packed (reference_batch.hpp), as `parse_references` reads it (same
/// checks, same messages) but without holding a `reference_customer` per row.
reference_batch parse_reference_batch(std::string_view text, file_format format,
                                      const vocabulary& vocab, const read_options& options);

/// Reads a usage table into a batch for `usage_ledger::record_all`, as `parse_usage` reads it
/// (same checks, same messages) but without keeping a `usage_event` per row.
usage_batch parse_usage_batch(std::string_view text, file_format format, const vocabulary& vocab,
                              const read_options& options,
                              const std::function<bool(std::string_view)>& known_reference);

/// The file of a table in a program directory (`outcomes.csv` or `outcomes.json`, ...), if any.
/// @throws parse_error when both formats are present; error when the directory cannot be read.
std::optional<std::filesystem::path> table_file(const std::filesystem::path& directory,
                                                table_kind kind);

/// Writes a table: `rows(emit)` calls `emit` with the fields of each record in
/// `columns_of(kind)` order.
std::string write_table(
    table_kind kind, file_format format,
    const std::function<void(const std::function<void(const std::vector<std::string>&)>&)>& rows);

}  // namespace refmatch::detail
