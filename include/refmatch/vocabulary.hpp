#pragma once
/// @file vocabulary.hpp
/// The codes a program speaks in: industry and geography taxonomies, the product catalogue, the
/// activity types and the size bands. References and prospects are validated against it.

#include <refmatch/activity.hpp>
#include <refmatch/error.hpp>
#include <refmatch/product_catalog.hpp>
#include <refmatch/size_band.hpp>
#include <refmatch/taxonomy.hpp>

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace refmatch {

/// Industry, geography and product codes of one record, resolved to taxonomy nodes and catalogue
/// indices. `npos` stands for a missing code; products are sorted and unique.
struct resolved_codes {
    taxonomy::node_id industry = taxonomy::npos;
    taxonomy::node_id geography = taxonomy::npos;
    std::vector<product_catalog::index_type> products;
    bool operator==(const resolved_codes&) const = default;
};

/// Everything a program's records refer to. Built once, then shared read-only (typically through
/// `std::shared_ptr<const vocabulary>`) by stores, engines and loaders.
///
/// **Thread safety:** const members may be called concurrently.
struct vocabulary {
    taxonomy industries;
    taxonomy geography;
    product_catalog products;
    activity_catalog activities;
    size_bands sizes;

    /// Resolves the codes of a record. An empty code is "unknown" (npos); a non-empty code that
    /// the taxonomy or catalogue does not know is an error. `subject` names the record in messages
    /// ("reference 'R-1'"): a string, or a function that makes it, called only for a message
    /// (a large load then makes none).
    /// @throws validation_error naming the field, what was expected and what was found.
    template <class Subject, class ProductIds = std::span<const std::string>>
    [[nodiscard]] resolved_codes resolve(const Subject& subject, std::string_view industry,
                                         std::string_view country, const ProductIds& product_ids,
                                         size_band size) const {
        resolved_codes out;
        out.products.reserve(product_ids.size());
        std::tie(out.industry, out.geography) =
            resolve_each(subject, industry, country, product_ids, size,
                         [&](product_catalog::index_type p) { out.products.push_back(p); });
        std::sort(out.products.begin(), out.products.end());
        out.products.erase(std::unique(out.products.begin(), out.products.end()),
                           out.products.end());
        return out;
    }

    /// Checks the codes of a record as `resolve` does, keeping nothing (a loader checks every
    /// record it reads; the store resolves them when they are added).
    /// @throws validation_error as `resolve`.
    template <class Subject, class ProductIds = std::span<const std::string>>
    void check(const Subject& subject, std::string_view industry, std::string_view country,
               const ProductIds& product_ids, size_band size) const {
        (void)resolve_each(subject, industry, country, product_ids, size,
                           [](product_catalog::index_type) {});
    }

private:
    // The rule of `resolve` and `check`: the industry and geography nodes, each product's index
    // to `on_product` in the order given. The product ids are any range of strings or views.
    template <class Subject, class ProductIds, class OnProduct>
    std::pair<taxonomy::node_id, taxonomy::node_id> resolve_each(
        const Subject& subject, std::string_view industry, std::string_view country,
        const ProductIds& product_ids, size_band size, OnProduct&& on_product) const {
        const auto named = [&subject]() -> std::string {
            if constexpr (std::is_invocable_v<const Subject&>)
                return subject();
            else
                return subject;
        };
        std::pair<taxonomy::node_id, taxonomy::node_id> nodes{taxonomy::npos, taxonomy::npos};
        if (!industry.empty()) {
            const auto n = industries.find(industry);
            if (!n)
                throw validation_error(named(), "industry", "a " + industries.name() + " code",
                                       std::string(industry));
            nodes.first = *n;
        }
        if (!country.empty()) {
            const auto n = geography.find(country);
            if (!n)
                throw validation_error(named(), "country",
                                       "a country or region of " + geography.name(),
                                       std::string(country));
            nodes.second = *n;
        }
        for (const std::string_view id : product_ids) {
            const auto p = products.find(id);
            if (!p)
                throw validation_error(named(), "products", "a product id of the catalogue",
                                       std::string(id));
            on_product(*p);
        }
        if (size && *size >= sizes.count())
            throw validation_error(named(), "size_band",
                                   "a band 0.." + std::to_string(sizes.count() - 1),
                                   std::to_string(*size));
        return nodes;
    }
};

}  // namespace refmatch
