#pragma once
/// @file reference.hpp
/// A reference customer: a customer who agreed to vouch for the vendor.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/size_band.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// Where a reference stands in the program. Only active references are matched.
enum class reference_status : std::uint8_t { candidate, active, paused, retired };

inline constexpr std::array<std::string_view, 4> reference_status_names = {"candidate", "active",
                                                                           "paused", "retired"};

[[nodiscard]] inline std::string_view to_string(reference_status s) {
    return reference_status_names[static_cast<std::size_t>(s)];
}
[[nodiscard]] inline std::optional<reference_status> parse_reference_status(std::string_view s) {
    // Case ignored, as every code and enumeration of refmatch ("Active" is active).
    for (std::size_t i = 0; i < reference_status_names.size(); ++i) {
        const std::string_view name = reference_status_names[i];
        if (name.size() == s.size() &&
            std::equal(name.begin(), name.end(), s.begin(), [](char a, char b) {
                return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
            }))
            return static_cast<reference_status>(i);
    }
    return std::nullopt;
}

/// How engaged the customer is. NPS answer 0–10 (9–10 promoter, 7–8 passive, 0–6 detractor),
/// CSAT 0–100 (%), account health 0–100. Each may be unknown.
struct advocacy_signals {
    std::optional<std::uint8_t> nps;
    std::optional<double> csat;
    std::optional<double> health;
    bool operator==(const advocacy_signals&) const = default;
};

/// Consent to one activity type, with the reference's own limit if it set one (stricter or looser
/// than the program default).
struct activity_consent {
    activity_id activity;
    std::optional<quota_limit> limit;
    bool operator==(const activity_consent&) const = default;
};

/// A reference customer. Codes are kept as text, as given; a store resolves them against its
/// vocabulary (and rejects unknown ones) when the reference is added.
struct reference_customer {
    std::string id;                     ///< unique, the tie-break order of matches
    std::string name;                   ///< company name (UTF-8)
    std::string industry;               ///< NAICS 2022 code at any level; empty if unknown
    std::vector<std::string> products;  ///< product ids in use
    std::string country;                ///< ISO 3166-1 (or any geography code); empty if unknown
    size_band size;                     ///< company size band
    reference_status status = reference_status::candidate;
    std::vector<activity_consent> consents;  ///< activities consented to, with personal limits
    advocacy_signals signals;
    std::string owner;  ///< who owns the relationship (CSM, AE, marketing)
    std::optional<date> last_contact;

    /// The consent entry for an activity, or nullptr.
    [[nodiscard]] const activity_consent* consent(activity_id a) const {
        const auto it = std::find_if(consents.begin(), consents.end(),
                                     [a](const activity_consent& c) { return c.activity == a; });
        return it == consents.end() ? nullptr : &*it;
    }
    [[nodiscard]] bool consents_to(activity_id a) const { return consent(a) != nullptr; }

    /// The limit in force for an activity: the reference's own if set, else the program's.
    [[nodiscard]] quota_limit effective_limit(activity_id a, const quota_policy& policy) const {
        const auto* c = consent(a);
        return c && c->limit ? *c->limit : policy.limit(a);
    }

    bool operator==(const reference_customer&) const = default;
};

}  // namespace refmatch
