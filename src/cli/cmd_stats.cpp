// refmatch stats --program DIR|FILE [--now DATE]: a readable summary of a program. On a database,
// the live holds of its reference requests count like uses in the quota headroom
// (docs/requests.md), as they do in its matches.

#include "commands.hpp"
#include "program_source.hpp"

#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/utilisation.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace refmatch::cli {
namespace {

struct stats_options {
    std::string program;
    std::string now;
    std::size_t top = 20;
};

std::string percent(std::size_t part, std::size_t whole) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%5.1f%%",
                  whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
    return buffer;
}

std::string grouped(double value) {
    std::string digits = std::to_string(static_cast<long long>(value + 0.5));
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

std::string pad(std::string s, std::size_t width) {
    // Pads by code points, not bytes, so that UTF-8 titles line up.
    std::size_t points = 0;
    for (const unsigned char c : s)
        if ((c & 0xC0u) != 0x80u) ++points;
    if (points < width) s.append(width - points, ' ');
    return s;
}

// Labels longer than `width` code points are cut (on a character boundary) and end in "...".
std::string fit(std::string s, std::size_t width) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0u) == 0x80u) continue;
        if (++points == width - 2) {
            std::size_t end = i + 1;
            while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0u) == 0x80u) ++end;
            std::size_t rest = 0;
            for (std::size_t k = end; k < s.size(); ++k)
                if ((static_cast<unsigned char>(s[k]) & 0xC0u) != 0x80u) ++rest;
            if (rest > 2) return s.substr(0, end) + "...";
            return s;
        }
    }
    return s;
}

std::string right(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string limit_text(const quota_limit& q) {
    std::string out =
        q.max_uses ? std::to_string(*q.max_uses) + " per " + std::to_string(q.window_days) + "d"
                   : std::string("no limit");
    if (q.cooldown_days) out += ", cooldown " + std::to_string(q.cooldown_days) + "d";
    return out;
}

// Rows of (label, count) sorted by count, largest first, then label.
void print_counts(const std::string& title, std::vector<std::pair<std::string, std::size_t>> rows,
                  std::size_t total, std::size_t top) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::cout << '\n' << title << '\n';
    std::size_t shown = 0, rest = 0;
    for (const auto& [label, n] : rows) {
        if (shown++ < top) {
            std::cout << "  " << pad(fit(label, 58), 58) << right(std::to_string(n), 8) << "  "
                      << percent(n, total) << '\n';
        } else {
            rest += n;
        }
    }
    if (rest)
        std::cout << "  " << pad("(other)", 58) << right(std::to_string(rest), 8) << "  "
                  << percent(rest, total) << '\n';
}

int run_stats(const stats_options& o) {
    const auto p = open_program(o.program);
    const auto& v = *p->vocab;
    const std::optional<date> first = p->usage.read().first_day(), last = default_day(*p, today());
    const std::size_t events = p->usage.size();
    date now;
    std::string now_source;
    if (!o.now.empty()) {
        const auto d = parse_date(o.now);
        if (!d) throw parse_error("", 0, "--now", "a date YYYY-MM-DD", o.now);
        now = *d;
        now_source = "given";
    } else if (last) {
        now = *last;
        now_source = "latest usage";
    } else {
        now = generator_options{}.now;
        now_source = "no usage recorded: fixed default";
    }

    // Live holds count as uses in the quota figures, as they do in matches.
    const auto holds = open_holds(o.program, now);

    std::map<reference_status, std::size_t> by_status;
    // Counted by taxonomy node (npos: none), labelled once after: a label per reference would
    // make and compare a million strings.
    std::map<taxonomy::node_id, std::size_t> sector_count, region_count;
    const std::size_t activity_count = v.activities.size();
    std::vector<std::size_t> consenting(activity_count), consenting_active(activity_count),
        at_quota(activity_count), cooling(activity_count), headroom(activity_count);
    std::size_t total = 0;
    double pipeline = 0;
    std::size_t prospects = 0;
    // The records are counted on a second thread while this one counts the utilisation rows
    // (the stores and the ledger take any number of readers).
    std::exception_ptr counting_error;
    std::thread counting([&] {
        try {
            p->references.for_each([&](const stored_reference& s) {
                ++total;
                ++by_status[s.status()];
                ++sector_count[s.codes.industry == taxonomy::npos
                                   ? taxonomy::npos
                                   : v.industries.ancestor_at_depth(s.codes.industry, 1)];
                ++region_count[s.codes.geography == taxonomy::npos
                                   ? taxonomy::npos
                                   : v.geography.ancestor_at_depth(s.codes.geography, 1)];
            });
            p->prospects.for_each([&](const stored_prospect& s) {
                ++prospects;
                pipeline += s.record().deal_value;
            });
        } catch (...) {
            counting_error = std::current_exception();
        }
    });
    // Consent and quota counts from the utilisation rows (`refmatch utilisation` lists them),
    // with the live holds: the headroom agrees with the matches.
    utilisation_options uo;
    uo.holds = holds.get();
    // Visited, not collected: a million references make several million rows.
    try {
        for_each_utilisation(*p, now, uo, [&](const utilisation_row& row) {
            const auto a = row.quota.activity.value;
            ++consenting[a];
            if (row.status != reference_status::active) return;
            ++consenting_active[a];
            if (row.quota.at_limit) ++at_quota[a];
            if (row.quota.cooling_down) ++cooling[a];
            if (!row.quota.at_limit && !row.quota.cooling_down) ++headroom[a];
        });
    } catch (...) {
        counting.join();
        throw;
    }
    counting.join();
    if (counting_error) std::rethrow_exception(counting_error);
    const auto labelled = [](const taxonomy& t, const auto& counts, const char* none) {
        std::map<std::string, std::size_t> out;
        for (const auto& [node, n] : counts)
            out[node == taxonomy::npos ? none : t.code(node) + "  " + t.title(node)] += n;
        return out;
    };
    const auto by_sector = labelled(v.industries, sector_count, "(no industry)");
    const auto by_region = labelled(v.geography, region_count, "(no country)");

    std::cout << "Program " << o.program << '\n';
    std::cout << "  references     " << total << '\n';
    std::cout << "  prospects      " << prospects << " (pipeline " << grouped(pipeline) << ")\n";
    std::cout << "  products       " << v.products.size() << '\n';
    std::cout << "  usage events   " << events;
    if (first) std::cout << " (" << format_date(*first) << " to " << format_date(*last) << ")";
    std::cout << '\n';
    std::cout << "  as of          " << format_date(now) << " (" << now_source << ")\n";
    if (holds)
        std::cout << "  live holds     " << holds->size()
                  << " (of reference requests, counted like "
                  << "uses)\n";

    std::vector<std::pair<std::string, std::size_t>> rows;
    for (std::size_t s = 0; s < reference_status_names.size(); ++s)
        rows.emplace_back(std::string(reference_status_names[s]),
                          by_status[static_cast<reference_status>(s)]);
    print_counts("References by status", rows, total, o.top);
    print_counts("References by NAICS 2022 sector", {by_sector.begin(), by_sector.end()}, total,
                 o.top);
    print_counts("References by UN M49 region", {by_region.begin(), by_region.end()}, total, o.top);

    std::cout << "\nConsent and quota headroom on " << format_date(now)
              << " (headroom: active, consenting, under quota, out of cooldown)\n";
    std::cout << "  " << pad("activity", 19) << pad("limit", 26) << right("consent", 8)
              << right("active", 8) << right("at quota", 9) << right("cooling", 8)
              << right("headroom", 9) << '\n';
    for (std::uint16_t a = 0; a < activity_count; ++a) {
        std::cout << "  " << pad(v.activities.name(activity_id{a}), 19)
                  << pad(limit_text(p->quotas.limit(activity_id{a})), 26)
                  << right(std::to_string(consenting[a]), 8)
                  << right(std::to_string(consenting_active[a]), 8)
                  << right(std::to_string(at_quota[a]), 9) << right(std::to_string(cooling[a]), 8)
                  << right(std::to_string(headroom[a]), 9) << '\n';
    }
    return 0;
}

}  // namespace

void add_stats(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<stats_options>();
    auto* sub = app.add_subcommand(
        "stats",
        "Summarise a program: references by status, NAICS sector and M49 region, activity "
        "consent and quota headroom.");
    sub->add_option("--program,-p", opts->program, program_help)->required();
    sub->add_option("--now", opts->now,
                    "Day the quotas are evaluated on, YYYY-MM-DD (default: the latest usage date "
                    "in the program; " +
                        format_date(sample_program_day) + " when it has none)");
    sub->add_option("--top", opts->top, "Rows shown per breakdown before '(other)'")
        ->capture_default_str();
    commands.push_back({sub, [opts] { return run_stats(*opts); }});
}

}  // namespace refmatch::cli
