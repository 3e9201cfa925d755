#pragma once
// The records of the tables beside a program (outcomes, content) as named text fields, both
// ways, shared by their files and the program database (private to refmatch::io and
// refmatch::db): one set of checks and messages.

#include "io/records.hpp"

#include <refmatch/content/content_item.hpp>
#include <refmatch/measurement/outcome.hpp>

#include <span>
#include <string>
#include <vector>

namespace refmatch::detail {

/// The columns of outcomes.csv and content.csv, in the order they are written.
std::span<const column_spec> outcome_columns();
std::span<const column_spec> content_columns();

/// A record checked as `check_outcomes` checks one outcome. @throws parse_error.
measurement::opportunity_outcome build_outcome(const flat_record& r, const vocabulary& v);
/// A content item, its tags checked against `v`. @throws parse_error.
content::content_item build_content(const flat_record& r, const vocabulary& v);

/// The fields of a record, as text, in column order.
std::vector<std::string> outcome_fields(const measurement::opportunity_outcome& o);
std::vector<std::string> content_fields(const content::content_item& c);

}  // namespace refmatch::detail
