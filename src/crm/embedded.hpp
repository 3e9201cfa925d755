#pragma once
// The shipped CRM data embedded in refmatch::io (generated from src/data/crm/ by
// cmake/embed_file.cmake).

#include <string_view>

namespace refmatch::detail {
std::string_view crm_salesforce_industries_csv();
std::string_view crm_hubspot_industries_csv();
std::string_view crm_naics2017_to_2022_csv();
std::string_view crm_sic_to_naics_csv();
std::string_view crm_country_aliases_csv();
std::string_view crm_salesforce_json();
std::string_view crm_hubspot_json();
}  // namespace refmatch::detail
