// refmatch naics search TEXT [-n 5] / refmatch m49 search TEXT: the codes whose titles best
// match free text, for writing a mapping's value lists.

#include "commands.hpp"

#include <refmatch/shipped_data.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct search_options {
    std::string text;
    std::size_t count = 5;
};

int run_search(const taxonomy& t, const search_options& opts) {
    const auto hits = t.search(opts.text, opts.count);
    if (hits.empty()) {
        std::cerr << "no " << t.name() << " title matches '" << opts.text << "'\n";
        return 1;
    }
    for (const auto& h : hits) {
        char score[16];
        std::snprintf(score, sizeof score, "%.2f", h.score);
        std::cout << h.code << "  " << h.title << "  (" << score << ")\n";
    }
    return 0;
}

void add_search(CLI::App& parent, std::vector<command>& commands, const char* name,
                const char* about, taxonomy (*load)()) {
    auto* group = parent.add_subcommand(name, about);
    group->require_subcommand(1);
    auto opts = std::make_shared<search_options>();
    auto* sub = group->add_subcommand("search", "Codes whose titles best match free text");
    sub->add_option("text", opts->text, "Free text (\"Financial Services\")")->required();
    sub->add_option("-n", opts->count, "How many")->capture_default_str();
    commands.push_back({sub, [opts, load] { return run_search(load(), *opts); }});
}

}  // namespace

void add_naics(CLI::App& app, std::vector<command>& commands) {
    add_search(app, commands, "naics", "The shipped NAICS 2022 taxonomy", &naics2022);
    add_search(app, commands, "m49", "The shipped UN M49 geography", &m49_geography);
}

}  // namespace refmatch::cli
