#pragma once
/// @file match.hpp
/// What a match is asked for (`match_options`) and what it returns (`match_result` with its
/// explanation). The score itself is defined in docs/scoring.md; docs/engine.md explains how
/// to read an explanation.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
#include <refmatch/live_holds.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/reference.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// The weights of the four score components. The base score divides by their sum, so only their
/// ratios matter. Defaults are scoring.md's: 0.35 / 0.35 / 0.20 / 0.10.
struct score_weights {
    double industry = 0.35;
    double product = 0.35;
    double geography = 0.20;
    double size = 0.10;

    /// `industry + product + geography + size`, added in that order.
    [[nodiscard]] double sum() const noexcept { return industry + product + geography + size; }

    /// @throws validation_error when a weight is negative or not finite, or when the sum is not
    ///         positive and finite. The message names the weight, e.g.
    ///         `match options: field 'weights.product': expected a finite weight >= 0, got '-1'`.
    void validate() const {
        const auto check = [](const char* field, double w) {
            if (!(w >= 0.0) || !std::isfinite(w))
                throw validation_error("match options", field, "a finite weight >= 0",
                                       format_number(w));
        };
        check("weights.industry", industry);
        check("weights.product", product);
        check("weights.geography", geography);
        check("weights.size", size);
        // Only the ratios count; a sum that overflows (four weights of 1e308) would turn every
        // score into 0.
        if (!(sum() > 0.0) || !std::isfinite(sum()))
            throw validation_error("match options", "weights",
                                   "weights with a positive, finite sum", format_number(sum()));
    }

    bool operator==(const score_weights&) const = default;

    /// Shortest decimal text of a double that reads back the same ("0.35", "-1", "nan").
    [[nodiscard]] static std::string format_number(double v) {
        if (std::isnan(v)) return "nan";
        if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
        char buffer[32];
        for (int precision = 1; precision <= 17; ++precision) {
            std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
            if (std::strtod(buffer, nullptr) == v) break;
        }
        return buffer;
    }
};

/// The level at which a geography hard filter compares the prospect and the reference.
/// Regions are the depth-1 nodes of the geography taxonomy (M49: Africa, Americas, Asia, Europe,
/// Oceania), sub-regions the depth-2 nodes (Western Europe); `country` asks for the very same
/// geography code.
enum class geography_level : std::uint8_t { none, region, sub_region, country };

/// The level named `name`, as the command line and Python spell it: "none", "region",
/// "sub-region" (or "sub_region") and "country"; nullopt for any other name.
[[nodiscard]] inline std::optional<geography_level> parse_geography_level(std::string_view name) {
    if (name == "none") return geography_level::none;
    if (name == "region") return geography_level::region;
    if (name == "sub-region" || name == "sub_region") return geography_level::sub_region;
    if (name == "country") return geography_level::country;
    return std::nullopt;
}

/// Everything a match can be asked, besides the prospect and k.
///
/// The activity in force is `activity` when set, else the prospect's own `activity` (unless
/// `use_prospect_activity` is false). With an activity, eligibility rules 2–4 of scoring.md
/// (consent, quota, cooldown) apply and fatigue lowers the score; `now` is then required.
struct match_options {
    /// The activity to match for; overrides the prospect's.
    std::optional<activity_id> activity;
    /// When `activity` is not set, use `prospect::activity`. Set to false to match a prospect
    /// that names an activity without quota rules.
    bool use_prospect_activity = true;
    /// The day quotas and cooldowns are evaluated on. Required when an activity is in force;
    /// never read from the clock.
    std::optional<date> now;

    score_weights weights;
    /// φ in `final = base · (1 − φ·u)`, in [0, 1].
    double fatigue_weight = 0.5;

    // Hard filters (scoring.md, eligibility rule 6). A reference that fails one is not eligible.
    /// Both geography codes known and equal at this level.
    geography_level same_geography = geography_level::none;
    /// Both industry codes known and in the same NAICS sector (depth-1 ancestor).
    bool same_sector = false;
    /// The reference uses every product the prospect is interested in (vacuous when the prospect
    /// names none).
    bool cover_all_products = false;
    /// Only references with `final ≥ min_score`.
    std::optional<double> min_score;

    /// Reference ids never to return, in addition to the prospect's own exclusions.
    /// Ids that are not in the program are ignored.
    std::vector<std::string> exclusions;
    /// Any further condition; a reference is eligible only if it returns true. Called for
    /// candidates only (not for every reference), possibly from several threads at once in a
    /// batch, while the engine holds a read lock on the usage ledger: it must not record usage.
    std::function<bool(const reference_customer&)> predicate;

    /// Live holds (of reference requests): with an activity in force, the holds of that activity
    /// on a reference count like uses in its quota state, eligibility and fatigue (scoring.md,
    /// "Holds"). Null or empty: no holds, and the scan does not look for any.
    std::shared_ptr<const hold_index> holds;

    /// Build the human-readable `reason` of each result (the numbers are always filled in).
    bool explain = true;

    /// @throws validation_error for invalid weights, a fatigue weight outside [0, 1] or a
    ///         min_score that is not a number.
    void validate() const {
        weights.validate();
        if (!(fatigue_weight >= 0.0 && fatigue_weight <= 1.0))
            throw validation_error("match options", "fatigue_weight", "a value in [0, 1]",
                                   score_weights::format_number(fatigue_weight));
        if (min_score && std::isnan(*min_score))
            throw validation_error("match options", "min_score", "a number", "nan");
    }
};

/// The four component values of scoring.md, each in [0, 1].
struct score_components {
    double industry = 0.0;
    double product = 0.0;
    double geography = 0.0;
    double size = 0.0;
    bool operator==(const score_components&) const = default;
};

/// One reference proposed for a prospect, with its explanation.
struct match_result {
    std::string reference_id;
    /// `base · fatigue_factor`: what results are ranked by (highest first, ties by id).
    double final_score = 0.0;
    /// The weighted mean of the components.
    double base_score = 0.0;
    /// `1 − φ·u` (1 without an activity).
    double fatigue_factor = 1.0;
    score_components components;
    score_weights weights;
    /// Products of interest the reference uses, out of how many the prospect named.
    std::uint32_t products_matched = 0;
    std::uint32_t products_requested = 0;
    std::optional<quota_state> quota;
    /// "same NAICS industry group 5112 · covers 2 of 3 products · same sub-region Western
    /// Europe" (empty when `match_options::explain` is false).
    std::string reason;
};

}  // namespace refmatch
