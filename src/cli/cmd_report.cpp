// refmatch report --program PATH --out report.html: one self-contained HTML file with the
// program's influence, balance of use, recruiting shortlist and materials library.

#include "commands.hpp"
#include "match_common.hpp"
#include "measure_source.hpp"

#include <refmatch/measurement/report.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct report_command {
    std::string program, out, now, activity = "sales_call", rule = "even";
    measurement::report_options options;
};

int run_report(report_command c) {
    const auto m = open_measured(c.program);
    c.options.now = program_now(*m.prog, c.now);
    c.options.influence.rule = *measurement::parse_attribution(c.rule);
    c.options.recruit.gaps.match.activity = m.prog->vocab->activities.at(c.activity);
    // On a database, the request book's service levels (by activity) and customers' declines.
    auto figures = request_figures_at(c.program, *m.prog, c.options.now);
    c.options.service_levels = std::move(figures.service_levels);
    c.options.declines = std::move(figures.declines);
    measurement::write_report(c.out, *m.prog, m.outcomes, m.content, c.options);
    std::cout << "wrote " << c.out << " (as of " << format_date(c.options.now) << ", "
              << m.outcomes.size() << " outcomes, " << m.content.size() << " content items, "
              << "service levels of " << c.options.service_levels.size()
              << (c.options.service_levels.size() == 1 ? " activity)\n" : " activities)\n");
    return 0;
}

}  // namespace

void add_report(CLI::App& app, std::vector<command>& commands) {
    auto o = std::make_shared<report_command>();
    auto* sub = app.add_subcommand(
        "report",
        "Write one self-contained HTML report: influenced revenue, win rates, balance of use "
        "(Lorenz curve), recruiting shortlist, materials library.");
    sub->add_option("--program,-p", o->program, program_help)->required();
    sub->add_option("--out,-o", o->out, "HTML file to write")->required();
    sub->add_option("--now", o->now, "Day of the report (default: the latest usage date)");
    sub->add_option("--rule", o->rule, "Attribution: full, even, first, last, time_decay")
        ->check(CLI::IsMember({"full", "even", "first", "last", "time_decay"}))
        ->capture_default_str();
    sub->add_option("--activity", o->activity, "Activity the recruiting gaps are for")
        ->capture_default_str();
    sub->add_option("--threshold", o->options.recruit.gaps.threshold,
                    "Final score a reference must reach")
        ->capture_default_str();
    sub->add_option("--shortlist", o->options.recruit.shortlist, "Candidates to pick")
        ->capture_default_str();
    commands.push_back({sub, [o] { return run_report(*o); }});
}

}  // namespace refmatch::cli
