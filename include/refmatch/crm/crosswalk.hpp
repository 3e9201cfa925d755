#pragma once
/// @file crm/crosswalk.hpp
/// The shipped crosswalks from CRM vocabularies to refmatch's: industry pick-lists to NAICS 2022,
/// NAICS 2017 codes to 2022, and country names to ISO 3166-1 (sources in docs/data-sources.md).
/// Link refmatch::io.

#include <span>
#include <string>
#include <string_view>

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
