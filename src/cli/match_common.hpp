#pragma once
// What `match`, `match-batch` and `gaps` share: the options of a match on the command line and
// their translation into refmatch::match_options, plus a little text formatting.

#include "program_source.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {

struct match_flags {
    std::string program;
    std::string activity;  // name; "none" ignores the prospects' own activity
    std::string now;
    std::string weights;  // "industry,product,geography,size"
    double fatigue = 0.5;
    std::string same_geography = "none";
    bool same_sector = false;
    bool cover_all_products = false;
    std::optional<double> min_score;
    std::vector<std::string> exclude;
    std::size_t k = 10;
};

inline void add_match_flags(CLI::App& sub, match_flags& f, bool with_k = true) {
    sub.add_option("--program,-p", f.program, program_help)->required();
    sub.add_option("--activity,-a", f.activity,
                   "Activity to match for (quota eligibility and fatigue); default: each "
                   "prospect's own; 'none' for no quota rules");
    sub.add_option("--now", f.now,
                   "Day quotas are evaluated on, YYYY-MM-DD (default: the latest usage date in "
                   "the program; " +
                       format_date(sample_program_day) + " when it has none)");
    sub.add_option("--weights", f.weights,
                   "Component weights industry,product,geography,size (default "
                   "0.35,0.35,0.20,0.10)");
    sub.add_option("--fatigue", f.fatigue, "Fatigue weight phi in [0, 1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    sub.add_option("--same-geography", f.same_geography,
                   "Hard filter: none, region, sub-region or country")
        ->check(CLI::IsMember({"none", "region", "sub-region", "country"}))
        ->capture_default_str();
    sub.add_flag("--same-sector", f.same_sector, "Hard filter: same NAICS sector");
    sub.add_flag("--cover-all-products", f.cover_all_products,
                 "Hard filter: the reference uses every product of interest");
    sub.add_option("--min-score", f.min_score, "Hard filter: final score at least this");
    sub.add_option("--exclude", f.exclude, "Reference ids never to propose")->delimiter(',');
    if (with_k)
        sub.add_option("-k", f.k, "Number of references per prospect")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
}

inline date program_now(const program& prog, const std::string& text) {
    if (!text.empty()) {
        if (auto d = parse_date(text)) return *d;
        throw validation_error("command line", "now", "a date YYYY-MM-DD", text);
    }
    return default_day(prog, today()).value_or(sample_program_day);
}

inline match_options to_match_options(const program& prog, const match_flags& f) {
    match_options o;
    o.now = program_now(prog, f.now);
    if (f.activity == "none") {
        o.use_prospect_activity = false;
    } else if (!f.activity.empty()) {
        o.activity = prog.vocab->activities.at(f.activity);
    }
    if (!f.weights.empty()) {
        std::vector<double> w;
        std::size_t start = 0;
        while (start <= f.weights.size()) {
            const auto end = std::min(f.weights.find(',', start), f.weights.size());
            const std::string part = f.weights.substr(start, end - start);
            char* stop = nullptr;
            const double value = std::strtod(part.c_str(), &stop);
            if (part.empty() || *stop != '\0')
                throw validation_error("command line", "weights", "four numbers a,b,c,d",
                                       f.weights);
            w.push_back(value);
            start = end + 1;
        }
        if (w.size() != 4)
            throw validation_error("command line", "weights", "four numbers a,b,c,d", f.weights);
        o.weights = {w[0], w[1], w[2], w[3]};
    }
    o.fatigue_weight = f.fatigue;
    if (const auto level = parse_geography_level(f.same_geography)) o.same_geography = *level;
    o.same_sector = f.same_sector;
    o.cover_all_products = f.cover_all_products;
    o.min_score = f.min_score;
    o.exclusions = f.exclude;
    o.holds = open_holds(f.program, *o.now);
    o.validate();
    return o;
}

// One field of the commands' CSV output, quoted when it holds a comma, quote or line break.
inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

// Pads to `width` code points (UTF-8 aware) on the right.
inline std::string pad_to(std::string s, std::size_t width) {
    std::size_t points = 0;
    for (const unsigned char c : s)
        if ((c & 0xC0u) != 0x80u) ++points;
    if (points < width) s.append(width - points, ' ');
    return s;
}

// Cuts to at most `width` code points, ending in "..." when cut.
inline std::string cut_to(const std::string& s, std::size_t width) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0u) == 0x80u) continue;
        if (points == width - 3) {
            std::size_t rest = 0;
            for (std::size_t j = i; j < s.size(); ++j)
                if ((static_cast<unsigned char>(s[j]) & 0xC0u) != 0x80u) ++rest;
            if (rest > 3) return s.substr(0, i) + "...";
            return s;
        }
        ++points;
    }
    return s;
}

inline std::string fixed(double v, int digits = 3) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

inline std::string quota_text(const match_result& r) {
    if (!r.quota) return "-";
    std::string out = std::to_string(r.quota->used);
    out += r.quota->max_uses ? "/" + std::to_string(*r.quota->max_uses) : "/-";
    return out;
}

}  // namespace refmatch::cli
