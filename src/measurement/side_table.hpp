#pragma once
// Reading a CSV table that lives beside a program's five (outcomes, content) with the program's
// CSV reader and field rules (private to refmatch::io).

#include "io/csv.hpp"
#include "io/records.hpp"

#include <refmatch/error.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace refmatch::detail {

/// Reads `text` (named `file`) with the columns `specs`, handing each data row to `on_record` as
/// a flat record. A validation_error from `on_record` becomes a parse_error naming the line.
/// @throws parse_error.
inline void read_side_table(std::string_view text, const std::string& file,
                            std::span<const column_spec> specs,
                            const std::function<void(const flat_record&)>& on_record) {
    std::optional<csv_columns> columns;
    flat_record record;
    record.file = &file;
    read_csv(
        text, file, [&](csv_row& header) { columns.emplace(file, header, specs); },
        [&](csv_row& row) {
            columns->check_width(row);
            record.line = row.line;
            record.fields.clear();
            for (const auto& s : specs)
                if (columns->has(s.name))
                    record.fields.emplace_back(s.name, std::string(columns->get(row, s.name)));
            try {
                on_record(record);
            } catch (const validation_error& e) {
                throw record.fail(e);
            }
        });
}

/// The header row of `specs`, then one row per record.
inline std::string format_side_table(std::span<const column_spec> specs,
                                     std::span<const std::vector<std::string>> rows) {
    std::string out;
    std::vector<std::string> header;
    for (const auto& s : specs) header.emplace_back(s.name);
    append_csv_row(out, header);
    for (const auto& r : rows) append_csv_row(out, r);
    return out;
}

}  // namespace refmatch::detail
