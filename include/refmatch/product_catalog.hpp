#pragma once
/// @file product_catalog.hpp
/// The vendor's own product catalogue: a flat list of products, each with a dense index that the
/// engine uses for bitsets.

#include <refmatch/detail/text.hpp>
#include <refmatch/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// A product the vendor sells. `family` groups related products (optional).
struct product {
    std::string id;
    std::string name;
    std::string family;
    bool operator==(const product&) const = default;
};

/// The catalogue: products in insertion order, each with a dense index `0 .. size()-1`.
/// There is no upper limit on the number of products.
///
/// **Complexity:** `find` O(1) expected. **Thread safety:** const members may be called
/// concurrently; `add` needs exclusive access.
class product_catalog {
public:
    using index_type = std::uint32_t;

    product_catalog() = default;
    explicit product_catalog(std::vector<product> products) {
        for (auto& p : products) add(std::move(p));
    }

    /// Adds a product and returns its index.
    /// @throws validation_error on an empty or duplicate id.
    index_type add(product p) {
        if (p.id.empty()) throw validation_error("product id must not be empty");
        const auto index = static_cast<index_type>(products_.size());
        if (!by_id_.emplace(p.id, index).second)
            throw validation_error("duplicate product id '" + p.id + "'");
        products_.push_back(std::move(p));
        return index;
    }

    [[nodiscard]] std::optional<index_type> find(std::string_view id) const {
        const auto it = by_id_.find(id);
        if (it == by_id_.end()) return std::nullopt;
        return it->second;
    }
    /// @throws not_found_error for an unknown id.
    [[nodiscard]] index_type at(std::string_view id) const {
        if (auto i = find(id)) return *i;
        throw not_found_error("no product '" + std::string(id) + "' in the product catalogue");
    }

    [[nodiscard]] const product& operator[](index_type i) const { return products_[i]; }
    [[nodiscard]] std::size_t size() const noexcept { return products_.size(); }
    [[nodiscard]] const std::vector<product>& products() const noexcept { return products_; }

private:
    std::vector<product> products_;
    detail::string_map<index_type> by_id_;
};

}  // namespace refmatch
