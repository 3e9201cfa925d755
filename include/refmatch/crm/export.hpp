#pragma once
/// @file crm/export.hpp
/// Sending results back to the CRM: match results and gaps as CSV files that Salesforce Data
/// Loader and HubSpot's import read as they are (the CRM's record ids, ISO dates, column names
/// from the mapping's `export` section). Link refmatch::io.

#include <refmatch/crm/mapping.hpp>
#include <refmatch/date.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/match.hpp>
#include <refmatch/prospect.hpp>

#include <span>
#include <string>
#include <vector>

namespace refmatch::crm {

/// One row per (opportunity, reference): the prospect's id, the reference's id, rank (from 1),
/// final score, reason and `day`, under the column names of `m.exports["matches"]` (a refmatch
/// column the mapping leaves out is not written). `results[i]` are the matches of
/// `prospects[i]`. **Complexity:** linear in the rows.
/// @throws validation_error when the spans differ in length or the mapping names no columns.
[[nodiscard]] std::string format_match_export(const mapping& m, std::span<const prospect> prospects,
                                              std::span<const std::vector<match_result>> results,
                                              date day);

/// One row per prospect of a gap analysis: id, best score (blank when no reference is
/// eligible), qualifying references, covered (true/false) and `day`, under the column names of
/// `m.exports["gaps"]`. @throws validation_error when the mapping names no columns.
[[nodiscard]] std::string format_gap_export(const mapping& m, const gap_report& gaps, date day);

}  // namespace refmatch::crm
