#pragma once
/// @file measurement/report.hpp
/// The program report: one self-contained HTML file (inline SVG charts, no script or image from
/// the network) with influence, balance of use, recruitment and the materials library, for
/// people who fund the program (compiled in refmatch::io; `refmatch report`, Python
/// `refmatch.write_report`).

#include <refmatch/content/content_item.hpp>
#include <refmatch/measurement/balance.hpp>
#include <refmatch/measurement/influence.hpp>
#include <refmatch/measurement/recruitment.hpp>
#include <refmatch/program.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace refmatch::measurement {

/// How fast requests for references were served, by whatever grouping the requests workflow
/// keeps (activity, region). The usage ledger records no requests: the workflow hands these in,
/// and the report shows them when there are any.
struct service_level {
    std::string label;
    std::size_t requests = 0;
    std::size_t met = 0;  ///< served by the needed-by day
    double median_days = 0.0;
};

/// What the report covers.
struct report_options {
    std::string title = "Reference program report";
    /// The report's day: balance, quotas and advocacy are as of it; influence covers the deals
    /// closed in the `influence_days` up to it.
    date now;
    std::uint32_t influence_days = 365;
    influence_options influence;  ///< its `from`/`to` are set from `now` and `influence_days`
    balance_options balance;      ///< its `now` is set from `now`
    recruit_options recruit;      ///< its `now`s are set from `now`
    std::vector<service_level> service_levels;
    std::vector<reference_declines> declines;
};

/// The figures a report shows, computed by the measurement functions.
struct report_figures {
    influence_report influence;
    balance_report balance;
    recruit_report recruit;
    nps_summary nps;
    std::size_t content_items = 0, usable_content = 0;
    std::size_t content_gaps = 0;  ///< prospects without usable material above the threshold
};

/// Computes the figures of the report. `outcomes` must outlive the result.
/// @throws validation_error as the measurement functions.
[[nodiscard]] report_figures compute_report(const program& p,
                                            std::span<const opportunity_outcome> outcomes,
                                            std::span<const content::content_item> items,
                                            const report_options& options);

/// The HTML of the report. Every chart is an `<svg>` with an id `chart-...` (`chart-lorenz`,
/// `chart-segments`, `chart-win-rates`, `chart-shortlist`, and `chart-service-levels` when
/// service levels are given); a small inline script marks `<body data-charts="N">` once it
/// found them, so a headless browser can tell the page rendered.
[[nodiscard]] std::string render_report(const program& p, const report_figures& figures,
                                        const report_options& options);

/// Computes and writes the report to `path` atomically (temporary file + rename).
void write_report(const std::filesystem::path& path, const program& p,
                  std::span<const opportunity_outcome> outcomes,
                  std::span<const content::content_item> items, const report_options& options);

}  // namespace refmatch::measurement
