// refmatch export --program DIR --mapping salesforce|hubspot|FILE [--matches FILE.csv]
// [--gaps FILE.csv] [match flags]: results as CSV files the CRM imports (Data Loader, HubSpot
// import): the CRM's ids, ISO dates, the mapping's column names.

#include "commands.hpp"
#include "match_common.hpp"

#include <refmatch/crm/export.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/io.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct export_command_options {
    match_flags flags;
    std::string mapping = "salesforce";
    std::string matches, gaps;
    double threshold = 0.5;
    std::size_t threads = 0;
};

int run_export(const export_command_options& opts) {
    if (opts.matches.empty() && opts.gaps.empty())
        throw validation_error("command line", "--matches/--gaps", "at least one output file",
                               "neither");
    const auto mapping = crm::load_mapping(opts.mapping);
    const auto prog = load_program(opts.flags.program);
    const auto options = to_match_options(*prog, opts.flags);
    engine e(*prog);
    const auto prospects = prog->prospects.all();
    batch_options batch;
    batch.threads = opts.threads;
    if (!opts.matches.empty()) {
        const auto results = e.match_batch(prospects, opts.flags.k, options, batch);
        write_file_atomically(opts.matches,
                              crm::format_match_export(mapping, prospects, results, *options.now));
        std::size_t rows = 0;
        for (const auto& r : results) rows += r.size();
        std::cerr << "wrote " << opts.matches << ": " << rows << " (opportunity, reference) rows\n";
    }
    if (!opts.gaps.empty()) {
        gap_options g;
        g.match = options;
        g.threshold = opts.threshold;
        const auto report = analyse_gaps(e, prospects, g, batch);
        write_file_atomically(opts.gaps, crm::format_gap_export(mapping, report, *options.now));
        std::cerr << "wrote " << opts.gaps << ": " << report.prospects.size() << " opportunities, "
                  << report.uncovered << " without a reference\n";
    }
    return 0;
}

}  // namespace

void add_export(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<export_command_options>();
    auto* sub = app.add_subcommand(
        "export", "Match results and gaps as CSV for the CRM's import (Data Loader, HubSpot).");
    add_match_flags(*sub, opts->flags);
    sub->add_option("--mapping,-m", opts->mapping,
                    "Preset (salesforce, hubspot) or mapping file naming the CRM's columns")
        ->capture_default_str();
    sub->add_option("--matches", opts->matches,
                    "Match results file (one row per opportunity "
                    "and reference)");
    sub->add_option("--gaps", opts->gaps, "Gaps file (one row per opportunity)");
    sub->add_option("--threshold", opts->threshold, "Gaps: a reference counts from this score")
        ->capture_default_str();
    sub->add_option("--threads", opts->threads, "Worker threads (0: all cores)")
        ->capture_default_str();
    commands.push_back({sub, [opts] { return run_export(*opts); }});
}

}  // namespace refmatch::cli
