// refmatch match --program DIR (--prospect ID | --prospects-file FILE | --industry ...) [-k 10]:
// the best references for one prospect, as a readable table with the reasons (or JSON).

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct match_command_options {
    match_flags flags;
    std::string prospect_id;
    std::string prospects_file;
    std::string industry, country;
    std::vector<std::string> products;
    std::optional<int> size_band;
    std::string why;  // a reference id: explain where it stands
    bool json = false;
};

nlohmann::ordered_json to_json(const match_result& r, const activity_catalog& activities) {
    nlohmann::ordered_json j{{"reference_id", r.reference_id},
                             {"final", r.final_score},
                             {"base", r.base_score},
                             {"fatigue_factor", r.fatigue_factor},
                             {"industry", r.components.industry},
                             {"product", r.components.product},
                             {"geography", r.components.geography},
                             {"size", r.components.size},
                             {"products_matched", r.products_matched},
                             {"products_requested", r.products_requested},
                             {"reason", r.reason}};
    if (r.quota) {
        j["quota"] = {
            {"activity", activities.name(r.quota->activity)},
            {"used", r.quota->used},
            {"max_uses", r.quota->max_uses ? nlohmann::ordered_json(*r.quota->max_uses)
                                           : nlohmann::ordered_json(nullptr)},
            {"window_days", r.quota->window_days},
            {"cooldown_days", r.quota->cooldown_days},
            {"last_use", r.quota->last_use ? nlohmann::ordered_json(format_date(*r.quota->last_use))
                                           : nlohmann::ordered_json(nullptr)},
            {"utilisation", r.quota->utilisation}};
    }
    return j;
}

nlohmann::ordered_json to_json(const reference_explanation& e, const activity_catalog& activities) {
    nlohmann::ordered_json reasons = nlohmann::ordered_json::array();
    for (const auto& r : e.reasons)
        reasons.push_back({{"cause", std::string(to_string(r.cause))}, {"text", r.text}});
    const auto or_null = [](const auto& v) {
        return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
    };
    return {{"reference_id", e.reference_id},
            {"name", e.reference_name},
            {"eligible", e.eligible},
            {"rank", or_null(e.rank)},
            {"returned", e.returned},
            {"kth_reference_id", or_null(e.kth_reference_id)},
            {"kth_score", or_null(e.kth_score)},
            {"reasons", std::move(reasons)},
            {"score", to_json(e.score, activities)}};
}

// "Why not R-0042?": where the reference stands, under the results table.
void print_why(const reference_explanation& e) {
    std::cout << "\nWhy " << (e.returned ? "" : "not ") << e.reference_id;
    if (!e.reference_name.empty()) std::cout << " " << e.reference_name;
    std::cout << "?\n  final " << fixed(e.score.final_score) << " · base "
              << fixed(e.score.base_score) << " · fatigue " << fixed(e.score.fatigue_factor)
              << " · used " << quota_text(e.score) << " · " << e.score.reason << '\n';
    std::cout << "  "
              << (e.eligible ? "eligible, rank " + std::to_string(*e.rank) : "not eligible");
    if (e.kth_reference_id)
        std::cout << " · result " << e.k << " is " << *e.kth_reference_id << " at "
                  << fixed(*e.kth_score);
    std::cout << '\n';
    if (e.returned) std::cout << "  " << e.summary() << '\n';
    for (const auto& r : e.reasons) std::cout << "  - " << r.text << '\n';
}

int run_match(const match_command_options& opts) {
    const auto prog = open_program(opts.flags.program);
    const auto options = to_match_options(*prog, opts.flags);
    prospect p;
    if (!opts.prospects_file.empty()) {
        // A prospect from its own file (prospects.csv/.json format), checked against the
        // program's vocabulary: --prospect picks one when the file holds several.
        const auto file = load_prospects(opts.prospects_file, *prog->vocab);
        const auto it = std::find_if(file.begin(), file.end(), [&](const prospect& q) {
            return opts.prospect_id.empty() || q.id == opts.prospect_id;
        });
        if (it == file.end() || (opts.prospect_id.empty() && file.size() != 1))
            throw validation_error(opts.prospects_file + ": expected " +
                                   (opts.prospect_id.empty()
                                        ? "exactly one prospect (or name one with --prospect)"
                                        : "a prospect '" + opts.prospect_id + "'") +
                                   ", found " + std::to_string(file.size()) + " prospect(s)");
        p = *it;
    } else if (!opts.prospect_id.empty()) {
        p = prog->prospects.at(opts.prospect_id);
    } else {
        p.id = "(command line)";
        p.industry = opts.industry;
        p.country = opts.country;
        p.products = opts.products;
        if (opts.size_band) {
            if (*opts.size_band < 0 || *opts.size_band > 255)
                throw validation_error("command line", "size-band", "a band 0..255",
                                       std::to_string(*opts.size_band));
            p.size = static_cast<std::uint8_t>(*opts.size_band);
        }
    }
    engine e(*prog);
    const auto results = e.match(p, opts.flags.k, options);
    std::optional<reference_explanation> why;
    if (!opts.why.empty()) why = e.explain(p, opts.why, opts.flags.k, options);
    const vocabulary& v = *prog->vocab;
    std::string activity_name;  // empty: no activity in force
    if (options.activity)
        activity_name = v.activities.name(*options.activity);
    else if (options.use_prospect_activity && p.activity)
        activity_name = v.activities.name(*p.activity);
    if (opts.json) {
        nlohmann::ordered_json out{
            {"prospect", p.id},
            {"now", format_date(*options.now)},
            {"activity", activity_name.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(activity_name)},
            {"results", nlohmann::ordered_json::array()}};
        for (const auto& r : results) out["results"].push_back(to_json(r, v.activities));
        if (why) out["why"] = to_json(*why, v.activities);
        std::cout << out.dump(2) << '\n';
        return 0;
    }

    std::string head = "Prospect " + p.id;
    if (!p.name.empty()) head += " " + p.name;
    std::cout << head << '\n';
    std::string line = "  industry " + (p.industry.empty() ? "-" : p.industry) + " · country " +
                       (p.country.empty() ? "-" : p.country) + " · size " +
                       (p.size ? v.sizes.label(*p.size) : std::string("-")) + " · products ";
    std::string products;
    for (const auto& id : p.products) products += (products.empty() ? "" : ",") + id;
    line += products.empty() ? "-" : products;
    std::cout << line << '\n';
    std::cout << "  activity " << (activity_name.empty() ? std::string("none") : activity_name)
              << " · as of " << format_date(*options.now) << " · " << e.stats().references
              << " active references\n\n";
    if (results.empty()) {
        std::cout << "No eligible reference.\n";
        if (why) print_why(*why);
        return 0;
    }
    std::cout << pad_to(" #", 4) << pad_to("reference", 11) << pad_to("name", 28)
              << pad_to("final", 7) << pad_to("base", 7) << pad_to("ind", 6) << pad_to("prod", 6)
              << pad_to("geo", 6) << pad_to("size", 6) << pad_to("used", 6) << "reason\n";
    std::size_t rank = 0;
    for (const auto& r : results) {
        const auto rec = prog->references.at(r.reference_id);
        std::string num = std::to_string(++rank);
        std::cout << pad_to(std::string(num.size() < 2 ? 2 - num.size() : 0, ' ') + num, 4)
                  << pad_to(r.reference_id, 11) << pad_to(cut_to(rec.name, 26), 28)
                  << pad_to(fixed(r.final_score), 7) << pad_to(fixed(r.base_score), 7)
                  << pad_to(fixed(r.components.industry, 2), 6)
                  << pad_to(fixed(r.components.product, 2), 6)
                  << pad_to(fixed(r.components.geography, 2), 6)
                  << pad_to(fixed(r.components.size, 2), 6) << pad_to(quota_text(r), 6) << r.reason
                  << '\n';
    }
    if (why) print_why(*why);
    return 0;
}

}  // namespace

void add_match(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<match_command_options>();
    auto* sub = app.add_subcommand(
        "match",
        "The best eligible references for one prospect (from the program, a prospects file or "
        "flags), with the reasons.");
    add_match_flags(*sub, opts->flags);
    auto* id = sub->add_option("--prospect", opts->prospect_id,
                               "Prospect id in the program (or in --prospects-file)");
    auto* file = sub->add_option("--prospects-file", opts->prospects_file,
                                 "A prospects.csv/.json file to take the prospect from instead "
                                 "of the program")
                     ->check(CLI::ExistingFile);
    auto* ind = sub->add_option("--industry", opts->industry, "NAICS code at any level");
    auto* ctry = sub->add_option("--country", opts->country, "Country or M49 region");
    auto* prods = sub->add_option("--products", opts->products, "Products of interest, a,b,c")
                      ->delimiter(',');
    auto* size = sub->add_option("--size-band", opts->size_band, "Size band 0..5");
    for (auto* o : {ind, ctry, prods, size}) o->excludes(id)->excludes(file);
    sub->add_option("--why", opts->why,
                    "A reference id: say where it stands, and every reason it is not returned");
    sub->add_flag("--json", opts->json, "Print JSON instead of a table");
    commands.push_back({sub, [opts] {
                            if (opts->prospect_id.empty() && opts->prospects_file.empty() &&
                                opts->industry.empty() && opts->country.empty() &&
                                opts->products.empty() && !opts->size_band)
                                throw validation_error(
                                    "match: give --prospect ID, --prospects-file FILE or at least "
                                    "one of --industry, "
                                    "--country, --products, --size-band");
                            return run_match(*opts);
                        }});
}

}  // namespace refmatch::cli
