#pragma once
/// @file measurement/generator.hpp
/// Outcomes and a materials library for a generated program (the bundled sample, tests,
/// benchmarks), drawn from the program itself so that they fit it (compiled in refmatch::io).

#include <refmatch/content/content_item.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/program.hpp>

#include <cstdint>
#include <vector>

namespace refmatch::measurement {

/// What to draw.
struct outcome_generator_options {
    std::uint64_t seed = 42;
    /// The day the program is as of: deals closing later stay open.
    date now = date{std::chrono::year{2025} / 6 / 30};
    /// Win probability of a deal with reference activity, and of one without (the sample's
    /// association is put there by construction: it is synthetic).
    double win_rate_with = 0.42, win_rate_without = 0.30;
    /// Deals without reference activity, per deal with.
    double unreferenced_per_referenced = 1.0;
    /// Items of the materials library per active reference.
    double content_per_reference = 0.06;
};

/// One outcome per opportunity that the usage names (its segment is that of the first
/// reference used for it: references are chosen to look like the prospect), created 10–120 days
/// before its first use and closing 0–60 days after its last, open when that is after `now`;
/// plus deals without reference activity, closed within the year before `now`. Amounts grow with
/// size as the generator's deal values do.
///
/// **Complexity:** O(u log u) for u usage events. **Thread safety:** as the ledger's readers.
[[nodiscard]] std::vector<opportunity_outcome> generate_outcomes(
    const program& p, const outcome_generator_options& options = {});

/// A materials library featuring active references: the type from what the reference consents
/// to, the tags its profile, mostly published (some approved, some drafts, a few expired or not
/// yet published), with use counts.
[[nodiscard]] std::vector<content::content_item> generate_content(
    const program& p, const outcome_generator_options& options = {});

}  // namespace refmatch::measurement
