#pragma once
/// @file prospect_store.hpp
/// The in-memory store of prospects (open opportunities), indexed by id and by due date.

#include <refmatch/detail/store/record_store.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/vocabulary.hpp>

#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/mem_fun.hpp>
#include <boost/multi_index/ordered_index.hpp>

#include <cmath>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// A prospect as the store keeps it: the record plus its resolved codes.
struct stored_prospect {
    prospect value;
    resolved_codes codes;

    [[nodiscard]] const prospect& record() const noexcept { return value; }
    [[nodiscard]] const std::string& id() const noexcept { return value.id; }
    /// Due date for ordering; prospects without one sort last.
    [[nodiscard]] date due() const noexcept { return value.needed_by.value_or(date::max()); }
};

namespace detail {
namespace mi = boost::multi_index;
using prospect_indices = mi::indexed_by<
    mi::hashed_unique<mi::const_mem_fun<stored_prospect, const std::string&, &stored_prospect::id>,
                      detail::id_hash>,
    mi::ordered_unique<
        mi::const_mem_fun<stored_prospect, const std::string&, &stored_prospect::id>>,
    mi::ordered_non_unique<mi::const_mem_fun<stored_prospect, date, &stored_prospect::due>>>;
}  // namespace detail

/// The prospects of a program (its pipeline).
///
/// **Complexity:** as `reference_store`. **Thread safety:** as `reference_store`: concurrent
/// readers, exclusive writers, `for_each` callbacks must not write.
class prospect_store : public detail::record_store<prospect_store, prospect, stored_prospect,
                                                   detail::prospect_indices> {
public:
    static constexpr const char* noun = "prospect";
    using record_store::record_store;

    /// Prospects needed on or before `day`, earliest first (ties in id order).
    [[nodiscard]] std::vector<prospect> due_by(date day) const {
        auto out = range<2>(date::min(), day + std::chrono::days(1));
        std::stable_sort(out.begin(), out.end(), [](const prospect& a, const prospect& b) {
            return a.needed_by < b.needed_by || (a.needed_by == b.needed_by && a.id < b.id);
        });
        return out;
    }

    /// The prospect with this id as stored: the record and the codes resolved when it was added
    /// (the engine matches with them rather than resolving again). @throws not_found_error.
    [[nodiscard]] stored_prospect stored_at(std::string_view id) const {
        std::shared_lock lock(mutex_);
        const auto& ids = items_.get<0>();
        const auto it = ids.find(std::string(id));
        if (it == ids.end()) throw missing(id);
        return *it;
    }

    /// Validates and resolves a record (what `add` does before inserting).
    static stored_prospect make_stored(const vocabulary& v, prospect p) {
        // The subject of a message, made only when there is one to give.
        const auto subject = [&p] { return "prospect '" + p.id + "'"; };
        if (p.id.empty()) throw validation_error(subject(), "id", "a non-empty id", "");
        auto codes = v.resolve(subject, p.industry, p.country, p.products, p.size);
        if (p.activity && p.activity->value >= v.activities.size())
            throw validation_error(subject(), "activity", "a registered activity type",
                                   std::to_string(p.activity->value));
        if (!(p.deal_value >= 0.0) || !std::isfinite(p.deal_value))
            throw validation_error(subject(), "deal_value", "a finite value >= 0",
                                   std::to_string(p.deal_value));
        return {std::move(p), std::move(codes)};
    }
};

}  // namespace refmatch
