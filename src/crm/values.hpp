#pragma once
// Reading the values people type into CRM fields: numbers with currency signs and thousands
// separators, dates in several formats, employee ranges (private to refmatch::io).

#include <refmatch/crm/mapping.hpp>
#include <refmatch/date.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::crm::detail {

/// A number as `fmt` writes it, with any currency sign or code before or after it ("$1,000",
/// "USD 1,000.00", "1.000,50 €"); nullopt when it is not one. Thousands separators must group
/// three digits.
[[nodiscard]] std::optional<double> parse_amount(std::string_view text, const number_format& fmt);

/// Why a headcount did not read: not a number, or a number with a decimal separator (which is
/// what "12.000" is when the export writes thousands with dots and the mapping does not say so).
enum class headcount_error { none, not_a_number, fraction };

/// A headcount: a whole number, or a range "50-249" / "10,000+" (its lower bound).
[[nodiscard]] std::optional<std::uint64_t> parse_headcount(std::string_view text,
                                                           const number_format& fmt,
                                                           headcount_error& why);

/// A date in the first of `formats` that reads it completely (a time after a space or 'T' is
/// ignored); nullopt when none does.
[[nodiscard]] std::optional<date> parse_date_as(std::string_view text,
                                                const std::vector<std::string>& formats);

/// Splits a list cell at any of `separators`, trimming items and dropping empty ones.
[[nodiscard]] std::vector<std::string> split_list(std::string_view text,
                                                  std::string_view separators);

}  // namespace refmatch::crm::detail
