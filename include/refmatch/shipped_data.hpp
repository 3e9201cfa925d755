#pragma once
/// @file shipped_data.hpp
/// The reference data shipped inside refmatch::io: NAICS 2022 and UN M49 geography over
/// ISO 3166-1 countries (sources in docs/data-sources.md). Link refmatch::io to use it.

#include <refmatch/activity.hpp>
#include <refmatch/product_catalog.hpp>
#include <refmatch/size_band.hpp>
#include <refmatch/taxonomy.hpp>
#include <refmatch/vocabulary.hpp>

#include <memory>
#include <string_view>

namespace refmatch {

/// NAICS 2022: all 2,125 codes in five levels under a virtual root (sector = depth 1,
/// subsector 2, industry group 3, NAICS industry 4, national industry 5). The range sectors
/// `31-33`, `44-45` and `48-49` are single sector codes whose subsectors (31x/32x/33x, …) hang
/// below them. Named "NAICS 2022". Lookup by code at any level.
///
/// **Complexity:** the embedded file is parsed once per process (about 2 ms); later calls copy
/// the cached tree. **Thread safety:** safe to call concurrently.
[[nodiscard]] taxonomy naics2022();

/// UN M49 geography: the root is World (`001`, depth 0); the 5 regions have depth 1, then
/// sub-regions, intermediate regions where M49 has them, and the 249 ISO 3166-1 countries, each
/// under its intermediate region if it has one, else its sub-region (Antarctica, which M49 places
/// in no region, hangs directly under World). Countries are coded by ISO alpha-2; their alpha-3
/// code, numeric code and English name resolve too, as do region names ("Western Europe").
/// Named "UN M49".
///
/// **Complexity:** as `naics2022`. **Thread safety:** safe to call concurrently.
[[nodiscard]] taxonomy m49_geography();

/// A vocabulary of the shipped taxonomies, the given products and activities, and the default
/// size bands of scoring.md.
[[nodiscard]] std::shared_ptr<const vocabulary> standard_vocabulary(
    product_catalog products = {}, activity_catalog activities = {},
    size_bands sizes = size_bands());

namespace detail {
// The embedded files (generated from src/data/*.csv by cmake/embed_file.cmake).
std::string_view naics2022_csv();
std::string_view m49_regions_csv();
std::string_view m49_countries_csv();
}  // namespace detail

}  // namespace refmatch
