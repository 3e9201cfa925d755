// The shipped taxonomies, built from the CSV files embedded in the library.

#include "io/csv.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <array>
#include <optional>
#include <vector>

namespace refmatch {
namespace {

taxonomy build_naics() {
    auto t = parse_taxonomy_csv(detail::naics2022_csv(), "naics2022.csv");
    t.set_name("NAICS 2022");
    return t;
}

taxonomy build_m49() {
    // Regions: code,name,type,parent. World (001) is the taxonomy's virtual root, so its row is
    // skipped and "001" as a parent names the root.
    static constexpr std::array<detail::column_spec, 4> region_specs = {
        {{"code", true}, {"name", true}, {"type", true}, {"parent", true}}};
    static constexpr std::array<detail::column_spec, 10> country_specs = {
        {{"alpha2", true},
         {"alpha3", true},
         {"numeric", true},
         {"name", true},
         {"region_code", true},
         {"region", true},
         {"subregion_code", true},
         {"subregion", true},
         {"intermediate_code", true},
         {"intermediate", true}}};

    std::vector<taxonomy_entry> entries;
    struct country_aliases {
        std::string alpha2, alpha3, numeric, name;
    };
    std::vector<country_aliases> countries;

    const std::string regions_file = "m49_regions.csv";
    std::optional<detail::csv_columns> rc;
    detail::read_csv(
        detail::m49_regions_csv(), regions_file,
        [&](detail::csv_row& h) { rc.emplace(regions_file, h, region_specs); },
        [&](detail::csv_row& row) {
            rc->check_width(row);
            if (rc->get(row, "type") == "world") return;
            entries.push_back({std::string(rc->get(row, "code")), std::string(rc->get(row, "name")),
                               std::string(rc->get(row, "parent")), row.line});
        });
    const std::size_t region_count = entries.size();

    const std::string countries_file = "m49_countries.csv";
    std::optional<detail::csv_columns> cc;
    detail::read_csv(
        detail::m49_countries_csv(), countries_file,
        [&](detail::csv_row& h) { cc.emplace(countries_file, h, country_specs); },
        [&](detail::csv_row& row) {
            cc->check_width(row);
            // The most specific level M49 gives; Antarctica has none and hangs under World.
            std::string parent(cc->get(row, "intermediate_code"));
            if (parent.empty()) parent = cc->get(row, "subregion_code");
            if (parent.empty()) parent = cc->get(row, "region_code");
            if (parent.empty()) parent = "001";
            entries.push_back({std::string(cc->get(row, "alpha2")),
                               std::string(cc->get(row, "name")), parent, row.line});
            countries.push_back(
                {std::string(cc->get(row, "alpha2")), std::string(cc->get(row, "alpha3")),
                 std::string(cc->get(row, "numeric")), std::string(cc->get(row, "name"))});
        });

    taxonomy t("001", "World", entries, "m49");
    t.set_name("UN M49");
    t.add_alias("World", t.root());
    for (std::size_t i = 0; i < region_count; ++i)
        t.add_alias(entries[i].title, t.at(entries[i].code));
    for (const auto& c : countries) {
        const auto n = t.at(c.alpha2);
        t.add_alias(c.alpha3, n);
        t.add_alias(c.numeric, n);
        t.add_alias(c.name, n);
    }
    return t;
}

}  // namespace

taxonomy naics2022() {
    static const taxonomy cached = build_naics();
    return cached;
}

taxonomy m49_geography() {
    static const taxonomy cached = build_m49();
    return cached;
}

std::shared_ptr<const vocabulary> standard_vocabulary(product_catalog products,
                                                      activity_catalog activities,
                                                      size_bands sizes) {
    return std::make_shared<const vocabulary>(vocabulary{naics2022(), m49_geography(),
                                                         std::move(products), std::move(activities),
                                                         std::move(sizes)});
}

}  // namespace refmatch
