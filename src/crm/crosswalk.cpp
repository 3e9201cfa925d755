// The shipped crosswalks, parsed once from the embedded CSV files.

#include "crm/embedded.hpp"
#include "io/csv.hpp"

#include <refmatch/crm/crosswalk.hpp>
#include <refmatch/detail/text.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace refmatch::crm {
namespace {

// Reads an embedded table: `columns` in order, each required.
template <std::size_t N>
std::vector<std::array<std::string, N>> read_rows(std::string_view text, const std::string& file,
                                                  const std::array<detail::column_spec, N>& specs) {
    std::vector<std::array<std::string, N>> rows;
    std::optional<detail::csv_columns> columns;
    detail::read_csv(
        text, file, [&](detail::csv_row& h) { columns.emplace(file, h, specs); },
        [&](detail::csv_row& row) {
            columns->check_width(row);
            std::array<std::string, N> r;
            for (std::size_t i = 0; i < N; ++i) r[i] = columns->get(row, specs[i].name);
            rows.push_back(std::move(r));
        });
    return rows;
}

std::vector<industry_entry> salesforce_entries() {
    static constexpr std::array<detail::column_spec, 3> specs = {
        {{"value", true}, {"naics", true}, {"note", true}}};
    std::vector<industry_entry> out;
    for (auto& r :
         read_rows(detail::crm_salesforce_industries_csv(), "salesforce_industries.csv", specs))
        out.push_back({r[0], "", r[1], r[2]});
    return out;
}

std::vector<industry_entry> hubspot_entries() {
    static constexpr std::array<detail::column_spec, 4> specs = {
        {{"value", true}, {"label", true}, {"naics", true}, {"note", true}}};
    std::vector<industry_entry> out;
    for (auto& r : read_rows(detail::crm_hubspot_industries_csv(), "hubspot_industries.csv", specs))
        out.push_back({r[0], r[1], r[2], r[3]});
    return out;
}

}  // namespace

std::span<const industry_entry> industry_crosswalk(std::string_view name) {
    static const std::vector<industry_entry> salesforce = salesforce_entries();
    static const std::vector<industry_entry> hubspot = hubspot_entries();
    if (name == "salesforce") return salesforce;
    if (name == "hubspot") return hubspot;
    throw not_found_error("no industry crosswalk '" + std::string(name) +
                          "': expected salesforce or hubspot");
}

std::span<const naics_change> naics2017_changes() {
    static const std::vector<naics_change> changes = [] {
        static constexpr std::array<detail::column_spec, 3> specs = {
            {{"naics2017", true}, {"naics2022", true}, {"change", true}}};
        std::vector<naics_change> out;
        for (auto& r :
             read_rows(detail::crm_naics2017_to_2022_csv(), "naics2017_to_2022.csv", specs))
            out.push_back({r[0], r[1], r[2]});
        return out;
    }();
    return changes;
}

std::span<const sic_industry> sic_to_naics() {
    static const std::vector<sic_industry> table = [] {
        static constexpr std::array<detail::column_spec, 5> specs = {{{"sic", true},
                                                                      {"title", true},
                                                                      {"naics2022", true},
                                                                      {"change", true},
                                                                      {"parts", true}}};
        std::vector<sic_industry> out;
        for (auto& r : read_rows(detail::crm_sic_to_naics_csv(), "sic_to_naics.csv", specs)) {
            std::vector<std::string> parts;
            for (std::size_t at = 0; at < r[4].size();) {
                const auto end = std::min(r[4].find(' ', at), r[4].size());
                if (end > at) parts.push_back(r[4].substr(at, end - at));
                at = end + 1;
            }
            out.push_back({r[0], r[1], r[2], r[3], std::move(parts)});
        }
        return out;
    }();
    return table;
}

std::span<const country_alias> country_aliases() {
    static const std::vector<country_alias> aliases = [] {
        static constexpr std::array<detail::column_spec, 3> specs = {
            {{"alias", true}, {"country", true}, {"note", true}}};
        std::vector<country_alias> out;
        for (auto& r : read_rows(detail::crm_country_aliases_csv(), "country_aliases.csv", specs))
            out.push_back({r[0], r[1], r[2]});
        return out;
    }();
    return aliases;
}

bool is_sales_territory(std::string_view name) {
    static constexpr std::string_view territories[] = {
        "emea",    "apac",   "apj",     "latam", "amer", "americas", "na",  "noram", "dach",
        "nordics", "nordic", "benelux", "anz",   "mena", "cee",      "ssa", "row"};
    const auto key = detail::fold_key(name);
    return std::find(std::begin(territories), std::end(territories), key) != std::end(territories);
}

}  // namespace refmatch::crm
