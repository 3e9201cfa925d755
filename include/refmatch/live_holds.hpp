#pragma once
/// @file live_holds.hpp
/// Slots already promised on references (the holds of reference requests, docs/requests.md):
/// each counts like a use of its activity for eligibility, fatigue and headroom, and blocks an
/// activity with a cooldown when dated within `cooldown_days` of `now` (scoring.md, "Holds").
/// Matching (`match_options::holds`) and the assignment (`assignment_options::holds`) read them;
/// `evaluate_quota` applies them.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace refmatch {

/// A slot already promised on a reference: it counts like a use for the headroom and the
/// fatigue of `activity`, and blocks an activity with a cooldown when dated within
/// `cooldown_days` of `now`, before or after (scoring.md, "Holds").
struct live_hold {
    std::string reference_id;
    activity_id activity;
    date day;  ///< the day the activity is planned
    bool operator==(const live_hold&) const = default;
};

/// The live holds of a program at one moment, indexed by (reference, activity) for the quota
/// check of a match.
///
/// **Complexity:** construction O(h log h) for h holds; `days` O(log h).
/// **Thread safety:** immutable after construction: any number of threads may read it.
class hold_index {
public:
    hold_index() = default;
    explicit hold_index(std::vector<live_hold> holds) : holds_(std::move(holds)) {
        std::sort(holds_.begin(), holds_.end(), [](const live_hold& a, const live_hold& b) {
            return std::tie(a.reference_id, a.activity.value, a.day) <
                   std::tie(b.reference_id, b.activity.value, b.day);
        });
        days_.reserve(holds_.size());
        for (const auto& h : holds_) days_.push_back(h.day);
    }

    /// The days of the live holds of `activity` on `reference` (empty when it has none).
    [[nodiscard]] std::span<const date> days(std::string_view reference,
                                             activity_id activity) const {
        const auto key = std::make_pair(reference, activity.value);
        const auto less = [](const live_hold& h,
                             const std::pair<std::string_view, std::uint16_t>& k) {
            return std::make_pair(std::string_view(h.reference_id), h.activity.value) < k;
        };
        const auto first = std::lower_bound(holds_.begin(), holds_.end(), key, less);
        auto last = first;
        while (last != holds_.end() && last->reference_id == reference &&
               last->activity == activity)
            ++last;
        const auto offset = static_cast<std::size_t>(first - holds_.begin());
        return {days_.data() + offset, static_cast<std::size_t>(last - first)};
    }

    /// Every hold, by reference, activity and day.
    [[nodiscard]] const std::vector<live_hold>& holds() const noexcept { return holds_; }
    [[nodiscard]] bool empty() const noexcept { return holds_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return holds_.size(); }

private:
    std::vector<live_hold> holds_;
    std::vector<date> days_;  // holds_[i].day, contiguous for `days`
};

}  // namespace refmatch
