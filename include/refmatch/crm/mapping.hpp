#pragma once
/// @file crm/mapping.hpp
/// How the columns of a CRM export become the fields of a refmatch program: the mapping file
/// (JSON, documented with examples in docs/crm.md) and the shipped presets `salesforce` and
/// `hubspot`. Link refmatch::io.

#include <refmatch/error.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::crm {

/// How one refmatch field is filled from an export.
struct field_rule {
    /// The export columns that may hold the field, in order of preference; the first one the
    /// export has is used (header names compared without case or surrounding spaces).
    std::vector<std::string> columns;
    /// Replacements of cell values, keyed by the value's folded form (case, accents and
    /// surrounding spaces ignored; see `detail::fold_key`). Applied to each item of a list.
    std::map<std::string, std::string> values;
    /// For list fields (products, consents, exclusions): each of these characters separates
    /// items. Empty: the field's usual separator (';').
    std::string separator;
    /// The text used when the export lacks every column, or the cell is blank.
    std::optional<std::string> default_value;
};

/// The fields of one refmatch table filled from one export.
struct table_mapping {
    /// refmatch field name -> rule (see docs/crm.md for the fields of each table).
    std::map<std::string, field_rule> fields;
    /// Rows whose field (after value replacement) equals one of these folded values are read
    /// but not imported (closed opportunities, say); they are counted as skipped.
    std::map<std::string, std::vector<std::string>> skip;

    [[nodiscard]] const field_rule* find(std::string_view field) const {
        const auto it = fields.find(std::string(field));
        return it == fields.end() ? nullptr : &it->second;
    }
};

/// How numbers are written in the exports: `1,000.50` (the default) or `1.000,50`.
struct number_format {
    char thousands = ',';
    char decimal = '.';
};

/// A whole mapping: the exports it reads, and how results are written back.
///
/// **Thread safety:** a plain value; const access may be concurrent.
struct mapping {
    std::string name;
    /// The shipped industry crosswalk applied to industry values: "salesforce", "hubspot" or
    /// "" (none; NAICS codes and the mapping's own values only).
    std::string industry_crosswalk;
    /// What a code in an industry cell is: "naics" (NAICS 2022, or a 2017 code 2022 changed) or
    /// "sic" (a SIC 1987 code, mapped through the shipped `sic_to_naics` table). The two
    /// systems share four-digit numbers (5411 is grocery stores in SIC, legal services in NAICS),
    /// so an export's codes are read as one or the other, never guessed.
    std::string industry_code = "naics";
    /// Date formats tried in order: `YYYY-MM-DD`, `M/D/YYYY`, `DD.MM.YYYY`, ... (`YYYY`, `MM`,
    /// `M`, `DD`, `D` and literal characters); a time after the date (`2025-07-15 10:30`,
    /// `2025-07-15T10:30:00Z`) is ignored.
    std::vector<std::string> date_formats = {"YYYY-MM-DD"};
    number_format numbers;
    /// Sales territories that are not M49 regions, by folded name, as the M49 codes they cover
    /// ("dach" -> DE, AT, CH). A country cell naming one maps to the smallest M49 region that
    /// contains all of them.
    std::map<std::string, std::vector<std::string>> territories;
    /// The four exports: accounts (companies), opportunities (deals), opportunity products (line
    /// items) and the product catalogue.
    table_mapping accounts, opportunities, opportunity_products, products;
    /// Export column names: table ("matches", "gaps") -> refmatch column -> CRM column.
    std::map<std::string, std::map<std::string, std::string>> exports;
};

/// The version of the mapping format this library reads.
inline constexpr int mapping_format_version = 1;

/// Parses a mapping from JSON text; `source` names it in messages. A mapping may start from a
/// preset with `"extends": "salesforce"` (the file's keys then replace the preset's, as a JSON
/// merge patch).
/// @throws parse_error naming the source and the JSON path of the bad key:
///         `mapping.json: field 'accounts.industry.columns': expected a column name or a list of
///         them, got '3'`.
[[nodiscard]] mapping parse_mapping(std::string_view json_text, std::string_view source);

/// A shipped preset by name. @throws not_found_error naming the presets.
[[nodiscard]] mapping preset_mapping(std::string_view name);

/// The names of the shipped presets ("hubspot", "salesforce").
[[nodiscard]] std::vector<std::string> preset_names();

/// A preset when `name_or_path` names one, else the mapping file at that path.
/// @throws parse_error, or error when the file cannot be read.
[[nodiscard]] mapping load_mapping(std::string_view name_or_path);

}  // namespace refmatch::crm
