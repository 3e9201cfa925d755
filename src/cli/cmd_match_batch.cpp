// refmatch match-batch --program DIR [--out FILE.csv|.json] [--threads N] [-k 10]:
// the best references for every prospect of the program (or the ones named), multi-threaded,
// as CSV or JSON; progress on stderr for long runs.

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct batch_command_options {
    match_flags flags;
    std::vector<std::string> ids;
    std::string out;
    std::string format;  // csv or json; default from --out's extension, else csv
    std::size_t threads = 0;
    bool quiet = false;
};

std::string number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6f", v);
    return buffer;
}

int run_match_batch(const batch_command_options& opts) {
    const auto prog = open_program(opts.flags.program);
    const auto options = to_match_options(*prog, opts.flags);
    std::vector<prospect> prospects;
    if (opts.ids.empty()) {
        prospects = prog->prospects.all();
    } else {
        for (const auto& id : opts.ids) prospects.push_back(prog->prospects.at(id));
    }
    std::string format = opts.format;
    if (format.empty())
        format = opts.out.size() >= 5 && opts.out.substr(opts.out.size() - 5) == ".json" ? "json"
                                                                                         : "csv";

    engine e(*prog);
    batch_options batch;
    batch.threads = opts.threads;
    const auto start = std::chrono::steady_clock::now();
    bool shown = false;
    if (!opts.quiet) {
        // Progress only once a run has lasted a second, so that short runs stay silent.
        batch.progress = [&](const progress_update& at) {
            if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return true;
            std::fprintf(stderr, "\rmatched %zu/%zu prospects", at.done, at.total);
            shown = true;
            return true;
        };
    }
    const auto results = e.match_batch(prospects, opts.flags.k, options, batch);
    if (shown) std::fputc('\n', stderr);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::ostringstream text;
    const auto& activities = prog->vocab->activities;
    if (format == "json") {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < prospects.size(); ++i) {
            nlohmann::ordered_json matches = nlohmann::ordered_json::array();
            for (const auto& r : results[i]) {
                nlohmann::ordered_json m{{"reference_id", r.reference_id},
                                         {"final", r.final_score},
                                         {"base", r.base_score},
                                         {"industry", r.components.industry},
                                         {"product", r.components.product},
                                         {"geography", r.components.geography},
                                         {"size", r.components.size},
                                         {"fatigue_factor", r.fatigue_factor},
                                         {"reason", r.reason}};
                if (r.quota) {
                    m["activity"] = activities.name(r.quota->activity);
                    m["used"] = r.quota->used;
                    m["max_uses"] = r.quota->max_uses ? nlohmann::ordered_json(*r.quota->max_uses)
                                                      : nlohmann::ordered_json(nullptr);
                }
                matches.push_back(std::move(m));
            }
            out.push_back({{"prospect_id", prospects[i].id}, {"matches", std::move(matches)}});
        }
        text << out.dump(2) << '\n';
    } else if (format == "csv") {
        text << "prospect_id,rank,reference_id,final,base,industry,product,geography,size,"
                "fatigue_factor,activity,used,max_uses,reason\n";
        for (std::size_t i = 0; i < prospects.size(); ++i) {
            std::size_t rank = 0;
            for (const auto& r : results[i]) {
                text << csv_field(prospects[i].id) << ',' << ++rank << ','
                     << csv_field(r.reference_id) << ',' << number(r.final_score) << ','
                     << number(r.base_score) << ',' << number(r.components.industry) << ','
                     << number(r.components.product) << ',' << number(r.components.geography) << ','
                     << number(r.components.size) << ',' << number(r.fatigue_factor) << ',';
                if (r.quota) {
                    text << activities.name(r.quota->activity) << ',' << r.quota->used << ',';
                    if (r.quota->max_uses) text << *r.quota->max_uses;
                } else {
                    text << ",,";
                }
                text << ',' << csv_field(r.reason) << '\n';
            }
        }
    } else {
        throw validation_error("command line", "format", "csv or json", format);
    }
    if (opts.out.empty()) {
        std::cout << text.str();
    } else {
        write_file_atomically(opts.out, text.str());
        std::size_t rows = 0;
        for (const auto& r : results) rows += r.size();
        std::cerr << "wrote " << opts.out << ": " << prospects.size() << " prospects, " << rows
                  << " matches in " << fixed(seconds, 2) << " s\n";
    }
    return 0;
}

}  // namespace

void add_match_batch(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<batch_command_options>();
    auto* sub = app.add_subcommand(
        "match-batch",
        "The best references for every prospect of the program (or those named), on several "
        "threads, as CSV or JSON.");
    add_match_flags(*sub, opts->flags);
    sub->add_option("--prospects", opts->ids, "Prospect ids (default: all)")->delimiter(',');
    sub->add_option("--out,-o", opts->out, "Output file (.csv or .json); default: stdout");
    sub->add_option("--format", opts->format, "csv or json (default: from --out, else csv)")
        ->check(CLI::IsMember({"csv", "json"}));
    sub->add_option("--threads", opts->threads, "Worker threads (0: all cores)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    sub->add_flag("--quiet,-q", opts->quiet, "No progress on stderr");
    commands.push_back({sub, [opts] { return run_match_batch(*opts); }});
}

}  // namespace refmatch::cli
