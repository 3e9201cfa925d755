#pragma once
// The measurement tables of the program database: opportunity outcomes and the materials
// library (private to refmatch::db). Rows hold the fields of outcomes.csv and content.csv and
// are read back through the same record rules (src/measurement/records.hpp).

#include "db/sqlite.hpp"

#include <refmatch/content/content_item.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/vocabulary.hpp>

#include <span>
#include <vector>

namespace refmatch::db {

/// Every outcome, by opportunity id. Call inside a read transaction. @throws parse_error.
std::vector<measurement::opportunity_outcome> read_outcomes(const connection& c,
                                                            const vocabulary& v);
/// Inserts or replaces outcomes by opportunity id (inside a write transaction).
void put_outcomes(const connection& c, std::span<const measurement::opportunity_outcome> outcomes);

/// Every content item, by id. Call inside a read transaction. @throws parse_error.
std::vector<content::content_item> read_content(const connection& c, const vocabulary& v);
/// Inserts or replaces content items by id (inside a write transaction).
void put_content(const connection& c, std::span<const content::content_item> items);

}  // namespace refmatch::db
