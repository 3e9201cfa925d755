// refmatch generate --seed N --out DIR: writes a generated program.

#include "commands.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/generator.hpp>
#include <refmatch/measurement/outcomes_io.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct generate_options {
    generator_options gen;
    std::string out;
    std::string now;
    std::string format = "csv";
};

int run_generate(generate_options o) {
    if (!o.now.empty()) {
        const auto d = parse_date(o.now);
        if (!d) throw parse_error("", 0, "--now", "a date YYYY-MM-DD", o.now);
        o.gen.now = *d;
    }
    const auto p = generate_program(o.gen);
    save_program(*p, o.out, o.format == "json" ? file_format::json : file_format::csv);
    // Outcomes of the opportunities the usage names, and a materials library (CSV only).
    measurement::outcome_generator_options m;
    m.seed = o.gen.seed;
    m.now = o.gen.now;
    const auto outcomes = measurement::generate_outcomes(*p, m);
    const auto items = measurement::generate_content(*p, m);
    const std::filesystem::path dir(o.out);
    measurement::save_outcomes(dir / "outcomes.csv", outcomes, *p->vocab);
    content::save_content(dir / "content.csv", items);
    std::cout << "wrote " << o.out << ": " << p->references.size() << " references, "
              << p->prospects.size() << " prospects, " << p->vocab->products.size() << " products, "
              << p->usage.size() << " usage events, " << outcomes.size() << " outcomes, "
              << items.size() << " content items (seed " << o.gen.seed << ", as of "
              << format_date(o.gen.now) << ")\n";
    return 0;
}

}  // namespace

void add_generate(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<generate_options>();
    auto* sub = app.add_subcommand(
        "generate",
        "Generate a realistic program (deterministic for a given seed) into a directory.");
    sub->add_option("--out,-o", opts->out, "Output directory (created if needed)")->required();
    sub->add_option("--seed", opts->gen.seed, "Random seed")->capture_default_str();
    sub->add_option("--references", opts->gen.references, "Number of references")
        ->capture_default_str();
    sub->add_option("--prospects", opts->gen.prospects, "Number of open opportunities")
        ->capture_default_str();
    sub->add_option("--products", opts->gen.products, "Number of products")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--history-days", opts->gen.history_days, "Days of usage history")
        ->capture_default_str();
    sub->add_option("--now", opts->now,
                    "Day the program is as of, YYYY-MM-DD (default " +
                        format_date(generator_options{}.now) + ")");
    sub->add_option("--format", opts->format, "File format")
        ->capture_default_str()
        ->check(CLI::IsMember({"csv", "json"}));
    commands.push_back({sub, [opts] { return run_generate(*opts); }});
}

}  // namespace refmatch::cli
