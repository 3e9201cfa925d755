// refmatch simulate --program PATH [--requests FILE.csv | --year N |
//                   --recorded [--since DAY] [--until DAY]] [--policy SPEC]... [--seed S]
//                   [--decline BASE/FATIGUE] [--out FILE.csv|.json]:
// replays a period's requests (a file, a generated year, or the requests recorded in a program
// database) day by day under each policy and prints them side by side.

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/assignment/open_requests.hpp>
#include <refmatch/assignment/simulation.hpp>
#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct simulate_command_options {
    std::string program;
    std::string requests;
    std::size_t year = 10000;
    std::uint64_t year_seed = 7;
    std::string start;
    std::uint32_t days = 365;
    std::vector<std::string> policies;
    std::uint64_t seed = 1;
    std::string decline = "0.05/0.3";
    std::string write_requests;
    std::string out;
    std::string format;
    std::size_t threads = 0;
    bool recorded = false;
    std::string since;
    std::string until;
};

[[noreturn]] void bad(const std::string& field, const std::string& expected,
                      const std::string& found, const std::string& subject = "command line") {
    throw validation_error(subject, field, expected, found);
}

std::vector<std::string> split(const std::string& s, char by) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto end = s.find(by, start);
        out.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

double number(const std::string& field, const std::string& text,
              const std::string& subject = "command line") {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
        bad(field, "a number", text, subject);
    return v;
}

std::uint32_t whole(const std::string& field, const std::string& text, const std::string& subject) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        bad(field, "a whole number", text, subject);
    return v;
}

// NAME[:key=value,...], keys: method=optimal|greedy, holds=on|off, quota-scale=X,
// quota=ACTIVITY/USES/DAYS[/COOLDOWN] (USES "-" for no limit; repeatable), per-reference=
// USES/DAYS, fatigue=X, weights=I/P/G/S, weighted=yes|no, candidates=N.
simulation_policy parse_policy(const std::string& spec, const vocabulary& vocab) {
    simulation_policy p;
    const auto colon = spec.find(':');
    p.name = spec.substr(0, colon);
    if (colon == std::string::npos) return p;
    const std::string subject = "policy '" + p.name + "'";
    const auto fail = [&](const std::string& key, const std::string& expected,
                          const std::string& found) { bad(key, expected, found, subject); };
    for (const auto& item : split(spec.substr(colon + 1), ',')) {
        const auto eq = item.find('=');
        if (eq == std::string::npos) fail("option", "key=value", item);
        const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
        const auto choice = [&](const char* yes, const char* no) {
            if (value != yes && value != no) fail(key, std::string(yes) + " or " + no, value);
            return value == yes;
        };
        if (key == "method") {
            p.method = choice("greedy", "optimal") ? assignment_method::greedy
                                                   : assignment_method::optimal;
        } else if (key == "holds") {
            p.holds = choice("on", "off");
        } else if (key == "quota-scale") {
            p.quota_scale = number("quota-scale", value, subject);
        } else if (key == "quota") {
            const auto parts = split(value, '/');
            if (parts.size() != 3 && parts.size() != 4)
                fail("quota", "ACTIVITY/USES/DAYS[/COOLDOWN]", value);
            const auto act = vocab.activities.find(parts[0]);
            if (!act) fail("quota", "a registered activity type", parts[0]);
            quota_limit l;
            if (parts[1] != "-") l.max_uses = whole("quota", parts[1], subject);
            l.window_days = whole("quota", parts[2], subject);
            if (parts.size() == 4) l.cooldown_days = whole("quota", parts[3], subject);
            p.quota_overrides.emplace_back(*act, l);
        } else if (key == "per-reference") {
            const auto parts = split(value, '/');
            if (parts.size() != 2) fail("per-reference", "USES/DAYS", value);
            p.per_reference = quota_limit{whole("per-reference", parts[0], subject),
                                          whole("per-reference", parts[1], subject), 0};
        } else if (key == "fatigue") {
            p.fatigue_weight = number("fatigue", value, subject);
        } else if (key == "weights") {
            const auto parts = split(value, '/');
            if (parts.size() != 4) fail("weights", "four numbers I/P/G/S", value);
            p.weights = {number("weights", parts[0], subject), number("weights", parts[1], subject),
                         number("weights", parts[2], subject),
                         number("weights", parts[3], subject)};
        } else if (key == "weighted") {
            p.weighted = choice("yes", "no");
        } else if (key == "candidates") {
            p.candidates = whole("candidates", value, subject);
        } else {
            fail(key,
                 "one of method, holds, quota-scale, quota, per-reference, fatigue, weights, "
                 "weighted, candidates",
                 key);
        }
    }
    return p;
}

// One metric per row, one policy per column.
struct metric {
    const char* name;
    std::function<std::string(const replay_totals&)> text;
    std::function<double(const replay_totals&)> value;
};

std::vector<metric> metrics() {
    const auto count = [](auto member) {
        return [member](const replay_totals& t) { return static_cast<double>(t.*member); };
    };
    const auto share = [](auto f) {
        return [f](const replay_totals& t) { return fixed(100.0 * f(t), 1) + "%"; };
    };
    const auto plain = [](auto f, int digits) {
        return [f, digits](const replay_totals& t) { return fixed(f(t), digits); };
    };
    const auto filled = [](const replay_totals& t) { return t.filled_share(); };
    const auto mean = [](const replay_totals& t) { return t.mean_score(); };
    const auto covered = [](const replay_totals& t) {
        return t.value > 0 ? t.value_covered / t.value : 0.0;
    };
    const auto top5 = [](const replay_totals& t) { return t.top5_share; };
    const auto never = [](const replay_totals& t) {
        return t.references ? static_cast<double>(t.never_asked) / static_cast<double>(t.references)
                            : 0.0;
    };
    const auto declines = [](const replay_totals& t) { return t.decline_rate(); };
    const auto days = [](const replay_totals& t) { return t.mean_days_to_fill; };
    const auto whole_of = [](auto f) {
        return [f](const replay_totals& t) { return fixed(f(t), 0); };
    };
    return {
        {"requests", whole_of(count(&replay_totals::requests)), count(&replay_totals::requests)},
        {"filled on time", share(filled), filled},
        {"mean score", plain(mean, 3), mean},
        {"value covered", share(covered), covered},
        {"top 5% share of uses", share(top5), top5},
        {"never asked", whole_of(count(&replay_totals::never_asked)),
         count(&replay_totals::never_asked)},
        {"never asked share", share(never), never},
        {"asks", whole_of(count(&replay_totals::asks)), count(&replay_totals::asks)},
        {"declines", whole_of(count(&replay_totals::declines)), count(&replay_totals::declines)},
        {"decline rate", share(declines), declines},
        {"uses", whole_of(count(&replay_totals::uses)), count(&replay_totals::uses)},
        {"over-limit uses", whole_of(count(&replay_totals::over_limit_uses)),
         count(&replay_totals::over_limit_uses)},
        {"uses in cooldown", whole_of(count(&replay_totals::cooldown_uses)),
         count(&replay_totals::cooldown_uses)},
        {"days to fill", plain(days, 2), days},
    };
}

int run_simulate(const simulate_command_options& opts) {
    const auto prog = open_program(opts.program);
    const auto& vocab = *prog->vocab;
    std::vector<dated_request> requests;
    const auto day_flag = [](const char* field, const std::string& text) -> std::optional<date> {
        if (text.empty()) return std::nullopt;
        const auto d = parse_date(text);
        if (!d) bad(field, "a date YYYY-MM-DD", text);
        return d;
    };
    if (opts.recorded) {
        std::error_code ec;
        if (std::filesystem::is_directory(opts.program, ec))
            bad("recorded", "a program database (its requests are replayed)", opts.program);
        const request_book book(read_database(opts.program));
        requests = dated_requests(book, *prog, day_flag("since", opts.since),
                                  day_flag("until", opts.until));
    } else if (!opts.requests.empty()) {
        requests =
            parse_dated_requests(read_file(opts.requests),
                                 std::filesystem::path(opts.requests).filename().string(), vocab);
    } else {
        request_year_options y;
        y.seed = opts.year_seed;
        y.requests = opts.year;
        y.days = opts.days;
        y.start = prog->usage.last_day().value_or(sample_program_day) + std::chrono::days(1);
        if (!opts.start.empty()) {
            const auto d = parse_date(opts.start);
            if (!d) bad("start", "a date YYYY-MM-DD", opts.start);
            y.start = *d;
        }
        requests = generate_request_year(*prog, y);
    }
    if (!opts.write_requests.empty())
        write_file_atomically(opts.write_requests, format_dated_requests(requests, vocab));

    std::vector<simulation_policy> policies;
    for (const auto& spec : opts.policies) policies.push_back(parse_policy(spec, vocab));
    if (policies.empty()) {
        policies.push_back(parse_policy("optimal", vocab));
        policies.push_back(parse_policy("greedy:method=greedy", vocab));
    }
    simulation_options o;
    o.seed = opts.seed;
    o.threads = opts.threads;
    const auto decline = split(opts.decline, '/');
    if (decline.size() != 2) bad("decline", "BASE/FATIGUE, e.g. 0.05/0.3", opts.decline);
    o.decline_base = number("decline", decline[0]);
    o.decline_fatigue = number("decline", decline[1]);
    const auto result = simulate(*prog, requests, policies, o);

    std::string format = opts.format;
    const auto ends_with = [&](const std::string& tail) {
        return opts.out.size() >= tail.size() &&
               opts.out.compare(opts.out.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (format.empty()) format = ends_with(".json") ? "json" : ends_with(".csv") ? "csv" : "table";
    const auto table = metrics();
    std::ostringstream text;
    if (format == "json") {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& p : result.policies) {
            nlohmann::ordered_json row{{"policy", p.policy.name},
                                       {"method", std::string(to_string(p.policy.method))},
                                       {"holds", p.policy.holds}};
            for (const auto& m : table) row[m.name] = m.value(p.totals);
            out.push_back(std::move(row));
        }
        text << out.dump(2) << '\n';
    } else if (format == "csv") {
        text << "policy";
        for (const auto& m : table) text << ',' << m.name;
        text << '\n';
        for (const auto& p : result.policies) {
            text << p.policy.name;
            for (const auto& m : table) text << ',' << m.value(p.totals);
            text << '\n';
        }
    } else {
        text << requests.size() << " requests, "
             << (requests.empty()
                     ? std::string("no days")
                     : std::to_string(result.policies.empty() ? 0
                                                              : result.policies[0].days.size()) +
                           " days")
             << ", seed " << opts.seed << '\n';
        text << pad_to("", 22);
        for (const auto& p : result.policies) text << pad_to(cut_to(p.policy.name, 13), 14);
        text << '\n';
        for (const auto& m : table) {
            text << pad_to(m.name, 22);
            for (const auto& p : result.policies) text << pad_to(m.text(p.totals), 14);
            text << '\n';
        }
    }
    if (opts.out.empty()) {
        std::cout << text.str();
    } else {
        write_file_atomically(opts.out, text.str());
        std::cerr << "wrote " << opts.out << ": " << result.policies.size() << " policies, "
                  << requests.size() << " requests\n";
    }
    return 0;
}

}  // namespace

void add_simulate(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<simulate_command_options>();
    auto* sub = app.add_subcommand(
        "simulate",
        "Replay a period's requests day by day under policies (quotas, fatigue, weights, optimal "
        "or greedy, holds) and compare them side by side.");
    sub->add_option("--program,-p", opts->program, program_help)->required();
    auto* file = sub->add_option("--requests", opts->requests,
                                 "Requests CSV: id,day,prospect_id,activity,count,due,value "
                                 "(default: a generated year)");
    auto* recorded = sub->add_flag("--recorded", opts->recorded,
                                   "Replay the requests recorded in the program database (any "
                                   "status), opened between --since and --until")
                         ->excludes(file);
    sub->add_option("--since", opts->since, "With --recorded: first day requests were opened on")
        ->needs(recorded);
    sub->add_option("--until", opts->until, "With --recorded: last day requests were opened on")
        ->needs(recorded);
    sub->add_option("--year", opts->year, "Requests of the generated year")
        ->capture_default_str()
        ->excludes(file)
        ->excludes(recorded);
    sub->add_option("--year-seed", opts->year_seed, "Seed of the generated year")
        ->capture_default_str()
        ->excludes(file)
        ->excludes(recorded);
    sub->add_option("--start", opts->start,
                    "First day of the generated year (default: the day after the program's "
                    "last usage)")
        ->excludes(file)
        ->excludes(recorded);
    sub->add_option("--days", opts->days, "Days of the generated year")
        ->check(CLI::PositiveNumber)
        ->capture_default_str()
        ->excludes(file)
        ->excludes(recorded);
    sub->add_option("--policy", opts->policies,
                    "NAME[:key=value,...] with method=optimal|greedy, holds=on|off, "
                    "quota-scale=X, quota=ACTIVITY/USES/DAYS[/COOLDOWN], per-reference=USES/DAYS, "
                    "fatigue=X, weights=I/P/G/S, weighted=yes|no, candidates=N; repeat for "
                    "several (default: optimal and greedy)");
    sub->add_option("--seed", opts->seed, "Seed of the simulated customers' declines")
        ->capture_default_str();
    sub->add_option("--decline", opts->decline,
                    "Decline probability BASE/FATIGUE: base + fatigue x utilisation")
        ->capture_default_str();
    sub->add_option("--write-requests", opts->write_requests,
                    "Also write the replayed requests as CSV");
    sub->add_option("--out,-o", opts->out, "Output file (.csv or .json); default: a table");
    sub->add_option("--format", opts->format, "table, csv or json (default: from --out)")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    sub->add_option("--threads", opts->threads, "Threads for each day's matches (0: all cores)")
        ->capture_default_str();
    commands.push_back({sub, [opts] { return run_simulate(*opts); }});
}

}  // namespace refmatch::cli
