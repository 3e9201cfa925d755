// refmatch gaps --program DIR [--activity A] [--threshold 0.5] [--min-references 1]
// [--by-product]: where the pipeline has no good reference, by NAICS sector × M49 region
// (× product), sorted by pipeline value at risk.

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/gaps.hpp>
#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct gaps_command_options {
    match_flags flags;
    gap_options gaps;  // threshold, min_references, by_product (the library's defaults)
    std::size_t top = 20;
    bool json = false;
    std::size_t threads = 0;
};

std::string money(double v) {
    std::string digits = std::to_string(static_cast<long long>(v + 0.5));
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

int run_gaps(const gaps_command_options& opts) {
    const auto prog = open_program(opts.flags.program);
    gap_options g = opts.gaps;
    g.match = to_match_options(*prog, opts.flags);
    engine e(*prog);
    const auto pipeline = prog->prospects.all();
    batch_options batch;
    batch.threads = opts.threads;
    const auto report = analyse_gaps(e, pipeline, g, batch);

    if (opts.json) {
        nlohmann::ordered_json cells = nlohmann::ordered_json::array();
        for (const auto& c : report.cells)
            cells.push_back({{"sector", c.sector},
                             {"sector_title", c.sector_title},
                             {"region", c.region},
                             {"region_title", c.region_title},
                             {"product", c.product},
                             {"prospects", c.prospects},
                             {"uncovered", c.uncovered},
                             {"pipeline_value", c.pipeline_value},
                             {"value_at_risk", c.value_at_risk},
                             {"best_score",
                              {{"min", c.best_scores.min},
                               {"p25", c.best_scores.p25},
                               {"median", c.best_scores.median},
                               {"p75", c.best_scores.p75},
                               {"max", c.best_scores.max}}},
                             {"best_score_histogram", c.best_score_histogram},
                             {"uncovered_prospects", c.uncovered_prospects}});
        nlohmann::ordered_json out{{"prospects", report.prospects.size()},
                                   {"uncovered", report.uncovered},
                                   {"pipeline_value", report.pipeline_value},
                                   {"value_at_risk", report.value_at_risk},
                                   {"threshold", g.threshold},
                                   {"min_references", g.min_references},
                                   {"cells", std::move(cells)}};
        std::cout << out.dump(2) << '\n';
        return 0;
    }

    const double share =
        report.pipeline_value > 0 ? 100.0 * report.value_at_risk / report.pipeline_value : 0.0;
    std::cout << "Gaps: " << report.uncovered << " of " << report.prospects.size()
              << " prospects have fewer than " << g.min_references
              << (g.min_references == 1 ? " reference" : " references") << " scoring at least "
              << fixed(g.threshold, 2) << "\n";
    std::cout << "Pipeline value at risk: " << money(report.value_at_risk) << " of "
              << money(report.pipeline_value) << " (" << fixed(share, 1) << "%)\n\n";
    std::cout << pad_to("sector", 34) << pad_to("region", 20);
    if (g.by_product) std::cout << pad_to("product", 16);
    std::cout << pad_to("prospects", 10) << pad_to("uncovered", 10) << pad_to("at risk", 14)
              << "best score p25/median/p75\n";
    std::size_t shown = 0;
    for (const auto& c : report.cells) {
        if (shown++ == opts.top) {
            std::cout << "... " << report.cells.size() - opts.top << " more cells (--top)\n";
            break;
        }
        std::cout << pad_to(cut_to((c.sector.empty() ? "-" : c.sector) + "  " + c.sector_title, 32),
                            34)
                  << pad_to(cut_to(c.region_title, 18), 20);
        if (g.by_product) std::cout << pad_to(cut_to(c.product.empty() ? "-" : c.product, 14), 16);
        std::cout << pad_to(std::to_string(c.prospects), 10)
                  << pad_to(std::to_string(c.uncovered), 10) << pad_to(money(c.value_at_risk), 14)
                  << fixed(c.best_scores.p25, 2) << " / " << fixed(c.best_scores.median, 2) << " / "
                  << fixed(c.best_scores.p75, 2) << '\n';
    }
    return 0;
}

}  // namespace

void add_gaps(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<gaps_command_options>();
    auto* sub = app.add_subcommand(
        "gaps",
        "Where the pipeline lacks good references: prospects without enough eligible references "
        "above a threshold, by NAICS sector x M49 region (x product), by value at risk.");
    add_match_flags(*sub, opts->flags, false);
    sub->add_option("--threshold", opts->gaps.threshold, "Final score a reference must reach")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    sub->add_option("--min-references,-m", opts->gaps.min_references,
                    "References a prospect needs above the threshold")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_flag("--by-product", opts->gaps.by_product, "Split cells by product of interest");
    sub->add_option("--top", opts->top, "Cells shown")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    sub->add_option("--threads", opts->threads, "Worker threads (0: all cores)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", opts->json, "Print JSON instead of a table");
    commands.push_back({sub, [opts] { return run_gaps(*opts); }});
}

}  // namespace refmatch::cli
