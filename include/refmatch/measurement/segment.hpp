#pragma once
/// @file measurement/segment.hpp
/// The segment of a company for measurement: NAICS sector × M49 region × size band, the cells of
/// gap analysis with the size added.

#include <refmatch/size_band.hpp>
#include <refmatch/vocabulary.hpp>

#include <string>
#include <string_view>
#include <tuple>

namespace refmatch::measurement {

/// A segment. Empty codes mean unknown.
struct segment {
    std::string sector;  ///< NAICS sector code (depth-1 ancestor), "" when unknown
    std::string region;  ///< M49 region code (depth-1 ancestor), "" when unknown
    std::string size;    ///< size band label, "" when unknown
    bool operator==(const segment&) const = default;
    auto operator<=>(const segment&) const = default;
    /// "52 × 021 × 1000-4999", "?" for an unknown part.
    [[nodiscard]] std::string label() const {
        const auto part = [](const std::string& s) { return s.empty() ? std::string("?") : s; };
        return part(sector) + " × " + part(region) + " × " + part(size);
    }
};

/// The segment of codes as written (industry at any level, country or region).
/// @throws validation_error for an unknown code (naming `subject`).
[[nodiscard]] inline segment segment_of(const vocabulary& v, const std::string& subject,
                                        std::string_view industry, std::string_view country,
                                        size_band size) {
    const auto codes = v.resolve(subject, industry, country, {}, size);
    segment s;
    if (codes.industry != taxonomy::npos && v.industries.depth(codes.industry) >= 1)
        s.sector = v.industries.code(v.industries.ancestor_at_depth(codes.industry, 1));
    if (codes.geography != taxonomy::npos && v.geography.depth(codes.geography) >= 1)
        s.region = v.geography.code(v.geography.ancestor_at_depth(codes.geography, 1));
    if (size) s.size = v.sizes.label(*size);
    return s;
}

}  // namespace refmatch::measurement
