#pragma once
/// @file explanation.hpp
/// "Why not this reference?": what `engine::explain` returns for one prospect and one reference:
/// its score as a match computes it, its rank among the eligible references, and every reason it
/// is not among the top k (docs/engine.md, "Why not this reference?").

#include <refmatch/match.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// One reason a reference is not returned, in the order of scoring.md's eligibility rules.
enum class not_returned_cause : std::uint8_t {
    inactive,          ///< rule 1: its status is not active
    not_in_snapshot,   ///< active in the program, but added or activated after the engine's
                       ///< snapshot (`engine::refresh`)
    no_consent,        ///< rule 2
    at_limit,          ///< rule 3
    cooling_down,      ///< rule 4
    excluded,          ///< rule 5: the prospect's or the options' exclusions
    industry_filter,   ///< rule 6: `same_sector`
    geography_filter,  ///< rule 6: `same_geography`
    product_filter,    ///< rule 6: `cover_all_products`
    below_min_score,   ///< rule 6: `min_score`
    predicate,         ///< rule 6: the options' predicate returned false
    below_kth,         ///< its score does not reach the k-th result's (or k is 0)
};

/// "inactive", "not in snapshot", "no consent", "at limit", "in cooldown", "excluded",
/// "industry filter", "geography filter", "product filter", "below min score", "predicate",
/// "below k-th".
[[nodiscard]] constexpr std::string_view to_string(not_returned_cause c) noexcept {
    constexpr std::string_view names[] = {"inactive",        "not in snapshot",  "no consent",
                                          "at limit",        "in cooldown",      "excluded",
                                          "industry filter", "geography filter", "product filter",
                                          "below min score", "predicate",        "below k-th"};
    return names[static_cast<std::size_t>(c)];
}

/// A cause with its readable text ("used 2 of 2 case_study in 365 days, until 2025-09-01").
struct not_returned_reason {
    not_returned_cause cause;
    std::string text;
    bool operator==(const not_returned_reason&) const = default;
};

/// How one reference stands for one prospect, k and options.
struct reference_explanation {
    std::string reference_id;
    std::string reference_name;
    std::string prospect_id;
    std::size_t k = 0;
    /// Its score as a match computes it (components, base, fatigue, final, quota, reason text),
    /// whether or not it is eligible; for a reference at its limit the fatigue is the full φ.
    match_result score;
    /// Passes every eligibility rule (1–6 of scoring.md, the predicate included).
    bool eligible = false;
    /// Among the eligible references, ranked as a match ranks them (1 = best); when eligible.
    std::optional<std::size_t> rank;
    /// In the top k (`rank <= k`): then `reasons` is empty.
    bool returned = false;
    /// The k-th result, when k results come back.
    std::optional<std::string> kth_reference_id;
    std::optional<double> kth_score;
    /// Every reason it is not returned, in rule order (empty when returned).
    std::vector<not_returned_reason> reasons;

    /// "returned at rank 3 of 10" or the reasons' texts joined by "; ".
    [[nodiscard]] std::string summary() const {
        if (returned)
            return "returned at rank " + std::to_string(*rank) + " of " + std::to_string(k);
        std::string out;
        for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r.text;
        return out;
    }
};

}  // namespace refmatch
