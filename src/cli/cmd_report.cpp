// refmatch report --program PATH --out report.html: one self-contained HTML file with the
// program's influence, balance of use, recruiting shortlist and materials library.

#include "commands.hpp"
#include "match_common.hpp"
#include "measure_source.hpp"

#include <refmatch/measurement/report.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

// On a database, the request workflow's service figures fill the report's service levels (by
// activity) and the customers' decline rates (docs/requests.md); a directory has no requests.
void add_request_figures(const std::string& path, const program& p,
                         measurement::report_options& o) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return;
    const auto figures = request_book(read_database(path)).service(std::chrono::sys_seconds{o.now});
    for (const auto& t : figures.on_time) {
        measurement::service_level level;
        level.label = std::string(p.vocab->activities.name(t.activity));
        level.requests = t.settled;
        level.met = t.on_time;
        for (const auto& f : figures.time_to_fulfil)
            if (f.activity == t.activity) level.median_days = f.median_hours / 24.0;
        o.service_levels.push_back(std::move(level));
    }
    for (const auto& d : figures.by_reference)
        o.declines.push_back({d.key, d.customer_asked, d.customer_declined});
}

struct report_command {
    std::string program, out, now, activity = "sales_call", rule = "even";
    measurement::report_options options;
};

int run_report(report_command c) {
    const auto m = open_measured(c.program);
    c.options.now = program_now(*m.prog, c.now);
    c.options.influence.rule = *measurement::parse_attribution(c.rule);
    c.options.recruit.gaps.match.activity = m.prog->vocab->activities.at(c.activity);
    add_request_figures(c.program, *m.prog, c.options);
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
