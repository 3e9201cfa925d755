#pragma once
/// @file crm/crosswalk.hpp
/// The shipped crosswalks from CRM vocabularies to refmatch's: industry pick-lists to NAICS 2022,
/// NAICS 2017 codes and SIC 1987 codes to 2022, and country names to ISO 3166-1 (sources in
/// docs/data-sources.md).
/// Link refmatch::io.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::crm {

/// One value of a CRM pick-list and the NAICS 2022 code it maps to ("" when no code fits and
/// the industry is left unknown). `label` is the value as exports show it when it differs from
/// the stored value (HubSpot stores `COMPUTER_SOFTWARE` and shows "Computer Software").
struct industry_entry {
    std::string value;
    std::string label;
    std::string naics;
    std::string note;
};

/// A shipped industry crosswalk: "salesforce" (the standard Account Industry pick-list) or
/// "hubspot" (the default company `industry` property, LinkedIn's industry list).
/// @throws not_found_error for another name.
/// **Thread safety:** safe to call concurrently (parsed once per process).
[[nodiscard]] std::span<const industry_entry> industry_crosswalk(std::string_view name);

/// A NAICS 2017 code that 2022 renumbered, merged or split, and its 2022 code (for a split, the
/// closest code that contains every part). `change` is "direct", "consolidated" or "split".
struct naics_change {
    std::string naics2017;
    std::string naics2022;
    std::string change;
};

/// The shipped NAICS 2017 -> 2022 changes. **Thread safety:** as `industry_crosswalk`.
[[nodiscard]] std::span<const naics_change> naics2017_changes();

/// A SIC 1987 industry (four digits) and the NAICS 2022 industries its parts became, through the
/// Census concordances 1987 SIC -> 2002 NAICS -> ... -> 2022 NAICS. `naics2022` is the one 2022
/// industry (`change` "direct"), or for a SIC split among several (`change` "split") the closest
/// code that contains every part; "" when the parts lie in different sectors.
struct sic_industry {
    std::string sic;
    std::string title;
    std::string naics2022;
    std::string change;
    std::vector<std::string> parts;  ///< every 2022 industry a part of it went to
};

/// The shipped SIC 1987 -> NAICS 2022 table, by SIC code. **Thread safety:** as
/// `industry_crosswalk`.
[[nodiscard]] std::span<const sic_industry> sic_to_naics();

/// Another name of a country and its ISO 3166-1 alpha-2 code, with a note where the alias is
/// not quite the country (England -> GB).
struct country_alias {
    std::string alias;
    std::string country;
    std::string note;
};

/// The shipped country aliases (English variants, formal and native names).
/// **Thread safety:** as `industry_crosswalk`.
[[nodiscard]] std::span<const country_alias> country_aliases();

/// Well-known sales territories that are not M49 regions ("EMEA", "APAC", "DACH", ...): a
/// country cell naming one is rejected with a hint to declare it in the mapping.
[[nodiscard]] bool is_sales_territory(std::string_view name);

}  // namespace refmatch::crm
