// refmatch assign --program DIR|FILE [--count N] [--weight none|deal-value] [-m 8]
//                 [--per-reference USES/DAYS] [--apply [--by WHO]] [--out FILE.csv|.json]:
// references for every prospect of a program directory (each wanting its own activity), or for
// every open request of a program database, at once: the assignment that maximises the total
// score under quotas, beside the greedy baseline. On a database, --apply attaches the proposal
// to the requests through the request workflow, holding the slots while the owners decide.

#include "commands.hpp"
#include "match_common.hpp"

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/assignment/open_requests.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct assign_command_options {
    match_flags flags;
    std::vector<std::string> ids;
    std::uint32_t count = 1;
    std::string weight = "none";
    std::size_t candidates = 8;
    std::string per_reference;  // "USES/DAYS"
    std::string out;
    std::string format;
    std::size_t threads = 0;
    bool apply = false;
    std::string by;
};

quota_limit parse_per_reference(const std::string& text) {
    const auto slash = text.find('/');
    const auto number = [&](const std::string& part) -> std::uint32_t {
        if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
            part.size() > 6)
            throw validation_error("command line", "per-reference", "USES/DAYS, e.g. 2/90", text);
        return static_cast<std::uint32_t>(std::stoul(part));
    };
    if (slash == std::string::npos)
        throw validation_error("command line", "per-reference", "USES/DAYS, e.g. 2/90", text);
    quota_limit q;
    q.max_uses = number(text.substr(0, slash));
    q.window_days = number(text.substr(slash + 1));
    return q;
}

std::string totals_line(const char* name, const assignment_totals& t, std::size_t demands) {
    std::ostringstream s;
    s << pad_to(name, 10) << pad_to(fixed(t.value, 3), 12) << pad_to(fixed(t.score, 3), 10)
      << pad_to(fixed(t.mean_score(), 3), 8)
      << pad_to(std::to_string(t.filled) + "/" + std::to_string(demands), 11)
      << pad_to(fixed(t.value_covered, 0), 14) << pad_to(std::to_string(t.max_load), 6)
      << fixed(t.load_gini, 3);
    return s.str();
}

int run_assign(const assign_command_options& opts) {
    std::error_code ec;
    const bool on_database = !std::filesystem::is_directory(opts.flags.program, ec);
    if (opts.apply && !on_database)
        throw validation_error("command line", "apply",
                               "a program database (--apply holds its requests' references)",
                               opts.flags.program);
    // On a database the open requests say whom, for what and how many.
    if (on_database && !opts.ids.empty())
        throw validation_error("command line", "prospects",
                               "no --prospects on a database (its open requests are the demands)",
                               opts.flags.program);
    if (on_database && opts.count != 1)
        throw validation_error("command line", "count",
                               "no --count on a database (each request says how many it wants)",
                               opts.flags.program);
    // --apply writes: the one connection the command reads through is then a writable one.
    if (opts.apply)
        opened_databases()[opts.flags.program] = std::make_shared<database>(opts.flags.program);
    const auto prog = open_program(opts.flags.program);
    match_flags flags = opts.flags;
    // Requests live in real time: on a database the moment defaults to the clock's, as for
    // `request`, and --now may give a time of day (YYYY-MM-DDTHH:MM[:SS][Z]) for the trail.
    std::chrono::seconds time_of_day{0};
    if (on_database && flags.now.size() > 10) {
        int h = 0, m = 0, sec = 0;
        if (flags.now[10] != 'T' ||
            std::sscanf(flags.now.c_str() + 11, "%d:%d:%d", &h, &m, &sec) < 2 || h < 0 || h > 23 ||
            m < 0 || m > 59 || sec < 0 || sec > 59)
            throw validation_error("command line", "now", "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z",
                                   flags.now);
        time_of_day = std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(sec);
        flags.now.resize(10);
    }
    if (on_database && flags.now.empty()) flags.now = format_date(today());
    assignment_options options;
    options.match = to_match_options(*prog, flags);
    options.candidates = opts.candidates;
    options.weighted = opts.weight == "deal-value";
    options.threads = opts.threads;
    if (!opts.per_reference.empty())
        options.per_reference = parse_per_reference(opts.per_reference);

    request_demands from_requests;
    std::optional<request_book> book;
    std::vector<assignment_demand> demands;
    request_actor actor;
    if (on_database) {
        // Who and when the workflow records: --by (default $USER), and --now's day or the clock.
        const auto user = command_line_user();
        actor.who = opts.by.empty() ? user.who : opts.by;
        actor.now = opts.flags.now.empty()
                        ? user.at
                        : std::chrono::sys_seconds{*options.match.now} + time_of_day;
        actor.comment = "assign";
        request_policy policy;
        policy.holds_from = hold_start::approval_asked;  // slots promised while owners decide
        book.emplace(read_database(opts.flags.program), policy);
        from_requests = open_request_demands(*book, *prog, actor.now);
        demands = from_requests.demands;
    } else {
        std::vector<prospect> prospects;
        if (opts.ids.empty()) {
            prospects = prog->prospects.all();
        } else {
            for (const auto& id : opts.ids) prospects.push_back(prog->prospects.at(id));
        }
        for (auto& p : prospects) {
            const double weight = p.deal_value;
            demands.push_back({std::move(p), std::nullopt, opts.count, weight});
        }
    }
    engine e(prog);
    const auto result = assign(e, demands, options);
    std::vector<applied_request> applied;
    if (opts.apply) applied = apply_assignment(*book, e, from_requests, result, actor);

    // A demand's name in the output: its request id on a database, else its prospect id.
    const auto name_of = [&](std::size_t i) {
        return on_database ? std::to_string(from_requests.request_ids[i]) : demands[i].request.id;
    };

    std::string format = opts.format;
    const auto ends_with = [&](const char* tail) {
        const std::string t = tail;
        return opts.out.size() >= t.size() && opts.out.substr(opts.out.size() - t.size()) == t;
    };
    if (format.empty()) format = ends_with(".json") ? "json" : ends_with(".csv") ? "csv" : "table";
    std::ostringstream text;
    const auto& activities = prog->vocab->activities;
    const auto activity_name = [&](std::size_t i) {
        const auto a = demands[i].activity ? demands[i].activity : demands[i].request.activity;
        return a ? activities.name(*a) : std::string();
    };
    const auto applied_state_of = [&](std::size_t i) {
        return applied.empty() ? std::string() : std::string(to_string(applied[i].state));
    };
    if (format == "json") {
        nlohmann::ordered_json rows = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < demands.size(); ++i) {
            const auto& d = result.demands[i];
            nlohmann::ordered_json refs = nlohmann::ordered_json::array();
            for (const auto& a : d.references)
                refs.push_back({{"reference_id", a.match.reference_id},
                                {"use", a.use},
                                {"marginal_score", a.marginal_score},
                                {"value", a.value},
                                {"final", a.match.final_score},
                                {"base", a.match.base_score},
                                {"reason", a.match.reason}});
            nlohmann::ordered_json row;
            if (on_database) row["request_id"] = from_requests.request_ids[i];
            row["prospect_id"] = demands[i].request.id;
            row["activity"] = activity_name(i);
            row["references"] = std::move(refs);
            if (d.reason != unfilled_reason::none) {
                row["unfilled"] = std::string(to_string(d.reason));
                if (!d.contested_reference.empty()) {
                    row["contested_reference"] = d.contested_reference;
                    nlohmann::ordered_json by = nlohmann::ordered_json::array();
                    for (const auto t : d.taken_by) by.push_back(name_of(t));
                    row["taken_by"] = std::move(by);
                }
            }
            if (!applied.empty()) {
                row["applied"] = applied_state_of(i);
                if (!applied[i].message.empty()) row["refused"] = applied[i].message;
            }
            rows.push_back(std::move(row));
        }
        const auto totals = [](const assignment_totals& t) {
            return nlohmann::ordered_json{{"value", t.value},
                                          {"score", t.score},
                                          {"mean_score", t.mean_score()},
                                          {"filled", t.filled},
                                          {"partial", t.partial},
                                          {"assigned", t.assigned},
                                          {"value_covered", t.value_covered},
                                          {"max_load", t.max_load},
                                          {"load_gini", t.load_gini}};
        };
        nlohmann::ordered_json out{{"demands", std::move(rows)},
                                   {"optimal", totals(result.totals)},
                                   {"greedy", totals(result.greedy_totals)},
                                   {"rounds", result.stats.rounds},
                                   {"priced_in", result.stats.priced_in}};
        text << out.dump(2) << '\n';
    } else if (format == "csv") {
        // On a database, each row leads with its request and (after --apply) what became of it.
        if (on_database) text << "request_id," << (applied.empty() ? "" : "applied,");
        text << "prospect_id,activity,reference_id,use,marginal_score,value,final,unfilled,"
                "contested_reference,reason\n";
        for (std::size_t i = 0; i < demands.size(); ++i) {
            const auto& d = result.demands[i];
            std::string head;
            if (on_database)
                head = name_of(i) + ',' + (applied.empty() ? "" : applied_state_of(i) + ',');
            head += csv_field(demands[i].request.id) + ',' + activity_name(i) + ',';
            for (const auto& a : d.references)
                text << head << csv_field(a.match.reference_id) << ',' << a.use << ','
                     << fixed(a.marginal_score, 6) << ',' << fixed(a.value, 6) << ','
                     << fixed(a.match.final_score, 6) << ",,," << csv_field(a.match.reason) << '\n';
            if (d.reason != unfilled_reason::none)
                text << head << ",,,,," << to_string(d.reason) << ','
                     << csv_field(d.contested_reference) << ",\n";
        }
    } else {
        if (on_database) text << pad_to("request", 9);
        text << pad_to("prospect", 12) << pad_to("activity", 15) << pad_to("reference", 12)
             << pad_to("use", 5) << pad_to("score", 8) << "why\n";
        for (std::size_t i = 0; i < demands.size(); ++i) {
            const auto& d = result.demands[i];
            const std::string who = (on_database ? pad_to(name_of(i), 9) : std::string()) +
                                    pad_to(cut_to(demands[i].request.id, 11), 12) +
                                    pad_to(cut_to(activity_name(i), 14), 15);
            for (const auto& a : d.references)
                text << who << pad_to(a.match.reference_id, 12) << pad_to(std::to_string(a.use), 5)
                     << pad_to(fixed(a.marginal_score), 8) << a.match.reason << '\n';
            if (d.reason != unfilled_reason::none) {
                text << who << pad_to("-", 12) << pad_to("", 5) << pad_to("", 8)
                     << "unfilled: " << to_string(d.reason);
                if (!d.contested_reference.empty()) {
                    text << " (" << d.contested_reference;
                    if (!d.taken_by.empty())
                        text << " went to " << (on_database ? "request " : "")
                             << name_of(d.taken_by.front());
                    text << ')';
                }
                text << '\n';
            }
        }
        text << '\n'
             << pad_to("", 10) << pad_to(options.weighted ? "value" : "objective", 12)
             << pad_to("score", 10) << pad_to("mean", 8) << pad_to("filled", 11)
             << pad_to("deal value", 14) << pad_to("max", 6) << "gini\n"
             << totals_line("optimal", result.totals, demands.size()) << '\n'
             << totals_line("greedy", result.greedy_totals, demands.size()) << '\n';
        if (!applied.empty()) text << '\n';
        for (const auto& a : applied) {
            if (a.state == applied_state::unfilled) continue;
            text << "request " << a.request_id << ": " << to_string(a.state);
            if (a.message.empty()) {
                for (std::size_t r = 0; r < a.references.size(); ++r)
                    text << (r ? ", " : " ") << a.references[r];
            } else {
                text << " (" << a.message << ')';
            }
            text << '\n';
        }
    }
    if (opts.out.empty()) {
        std::cout << text.str();
    } else {
        write_file_atomically(opts.out, text.str());
        std::cerr << "wrote " << opts.out << ": " << demands.size() << " demands, "
                  << result.totals.assigned << " references assigned\n";
    }
    if (!applied.empty()) {
        std::size_t done = 0, refused = 0;
        for (const auto& a : applied) {
            if (a.state == applied_state::lost_slot || a.state == applied_state::changed)
                ++refused;
            else if (a.state != applied_state::unfilled)
                ++done;
        }
        std::cerr << "applied: " << done << (done == 1 ? " request" : " requests")
                  << " given references, " << refused << " refused by the workflow\n";
    }
    return 0;
}

}  // namespace

void add_assign(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<assign_command_options>();
    auto* sub = app.add_subcommand(
        "assign",
        "References for every prospect of a program directory, or every open request of a program "
        "database, at once: the assignment with the highest total score under quotas, beside the "
        "greedy baseline; --apply attaches it to the requests.");
    add_match_flags(*sub, opts->flags, false);
    sub->add_option("--prospects", opts->ids, "Prospect ids (default: all)")->delimiter(',');
    sub->add_option("--count,-n", opts->count, "References wanted per prospect")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--weight", opts->weight,
                    "Objective: scores weighted by deal value, or plain scores")
        ->check(CLI::IsMember({"deal-value", "none"}))
        ->capture_default_str();
    sub->add_option("--candidates,-m", opts->candidates,
                    "Engine candidates per prospect to start from (speed only, not the answer)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--per-reference", opts->per_reference,
                    "Cap per reference across activities, USES/DAYS (e.g. 2/90)");
    sub->add_option("--out,-o", opts->out, "Output file (.csv or .json); default: a table");
    sub->add_option("--format", opts->format, "table, csv or json (default: from --out)")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    sub->add_option("--threads", opts->threads, "Threads for the candidates (0: all cores)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    sub->add_flag("--apply", opts->apply,
                  "On a database: pick the assigned references for each request through the "
                  "request workflow, holding their slots while the owners decide (a request "
                  "whose slot was taken meanwhile is reported, not forced)");
    sub->add_option("--by", opts->by, "Who --apply records the picks as (default: $USER)");
    commands.push_back({sub, [opts] { return run_assign(*opts); }});
}

}  // namespace refmatch::cli
