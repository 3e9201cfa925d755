#pragma once
/// @file content/content_item.hpp
/// The materials library: case studies, success stories, ROI studies, quotes, videos, webinars
/// and the like, each featuring a reference, tagged with the profile it speaks to (industry,
/// products, region, size), moving from draft to approved to published, with a publication and
/// an expiry date and a count of uses.

#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
#include <refmatch/size_band.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::content {

/// What kind of material an item is.
enum class content_type : std::uint8_t {
    case_study,
    success_story,
    roi_study,
    quote,
    video,
    webinar,
    press_release,
    review,
};
inline constexpr std::array<std::string_view, 8> content_type_names = {
    "case_study", "success_story", "roi_study",     "quote",
    "video",      "webinar",       "press_release", "review"};

/// Where an item stands in its review.
enum class content_status : std::uint8_t { draft, approved, published };
inline constexpr std::array<std::string_view, 3> content_status_names = {"draft", "approved",
                                                                         "published"};

[[nodiscard]] inline std::string_view to_string(content_type t) {
    return content_type_names[static_cast<std::size_t>(t)];
}
[[nodiscard]] inline std::string_view to_string(content_status s) {
    return content_status_names[static_cast<std::size_t>(s)];
}
[[nodiscard]] inline std::optional<content_type> parse_content_type(std::string_view s) {
    for (std::size_t i = 0; i < content_type_names.size(); ++i)
        if (content_type_names[i] == s) return static_cast<content_type>(i);
    return std::nullopt;
}
[[nodiscard]] inline std::optional<content_status> parse_content_status(std::string_view s) {
    for (std::size_t i = 0; i < content_status_names.size(); ++i)
        if (content_status_names[i] == s) return static_cast<content_status>(i);
    return std::nullopt;
}

/// One item of the library. Tags are codes as text, as a reference's are.
struct content_item {
    std::string id;
    std::string title;
    content_type type = content_type::case_study;
    std::string reference_id;  ///< the reference it features; empty for none
    std::string industry;      ///< NAICS 2022 code at any level; empty if untagged
    std::vector<std::string> products;
    std::string country;  ///< country or region; empty if untagged
    size_band size;
    content_status status = content_status::draft;
    std::optional<date> published;  ///< publication day
    std::optional<date> expires;    ///< first day it may no longer be used
    std::uint64_t uses = 0;         ///< times it was sent to a prospect
    bool operator==(const content_item&) const = default;

    /// Usable on `now`: approved or published, its publication day (if any) reached, not
    /// expired (`now < expires`).
    [[nodiscard]] bool usable_on(date now) const noexcept {
        if (status == content_status::draft) return false;
        if (published && *published > now) return false;
        return !(expires && now >= *expires);
    }
};

}  // namespace refmatch::content
