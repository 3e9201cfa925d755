#pragma once
/// @file quota.hpp
/// Usage limits per activity type: at most `max_uses` uses in a rolling window of `window_days`
/// days ending at `now`, and at least `cooldown_days` between two uses (scoring.md).

#include <refmatch/activity.hpp>
#include <refmatch/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace refmatch {

/// One limit. `max_uses` nullopt means no limit on the count; `cooldown_days` 0 means no cooldown.
/// The window is the half-open day range `(now − window_days, now]`.
struct quota_limit {
    std::optional<std::uint32_t> max_uses;
    std::uint32_t window_days = 365;
    std::uint32_t cooldown_days = 0;

    /// @throws validation_error for a zero-day window or `max_uses` of 0 (consent is the way to
    ///         say "never").
    void validate() const {
        if (window_days == 0) throw validation_error("quota: window_days must be at least 1");
        if (max_uses && *max_uses == 0)
            throw validation_error(
                "quota: max_uses must be at least 1 (leave it empty for no limit)");
    }
    bool operator==(const quota_limit&) const = default;
};

/// The program's default limit for every activity type; references may override it per activity
/// (see `reference_customer::consents`).
///
/// Defaults for the standard activities (uses / window days / cooldown days), chosen so that the
/// cheap activities are unlimited and the costly ones are rare:
///
/// | activity          | max uses | window | cooldown |
/// |-------------------|----------|--------|----------|
/// | name_drop         | no limit | 365    | 0        |
/// | logo_use          | no limit | 365    | 0        |
/// | quote             | 12       | 365    | 0        |
/// | rfp_text          | 12       | 365    | 0        |
/// | success_story     | 4        | 365    | 0        |
/// | case_study        | 2        | 365    | 90       |
/// | roi_case_study    | 1        | 365    | 180      |
/// | sales_call        | 6        | 90     | 7        |
/// | pr                | 4        | 365    | 30       |
/// | analyst_interview | 3        | 365    | 60       |
/// | video_testimonial | 1        | 365    | 180      |
/// | site_visit        | 1        | 365    | 180      |
///
/// Custom activities default to no limit until `set` gives them one.
///
/// **Thread safety:** const members may be called concurrently; `set` needs exclusive access.
class quota_policy {
public:
    quota_policy() {
        const quota_limit none{};
        limits_ = {none,         none,         {12, 365, 0},  {12, 365, 0},
                   {4, 365, 0},  {2, 365, 90}, {1, 365, 180}, {6, 90, 7},
                   {4, 365, 30}, {3, 365, 60}, {1, 365, 180}, {1, 365, 180}};
    }

    /// The program default for an activity.
    [[nodiscard]] quota_limit limit(activity_id a) const {
        return a.value < limits_.size() ? limits_[a.value] : quota_limit{};
    }
    /// Replaces the program default for an activity.
    void set(activity_id a, quota_limit limit) {
        limit.validate();
        if (a.value >= limits_.size()) limits_.resize(a.value + 1u);
        limits_[a.value] = limit;
    }
    /// Number of activities with an explicit entry (standard ones and any `set` beyond).
    [[nodiscard]] std::size_t size() const noexcept { return limits_.size(); }

    bool operator==(const quota_policy&) const = default;

private:
    std::vector<quota_limit> limits_;
};

}  // namespace refmatch
