#pragma once
/// @file activity.hpp
/// Reference activity types: the twelve standard ones of a reference program plus custom ones a
/// program registers.

#include <refmatch/detail/text.hpp>
#include <refmatch/error.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch {

/// Identifies an activity type within an `activity_catalog`. The twelve standard activities have
/// fixed ids 0–11 (constants in namespace `activity`); custom ones follow in registration order.
struct activity_id {
    std::uint16_t value = 0;
    constexpr auto operator<=>(const activity_id&) const = default;
};

/// The standard activity types, in the order of their ids.
namespace activity {
inline constexpr activity_id name_drop{0};
inline constexpr activity_id logo_use{1};
inline constexpr activity_id quote{2};
inline constexpr activity_id rfp_text{3};
inline constexpr activity_id success_story{4};
inline constexpr activity_id case_study{5};
inline constexpr activity_id roi_case_study{6};
inline constexpr activity_id sales_call{7};
inline constexpr activity_id pr{8};
inline constexpr activity_id analyst_interview{9};
inline constexpr activity_id video_testimonial{10};
inline constexpr activity_id site_visit{11};
/// Number of standard activity types.
inline constexpr std::uint16_t standard_count = 12;
/// Names of the standard activity types, as written in files.
inline constexpr std::array<std::string_view, standard_count> standard_names = {
    "name_drop",         "logo_use",       "quote",      "rfp_text", "success_story",
    "case_study",        "roi_case_study", "sales_call", "pr",       "analyst_interview",
    "video_testimonial", "site_visit"};
}  // namespace activity

/// The activity types a program knows: the standard twelve, then custom ones.
/// Names are lower-case identifiers (`[a-z0-9_]+`); lookup ignores ASCII case.
///
/// **Thread safety:** const members may be called concurrently; `add` needs exclusive access.
class activity_catalog {
public:
    activity_catalog() {
        for (auto name : activity::standard_names) add(std::string(name));
    }

    /// Registers a custom activity type and returns its id; an existing name returns its id.
    /// @throws validation_error for a name that is not `[a-z0-9_]+`.
    activity_id add(std::string name) {
        name = detail::ascii_lower(name);
        if (auto existing = find(name)) return *existing;
        if (name.empty() ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            throw validation_error("activity name '" + name +
                                   "': expected lower-case letters, digits and '_'");
        const activity_id id{static_cast<std::uint16_t>(names_.size())};
        by_name_.emplace(name, id);
        names_.push_back(std::move(name));
        return id;
    }

    [[nodiscard]] std::optional<activity_id> find(std::string_view name) const {
        // Names are stored lower-case, as files usually write them: try them as given first
        // (a few comparisons, no copy; a loader asks this for every usage event).
        for (std::size_t i = 0; i < names_.size() && i < 32; ++i) {
            const std::string& n = names_[i];
            if (n.size() == name.size() && !n.empty() && n[0] == name[0] && n == name)
                return activity_id{static_cast<std::uint16_t>(i)};
        }
        const auto it = by_name_.find(detail::ascii_lower(name));
        if (it == by_name_.end()) return std::nullopt;
        return it->second;
    }
    /// @throws not_found_error for an unknown name.
    [[nodiscard]] activity_id at(std::string_view name) const {
        if (auto id = find(name)) return *id;
        throw not_found_error("no activity type '" + std::string(name) + "'");
    }
    [[nodiscard]] const std::string& name(activity_id id) const { return names_.at(id.value); }
    [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
    [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }

private:
    std::vector<std::string> names_;
    std::unordered_map<std::string, activity_id> by_name_;
};

}  // namespace refmatch
