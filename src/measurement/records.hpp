#pragma once
// The records of the tables beside a program (outcomes, content) as named text fields, both
// ways, shared by their files and the program database (private to refmatch::io and
// refmatch::db): one set of checks and messages.

#include "io/records.hpp"

#include <refmatch/content/content_item.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/outcome.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::detail {

/// The columns of outcomes.csv and content.csv, in the order they are written.
std::span<const column_spec> outcome_columns();
std::span<const column_spec> content_columns();

/// A record checked as `check_outcomes` checks one outcome. @throws parse_error.
measurement::opportunity_outcome build_outcome(const flat_record& r, const vocabulary& v);
/// A content item, its tags checked against `v`. @throws parse_error.
content::content_item build_content(const flat_record& r, const vocabulary& v);

/// Reads an outcomes table (CSV or JSON, the program's readers), each record checked as
/// `check_outcomes` checks it, ids unique. With `options.errors` set, every error is collected
/// and the records without one are returned; without it the first error is thrown.
std::vector<measurement::opportunity_outcome> read_outcomes(std::string_view text,
                                                            file_format format, const vocabulary& v,
                                                            const read_options& options);
/// Reads a content table likewise; `known_reference`, when set, says whether a featured
/// reference is one of the program's (else that is the program's check, `check_content`).
std::vector<content::content_item> read_content(
    std::string_view text, file_format format, const vocabulary& v, const read_options& options,
    const std::function<bool(std::string_view)>& known_reference = {});

/// The fields of a record, as text, in column order.
std::vector<std::string> outcome_fields(const measurement::opportunity_outcome& o);
std::vector<std::string> content_fields(const content::content_item& c);

}  // namespace refmatch::detail
