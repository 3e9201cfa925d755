#pragma once
/// @file usage_ledger.hpp
/// The usage ledger: which reference did which activity for which opportunity on which day. It is
/// the source of truth for quotas, fatigue and influence.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch {

/// One use of a reference.
struct usage_event {
    std::string reference_id;
    activity_id activity;
    std::string opportunity_id;  ///< the prospect/opportunity it was for (may be empty)
    date day;
    bool operator==(const usage_event&) const = default;
};

/// Append-only record of usage events, indexed for quota questions.
///
/// Events may arrive in any order of days; each (reference, activity) pair keeps its days sorted,
/// so that `used` and `last_use` are two binary searches.
///
/// **Complexity:** `record` O(log m + m') where m is the events of that (reference, activity)
/// pair and m' those later than the new one (O(log m) for events arriving in day order);
/// `used`, `last_use` O(log m) after an O(1) expected hash lookup.
///
/// **Thread safety:** safe for concurrent use. `record` takes an exclusive lock; queries take a
/// shared lock each. To ask many questions against one consistent state (the engine does this
/// for a whole match), hold a `reader` from `read()`: it keeps the shared lock for its lifetime,
/// so `record` calls wait until it is gone. Never call `record` on the same thread while holding
/// a reader.
class usage_ledger {
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    struct activity_days {
        activity_id activity;
        std::vector<date> days;  // sorted
    };
    using index_type =
        std::unordered_map<std::string, std::vector<activity_days>, string_hash, std::equal_to<>>;

public:
    usage_ledger() = default;
    usage_ledger(const usage_ledger& other) {
        std::shared_lock lock(other.mutex_);
        events_ = other.events_;
        index_ = other.index_;
    }
    usage_ledger& operator=(const usage_ledger& other) {
        if (this != &other) {
            usage_ledger copy(other);
            std::scoped_lock lock(mutex_);
            events_ = std::move(copy.events_);
            index_ = std::move(copy.index_);
        }
        return *this;
    }

    /// Appends an event.
    void record(usage_event e) {
        std::unique_lock lock(mutex_);
        auto& days = days_of(index_[e.reference_id], e.activity);
        days.insert(std::upper_bound(days.begin(), days.end(), e.day), e.day);
        events_.push_back(std::move(e));
    }

    /// A consistent view for many queries; holds a shared lock until destroyed.
    class reader {
    public:
        /// The use count in the window `(now − window_days, now]` and the latest use on or
        /// before `now`, with one lookup (the engine's quota check).
        struct usage_summary {
            std::uint32_t used = 0;
            std::optional<date> last_use;
        };
        [[nodiscard]] usage_summary summary(std::string_view reference, activity_id a,
                                            std::uint32_t window_days, date now) const {
            const auto* days = ledger_->find(reference, a);
            if (!days) return {};
            const auto hi = std::upper_bound(days->begin(), days->end(), now);
            const auto lo =
                std::upper_bound(days->begin(), hi, now - std::chrono::days(window_days));
            usage_summary out;
            out.used = static_cast<std::uint32_t>(hi - lo);
            if (hi != days->begin()) out.last_use = *(hi - 1);
            return out;
        }
        /// Uses of `a` by `reference` in the window `(now − window_days, now]`.
        [[nodiscard]] std::uint32_t used(std::string_view reference, activity_id a,
                                         std::uint32_t window_days, date now) const {
            return summary(reference, a, window_days, now).used;
        }
        /// The latest use of `a` by `reference` on or before `now`, if any.
        [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a,
                                                   date now) const {
            return summary(reference, a, 1, now).last_use;
        }
        /// The latest use of `a` by `reference`, whatever its day.
        [[nodiscard]] std::optional<date> last_use(std::string_view reference,
                                                   activity_id a) const {
            const auto* days = ledger_->find(reference, a);
            if (!days || days->empty()) return std::nullopt;
            return days->back();
        }
        /// All events, in the order they were recorded.
        [[nodiscard]] const std::vector<usage_event>& events() const { return ledger_->events_; }

    private:
        friend class usage_ledger;
        explicit reader(const usage_ledger& l) : ledger_(&l), lock_(l.mutex_) {}
        const usage_ledger* ledger_;
        std::shared_lock<std::shared_mutex> lock_;
    };

    [[nodiscard]] reader read() const { return reader(*this); }

    [[nodiscard]] std::uint32_t used(std::string_view reference, activity_id a,
                                     std::uint32_t window_days, date now) const {
        return read().used(reference, a, window_days, now);
    }
    [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a,
                                               date now) const {
        return read().last_use(reference, a, now);
    }
    [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a) const {
        return read().last_use(reference, a);
    }
    [[nodiscard]] std::size_t size() const {
        std::shared_lock lock(mutex_);
        return events_.size();
    }
    /// A copy of all events in recording order.
    [[nodiscard]] std::vector<usage_event> events() const {
        std::shared_lock lock(mutex_);
        return events_;
    }

private:
    static std::vector<date>& days_of(std::vector<activity_days>& list, activity_id a) {
        for (auto& entry : list)
            if (entry.activity == a) return entry.days;
        return list.emplace_back(activity_days{a, {}}).days;
    }
    const std::vector<date>* find(std::string_view reference, activity_id a) const {
        const auto it = index_.find(reference);
        if (it == index_.end()) return nullptr;
        for (const auto& entry : it->second)
            if (entry.activity == a) return &entry.days;
        return nullptr;
    }

    mutable std::shared_mutex mutex_;
    std::vector<usage_event> events_;
    index_type index_;
};

}  // namespace refmatch
