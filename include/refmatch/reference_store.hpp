#pragma once
/// @file reference_store.hpp
/// The in-memory store of reference customers, with indices by id, status, industry subtree and
/// geography subtree (Boost.MultiIndex).

#include <refmatch/detail/store/record_store.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/reference_batch.hpp>
#include <refmatch/vocabulary.hpp>

#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/mem_fun.hpp>
#include <boost/multi_index/ordered_index.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace refmatch {

/// A reference as the store keeps it: the record packed (reference_batch.hpp) plus its codes
/// resolved against the vocabulary. The packed record is immutable and shared: an update puts a
/// new one in its place, so the engine's snapshot holds the records it was built from without
/// copying them.
///
/// The records of one `add_all` batch share one allocation: the blocks of their
/// `reference_batch`, which each record points into (no record is copied or allocated on its
/// own when a program loads). Those blocks are freed with the last of their records, so a
/// removed or replaced record's bytes stay until the others of its batch are gone too.
struct stored_reference {
    std::shared_ptr<const std::byte> packed;
    resolved_codes codes;

    [[nodiscard]] packed_reference view() const noexcept { return packed_reference(packed.get()); }
    /// The record, unpacked (a copy).
    [[nodiscard]] reference_customer record() const { return view().unpack(); }
    [[nodiscard]] std::string_view id() const noexcept { return view().id(); }
    [[nodiscard]] reference_status status() const noexcept { return view().status(); }
    [[nodiscard]] taxonomy::node_id industry_node() const noexcept { return codes.industry; }
    [[nodiscard]] taxonomy::node_id geography_node() const noexcept { return codes.geography; }
};

namespace detail {
namespace mi = boost::multi_index;
using reference_indices = mi::indexed_by<
    mi::hashed_unique<mi::const_mem_fun<stored_reference, std::string_view, &stored_reference::id>,
                      detail::id_hash>,
    mi::ordered_unique<
        mi::const_mem_fun<stored_reference, std::string_view, &stored_reference::id>>,
    mi::hashed_non_unique<
        mi::const_mem_fun<stored_reference, reference_status, &stored_reference::status>>,
    mi::hashed_non_unique<
        mi::const_mem_fun<stored_reference, taxonomy::node_id, &stored_reference::industry_node>>,
    mi::hashed_non_unique<
        mi::const_mem_fun<stored_reference, taxonomy::node_id, &stored_reference::geography_node>>>;
}  // namespace detail

/// The reference customers of a program.
///
/// Every add, update and remove validates the record against the vocabulary (codes, products,
/// activity ids, quota limits, signal ranges) and keeps all indices consistent; a failing call
/// changes nothing. `add_all` is all-or-nothing for a whole batch.
///
/// Listing by industry or geography takes a code at any level and returns everything in its
/// subtree (all references under NAICS sector 52, or in Western Europe): the taxonomy's pre-order
/// numbering lists the subtree's codes, and a hashed index gives the references of each.
///
/// **Complexity:** `add`, `update`, `remove` O(log n) (the ordered id index; a batch arriving in
/// id order after every stored id is amortised O(1) per record); `find` O(1) expected; listings
/// O(codes in the subtree + r log r) for r results, returned in id order.
///
/// **Thread safety:** safe for concurrent use: readers share a lock, writers (`add`, `add_all`,
/// `update`, `remove`) take it exclusively. `for_each` holds the shared lock while it calls you,
/// so the callback must not write to the store. `version()` changes with every write: the
/// engine compares it to decide whether its snapshot is stale.
class reference_store : public detail::record_store<reference_store, reference_customer,
                                                    stored_reference, detail::reference_indices> {
public:
    static constexpr const char* noun = "reference";
    using record_store::record_store;

    /// References with the given status, in id order.
    [[nodiscard]] std::vector<reference_customer> with_status(reference_status s) const {
        auto out = with_keys<2>(std::array{s});
        sort_by_id(out);
        return out;
    }
    /// References whose industry lies in the subtree of `code` (any NAICS level), in id order.
    /// @throws not_found_error for an unknown code.
    [[nodiscard]] std::vector<reference_customer> in_industry(std::string_view code) const {
        return in_subtree<3>(vocab().industries, code);
    }
    /// References whose country lies in the subtree of `code` (a country, sub-region, region),
    /// in id order. @throws not_found_error for an unknown code.
    [[nodiscard]] std::vector<reference_customer> in_geography(std::string_view code) const {
        return in_subtree<4>(vocab().geography, code);
    }

    /// The form a batch of records is kept in (record_store.hpp): packed, one allocation.
    using batch_type = reference_batch;

    /// Adds a packed batch, all or nothing, as `add_all` of the records does; the store keeps
    /// the batch's bytes rather than copying them.
    void add_all(reference_batch batch) { add_batch(std::move(batch)); }
    using record_store::add_all;

    /// Validates and resolves a record (what `add` does before inserting).
    static stored_reference make_stored(const vocabulary& v, const reference_customer& r) {
        return make_stored(v, detail::pack(r));
    }
    /// The same for a record already packed (one of a batch, see `stored_reference`).
    static stored_reference make_stored(const vocabulary& v,
                                        std::shared_ptr<const std::byte> packed) {
        const packed_reference r(packed.get());
        const auto id = r.id();
        // The subject of a message, made only when there is one to give (a million references
        // load without making a million of them).
        const auto subject = [id] { return "reference '" + std::string(id) + "'"; };
        if (id.empty()) throw validation_error(subject(), "id", "a non-empty id", "");
        const auto f = r.fields();
        auto codes = v.resolve(subject, f.industry, f.country, f.products, r.size());
        r.for_each_consent([&](const activity_consent& c) {
            if (c.activity.value >= v.activities.size())
                throw validation_error(subject(), "consents", "a registered activity type",
                                       std::to_string(c.activity.value));
            if (c.limit) c.limit->validate();
        });
        const auto& signals = f.signals;
        if (signals.nps && *signals.nps > 10)
            throw validation_error(subject(), "nps", "a score 0-10", std::to_string(*signals.nps));
        for (const auto& [field, value] :
             {std::pair{"csat", signals.csat}, std::pair{"health", signals.health}})
            if (value && !(*value >= 0.0 && *value <= 100.0))
                throw validation_error(subject(), field, "a value 0-100", std::to_string(*value));
        return {std::move(packed), std::move(codes)};
    }

private:
    static void sort_by_id(std::vector<reference_customer>& v) {
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    }
    template <std::size_t Index>
    std::vector<reference_customer> in_subtree(const taxonomy& t, std::string_view code) const {
        const auto node = t.at(code);
        std::vector<taxonomy::node_id> subtree(t.subtree_size(node));
        for (std::uint32_t j = 0; j < subtree.size(); ++j)
            subtree[j] = t.node_at_preorder(t.preorder(node) + j);
        auto out = with_keys<Index>(subtree);
        sort_by_id(out);
        return out;
    }
};

}  // namespace refmatch
