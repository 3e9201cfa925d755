#pragma once
/// @file gaps.hpp
/// Gap analysis: where the pipeline has no good reference. For a set of prospects and an
/// activity, which prospects have fewer than `min_references` eligible references scoring at
/// least `threshold`, aggregated by NAICS sector × M49 region (× product), with the pipeline value
/// at risk. This is where a program manager recruits next.

#include <refmatch/engine.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace refmatch {

/// What counts as a gap, and how to aggregate.
struct gap_options {
    /// Activity, `now`, weights and hard filters of the matches (its `min_score` is ignored:
    /// `threshold` plays that role).
    match_options match;
    /// A reference counts for a prospect when its final score is at least this.
    double threshold = 0.5;
    /// A prospect is covered when at least this many eligible references reach the threshold.
    std::size_t min_references = 1;
    /// Split cells by product of interest too (a prospect counts in the cell of each of its
    /// products, with its whole deal value; prospects with no product go to product "").
    bool by_product = false;
    /// Bins of the best-score histogram over [0, 1].
    std::size_t histogram_bins = 10;
};

/// Five-number summary of best scores (linear interpolation between order statistics).
struct score_quantiles {
    double min = 0.0, p25 = 0.0, median = 0.0, p75 = 0.0, max = 0.0;
};

/// How one prospect is covered.
struct prospect_coverage {
    std::string prospect_id;
    /// Final score of its best eligible reference; nullopt when none is eligible.
    std::optional<double> best_score;
    /// Eligible references reaching the threshold (counted up to `min_references`).
    std::size_t qualifying = 0;
    bool covered = false;
    double deal_value = 0.0;
    std::string sector, region;  ///< cell keys ("" when unknown)
};

/// One cell: a NAICS sector × M49 region (× product).
struct gap_cell {
    std::string sector;        ///< sector code, "" when the industry is unknown
    std::string sector_title;  ///< "unknown" when unknown
    std::string region;        ///< region code, "" when the geography is unknown
    std::string region_title;
    std::string product;  ///< product id with `by_product`, else ""
    std::size_t prospects = 0;
    std::size_t uncovered = 0;
    double pipeline_value = 0.0;  ///< deal value of all prospects of the cell
    double value_at_risk = 0.0;   ///< deal value of the uncovered ones
    score_quantiles best_scores;  ///< of every prospect in the cell (0 when none eligible)
    std::vector<std::size_t> best_score_histogram;
    std::vector<std::string> uncovered_prospects;  ///< ids, in input order
};

/// The whole analysis. `cells` is sorted by value at risk (highest first), then uncovered count,
/// then sector, region and product codes.
struct gap_report {
    std::vector<gap_cell> cells;
    std::vector<prospect_coverage> prospects;  ///< in input order
    std::size_t uncovered = 0;
    double pipeline_value = 0.0;
    double value_at_risk = 0.0;
};

namespace detail {
inline score_quantiles quantiles_of(std::vector<double> v) {
    score_quantiles q;
    if (v.empty()) return q;
    std::sort(v.begin(), v.end());
    const auto at = [&](double f) {
        const double pos = f * static_cast<double>(v.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(pos));
        const auto hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
    };
    q.min = v.front();
    q.p25 = at(0.25);
    q.median = at(0.5);
    q.p75 = at(0.75);
    q.max = v.back();
    return q;
}
}  // namespace detail

/// Runs the matches of the pipeline (a batch, see `engine::match_batch`) and aggregates the gaps.
/// @throws validation_error for invalid options or prospects (threshold not in [0, 1],
///         `min_references` 0, no histogram bins); match_cancelled when cancelled.
///
/// **Complexity:** one batch match with k = min_references, then O(p log p) aggregation.
/// **Thread safety:** as `engine::match_batch`.
[[nodiscard]] inline gap_report analyse_gaps(const engine& e, std::span<const prospect> pipeline,
                                             const gap_options& options,
                                             const batch_options& batch = {}) {
    // Final scores lie in [0, 1]: a threshold outside can only be a mistake (2 for 0.2).
    if (!(options.threshold >= 0.0 && options.threshold <= 1.0))
        throw validation_error("gap options", "threshold", "a number in [0, 1]",
                               score_weights::format_number(options.threshold));
    if (options.min_references == 0)
        throw validation_error("gap options", "min_references", "at least 1", "0");
    if (options.histogram_bins == 0)
        throw validation_error("gap options", "histogram_bins", "at least 1", "0");
    match_options mo = options.match;
    mo.min_score.reset();
    mo.explain = false;
    const auto results = e.match_batch(pipeline, options.min_references, mo, batch);
    const vocabulary& v = *e.source().vocab;

    gap_report report;
    using key = std::tuple<std::string, std::string, std::string>;
    std::map<key, gap_cell> cells;
    std::map<key, std::vector<double>> bests;
    for (std::size_t i = 0; i < pipeline.size(); ++i) {
        const prospect& p = pipeline[i];
        prospect_coverage c;
        c.prospect_id = p.id;
        c.deal_value = p.deal_value;
        if (!results[i].empty()) c.best_score = results[i].front().final_score;
        for (const auto& r : results[i])
            if (r.final_score >= options.threshold) ++c.qualifying;
        c.covered = c.qualifying >= options.min_references;
        const auto codes =
            v.resolve("prospect '" + p.id + "'", p.industry, p.country, p.products, p.size);
        std::string sector_title = "unknown", region_title = "unknown";
        if (codes.industry != taxonomy::npos && v.industries.depth(codes.industry) >= 1) {
            const auto s = v.industries.ancestor_at_depth(codes.industry, 1);
            c.sector = v.industries.code(s);
            sector_title = v.industries.title(s);
        }
        if (codes.geography != taxonomy::npos && v.geography.depth(codes.geography) >= 1) {
            const auto g = v.geography.ancestor_at_depth(codes.geography, 1);
            c.region = v.geography.code(g);
            region_title = v.geography.title(g);
        }
        std::vector<std::string> products;
        if (options.by_product)
            for (const auto idx : codes.products) products.push_back(v.products[idx].id);
        if (products.empty()) products.emplace_back();
        for (const auto& prod : products) {
            const key k{c.sector, c.region, prod};
            auto& cell = cells[k];
            if (cell.prospects == 0) {
                cell.sector = c.sector;
                cell.sector_title = sector_title;
                cell.region = c.region;
                cell.region_title = region_title;
                cell.product = prod;
                cell.best_score_histogram.assign(options.histogram_bins, 0);
            }
            ++cell.prospects;
            cell.pipeline_value += p.deal_value;
            const double best = c.best_score.value_or(0.0);
            bests[k].push_back(best);
            const auto bins = options.histogram_bins;
            const auto bin =
                std::min(bins - 1,
                         static_cast<std::size_t>(std::max(0.0, best) * static_cast<double>(bins)));
            ++cell.best_score_histogram[bin];
            if (!c.covered) {
                ++cell.uncovered;
                cell.value_at_risk += p.deal_value;
                cell.uncovered_prospects.push_back(p.id);
            }
        }
        report.pipeline_value += p.deal_value;
        if (!c.covered) {
            ++report.uncovered;
            report.value_at_risk += p.deal_value;
        }
        report.prospects.push_back(std::move(c));
    }
    for (auto& [k, cell] : cells) {
        cell.best_scores = detail::quantiles_of(std::move(bests[k]));
        report.cells.push_back(std::move(cell));
    }
    std::stable_sort(report.cells.begin(), report.cells.end(),
                     [](const gap_cell& a, const gap_cell& b) {
                         if (a.value_at_risk != b.value_at_risk)
                             return a.value_at_risk > b.value_at_risk;
                         return a.uncovered > b.uncovered;
                     });
    return report;
}

}  // namespace refmatch
