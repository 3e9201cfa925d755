// refmatch utilisation --program DIR [--now DATE] [--activity A] [--active] [--csv]: every
// reference × consented activity with its quota on a day (the rows `stats` counts).

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/utilisation.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct utilisation_command_options {
    std::string program;
    std::string now;
    std::string activity;
    bool active_only = false;
    bool csv = false;
};

int run_utilisation(const utilisation_command_options& o) {
    const auto p = open_program(o.program);
    const date now = program_now(*p, o.now);
    utilisation_options options;
    if (!o.activity.empty()) options.activity = p->vocab->activities.at(o.activity);
    options.active_only = o.active_only;
    // On a database its live holds count as uses, as in `stats` and in matches.
    const auto holds = open_holds(o.program, now);
    options.holds = holds.get();
    const auto rows = utilisation(*p, now, options);
    const auto& activities = p->vocab->activities;
    const auto text = [](const auto& v) { return v ? std::to_string(*v) : std::string(); };
    const auto day = [](const std::optional<date>& d) { return d ? format_date(*d) : ""; };
    // A cooldown end in the past is history, not a constraint: shown only while it runs.
    const auto cooldown = [](const quota_state& q) {
        return q.cooling_down ? format_date(*q.cooldown_end) : std::string();
    };
    if (o.csv) {
        std::cout << "reference_id,name,status,activity,used,max_uses,window_days,cooldown_days,"
                     "last_use,cooldown_end,headroom,never_used,eligible\n";
        for (const auto& r : rows)
            std::cout << csv_field(r.reference_id) << ',' << csv_field(r.reference_name) << ','
                      << to_string(r.status) << ',' << activities.name(r.quota.activity) << ','
                      << r.quota.used << ',' << text(r.quota.max_uses) << ',' << r.quota.window_days
                      << ',' << r.quota.cooldown_days << ',' << day(r.quota.last_use) << ','
                      << cooldown(r.quota) << ',' << text(r.headroom) << ','
                      << (r.never_used ? "true" : "false") << ','
                      << (r.available() ? "true" : "false") << '\n';
        return 0;
    }
    std::cout << "Utilisation on " << format_date(now) << ": " << rows.size()
              << " reference x activity rows\n\n";
    std::cout << pad_to("reference", 11) << pad_to("name", 26) << pad_to("status", 10)
              << pad_to("activity", 19) << pad_to("used", 7) << pad_to("window", 8)
              << pad_to("last use", 12) << pad_to("cooldown to", 13) << pad_to("headroom", 10)
              << "note\n";
    for (const auto& r : rows) {
        const auto& q = r.quota;
        std::string note = r.never_used ? "never used" : "";
        if (!r.available()) {
            const std::string why = r.status != reference_status::active
                                        ? std::string(to_string(r.status))
                                        : q.reason();
            note += (note.empty() ? "" : ", ") + why;
        }
        std::cout << pad_to(r.reference_id, 11) << pad_to(cut_to(r.reference_name, 24), 26)
                  << pad_to(std::string(to_string(r.status)), 10)
                  << pad_to(activities.name(q.activity), 19)
                  << pad_to(std::to_string(q.used) + "/" +
                                (q.max_uses ? std::to_string(*q.max_uses) : std::string("-")),
                            7)
                  << pad_to(std::to_string(q.window_days) + "d", 8)
                  << pad_to(q.last_use ? format_date(*q.last_use) : "-", 12)
                  << pad_to(q.cooling_down ? format_date(*q.cooldown_end) : "-", 13)
                  << pad_to(r.headroom ? std::to_string(*r.headroom) : "no limit", 10) << note
                  << '\n';
    }
    return 0;
}

}  // namespace

void add_utilisation(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<utilisation_command_options>();
    auto* sub = app.add_subcommand(
        "utilisation",
        "Every reference x consented activity on a day: used, limit, last use, cooldown end, "
        "headroom, never used (the rows stats counts).");
    sub->add_option("--program,-p", opts->program, program_help)->required();
    sub->add_option("--now", opts->now,
                    "Day the quotas are evaluated on, YYYY-MM-DD (default: the latest usage date "
                    "in the program)");
    sub->add_option("--activity,-a", opts->activity, "Only this activity");
    sub->add_flag("--active", opts->active_only, "Only active references");
    sub->add_flag("--csv", opts->csv, "Print CSV instead of a table");
    commands.push_back({sub, [opts] { return run_utilisation(*opts); }});
}

}  // namespace refmatch::cli
