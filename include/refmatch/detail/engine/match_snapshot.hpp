#pragma once
// The engine's columnar snapshot of a reference store (namespace refmatch::detail; used by
// engine.hpp).

#include <refmatch/error.hpp>
#include <refmatch/reference_store.hpp>
#include <refmatch/vocabulary.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch::detail {

// The columnar, immutable picture of a reference store that matches run against. Active
// references only, in ascending id order: the position in these arrays is the tie-break order.
struct match_snapshot {
    std::uint64_t version = 0;
    std::size_t stored_references = 0;

    // Per-reference columns (10 + 1 bytes per reference).
    std::vector<std::uint16_t> industry;   // local industry code, 0 = unknown
    std::vector<std::uint16_t> geography;  // local geography code, 0 = unknown
    std::vector<std::uint8_t> size;        // band + 1, 0 = unknown
    std::vector<std::uint32_t> product_set;
    std::vector<std::uint16_t> consent;  // bit a: consents to activity a (a < 16)

    // Local codes 1.. are the taxonomy nodes in use, in pre-order, so that the references under
    // a node have a contiguous range of local codes.
    struct code_dictionary {
        std::vector<taxonomy::node_id> node{taxonomy::npos};  // local -> node
        std::vector<std::uint32_t> preorder{0};
        std::vector<std::uint8_t> depth{0};
    };
    code_dictionary industries;
    code_dictionary geographies;

    // Distinct product sets (set 0 is the empty set) and the inverted lists product -> sets.
    std::vector<std::uint32_t> set_offsets{0, 0};
    std::vector<product_catalog::index_type> set_products;
    std::vector<std::uint32_t> sets_of_product_offsets;
    std::vector<std::uint32_t> sets_of_product;
    // The positions holding each set, ascending (set s: set_members[set_member_offsets[s] ..
    // set_member_offsets[s + 1])), so that a match can visit the sets sharing a requested
    // product before the others.
    std::vector<std::uint32_t> set_member_offsets;
    std::vector<std::uint32_t> set_members;

    // The packed records, shared with the store (immutable there), in the order of the columns.
    std::vector<std::shared_ptr<const std::byte>> records;
    std::shared_ptr<const vocabulary> vocab;

    [[nodiscard]] std::size_t size_count() const noexcept { return industry.size(); }
    [[nodiscard]] std::size_t product_set_count() const noexcept { return set_offsets.size() - 1; }
    [[nodiscard]] std::uint32_t product_set_size(std::uint32_t s) const {
        return set_offsets[s + 1] - set_offsets[s];
    }
    [[nodiscard]] std::size_t scoring_bytes() const noexcept {
        return industry.size() *
               (sizeof(std::uint16_t) * 3 + sizeof(std::uint8_t) + sizeof(std::uint32_t));
    }
    [[nodiscard]] packed_reference record(std::uint32_t i) const {
        return packed_reference(records[i].get());
    }
    // Position of a reference id, or npos.
    [[nodiscard]] std::uint32_t position(std::string_view id) const {
        const auto it = std::lower_bound(
            records.begin(), records.end(), id,
            [](const auto& r, std::string_view v) { return packed_reference(r.get()).id() < v; });
        if (it == records.end() || packed_reference(it->get()).id() != id)
            return std::numeric_limits<std::uint32_t>::max();
        return static_cast<std::uint32_t>(it - records.begin());
    }

    static std::shared_ptr<const match_snapshot> build(const reference_store& store);
};

inline std::shared_ptr<const match_snapshot> match_snapshot::build(const reference_store& store) {
    auto snap = std::make_shared<match_snapshot>();
    snap->vocab = store.shared_vocab();
    const vocabulary& vocab = *snap->vocab;
    // Read the version first: a write that lands during the copy makes the snapshot look stale,
    // so the next refresh rebuilds it (never the other way round).
    snap->version = store.version();

    struct row {
        taxonomy::node_id industry, geography;
        std::uint8_t size;
        std::uint32_t set;
        std::uint16_t consent;
    };
    std::vector<row> rows;
    struct vector_hash {
        std::size_t operator()(const std::vector<product_catalog::index_type>& v) const noexcept {
            std::size_t h = 1469598103934665603ull;
            for (auto x : v) h = (h ^ x) * 1099511628211ull;
            return h;
        }
    };
    std::unordered_map<std::vector<product_catalog::index_type>, std::uint32_t, vector_hash> sets;
    std::vector<const std::vector<product_catalog::index_type>*> set_list;
    sets.emplace(std::vector<product_catalog::index_type>{}, 0u);
    set_list.push_back(&sets.begin()->first);
    std::size_t stored = 0;
    store.for_each([&](const stored_reference& s) {
        ++stored;
        const packed_reference record = s.view();
        if (record.status() != reference_status::active) return;
        std::uint16_t consent_mask = 0;
        record.for_each_consent([&](const activity_consent& c) {
            if (c.activity.value < 16)
                consent_mask = static_cast<std::uint16_t>(consent_mask | (1u << c.activity.value));
        });
        const size_band band = record.size();
        // try_emplace: a set already seen (most are) is not copied into a node first.
        const auto [it, fresh] =
            sets.try_emplace(s.codes.products, static_cast<std::uint32_t>(set_list.size()));
        if (fresh) set_list.push_back(&it->first);
        rows.push_back({s.codes.industry, s.codes.geography,
                        static_cast<std::uint8_t>(band ? *band + 1 : 0), it->second, consent_mask});
        snap->records.push_back(s.packed);
    });
    snap->stored_references = stored;

    const auto make_dictionary = [](const taxonomy& t, code_dictionary& dict,
                                    const std::vector<row>& rs, auto member,
                                    const char* what) -> std::vector<std::uint16_t> {
        std::vector<char> used(t.size(), 0);
        for (const auto& r : rs)
            if (r.*member != taxonomy::npos) used[r.*member] = 1;
        std::vector<taxonomy::node_id> nodes;
        for (taxonomy::node_id n = 0; n < t.size(); ++n)
            if (used[n]) nodes.push_back(n);
        if (nodes.size() >= 0xFFFF)
            throw validation_error(std::string("the engine supports at most 65534 distinct ") +
                                   what + " codes in use, got " + std::to_string(nodes.size()));
        std::sort(nodes.begin(), nodes.end(),
                  [&](auto a, auto b) { return t.preorder(a) < t.preorder(b); });
        std::vector<std::uint16_t> local(t.size(), 0);
        for (auto n : nodes) {
            local[n] = static_cast<std::uint16_t>(dict.node.size());
            dict.node.push_back(n);
            dict.preorder.push_back(t.preorder(n));
            dict.depth.push_back(
                static_cast<std::uint8_t>(std::min<std::uint32_t>(t.depth(n), 255)));
        }
        std::vector<std::uint16_t> column(rs.size());
        for (std::size_t i = 0; i < rs.size(); ++i)
            column[i] = rs[i].*member == taxonomy::npos ? 0 : local[rs[i].*member];
        return column;
    };
    snap->industry =
        make_dictionary(vocab.industries, snap->industries, rows, &row::industry, "industry");
    snap->geography =
        make_dictionary(vocab.geography, snap->geographies, rows, &row::geography, "geography");
    snap->size.resize(rows.size());
    snap->product_set.resize(rows.size());
    snap->consent.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        snap->size[i] = rows[i].size;
        snap->product_set[i] = rows[i].set;
        snap->consent[i] = rows[i].consent;
    }

    snap->set_offsets.assign(1, 0);
    std::vector<std::uint32_t> count(vocab.products.size() + 1, 0);
    for (const auto* set : set_list) {
        snap->set_products.insert(snap->set_products.end(), set->begin(), set->end());
        snap->set_offsets.push_back(static_cast<std::uint32_t>(snap->set_products.size()));
        for (auto p : *set) ++count[p + 1];
    }
    for (std::size_t p = 1; p < count.size(); ++p) count[p] += count[p - 1];
    snap->sets_of_product_offsets = count;
    snap->sets_of_product.resize(snap->set_products.size());
    for (std::uint32_t s = 0; s + 1 < snap->set_offsets.size(); ++s)
        for (auto i = snap->set_offsets[s]; i < snap->set_offsets[s + 1]; ++i)
            snap->sets_of_product[count[snap->set_products[i]]++] = s;

    auto& offsets = snap->set_member_offsets;
    offsets.assign(snap->product_set_count() + 1, 0);
    for (const auto set : snap->product_set) ++offsets[set + 1];
    for (std::size_t s = 1; s < offsets.size(); ++s) offsets[s] += offsets[s - 1];
    snap->set_members.resize(rows.size());
    std::vector<std::uint32_t> next(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t i = 0; i < rows.size(); ++i)
        snap->set_members[next[snap->product_set[i]]++] = i;
    return snap;
}

}  // namespace refmatch::detail
