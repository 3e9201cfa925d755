// refmatch import --mapping salesforce|hubspot|FILE.json --accounts A.csv [--opportunities O.csv]
// [--opportunity-products L.csv] [--products P.csv] (--out DIR | --into DB) [--skip-bad-rows]:
// a program from CRM exports, all or nothing, with a summary of what was read and the
// opportunities' outcomes when the export has them; written as a program directory (--out) or
// into an empty program database in one transaction (--into, the database's own import).

#include "commands.hpp"
#include "program_source.hpp"

#include <refmatch/crm/import.hpp>
#include <refmatch/db/database.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/outcomes_io.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace refmatch::cli {
namespace {

namespace fs = std::filesystem;

struct import_command_options {
    std::string mapping = "salesforce";
    std::string accounts, opportunities, opportunity_products, products;
    std::string out;
    std::string into;
    std::string rejects;
    std::string format = "csv";
    bool skip_bad_rows = false;
};

// Writes the rejected rows of each export that had any to `dir/<export name>`.
void write_rejects(const crm::import_report& report, const fs::path& dir) {
    for (const auto& f : report.files) {
        const bool any = std::any_of(report.rejected.begin(), report.rejected.end(),
                                     [&](const crm::rejected_row& r) { return r.file == f.file; });
        if (!any) continue;
        fs::create_directories(dir);
        write_file_atomically(dir / fs::path(f.file).filename(), report.rejects_csv(f.file));
    }
}

// Writes the program and its reject files into a fresh directory beside `out`, then swaps it in,
// so that `out` holds either the previous program or the whole new one.
void write_program_dir(const crm::import_result& result, const fs::path& out, file_format format) {
    const auto& p = *result.imported;
    const auto& report = result.report;
    auto staging = out;
    staging += ".importing";
    fs::remove_all(staging);
    save_program(p, staging, format);
    if (!result.outcomes.empty())
        measurement::save_outcomes(
            staging / (format == file_format::json ? "outcomes.json" : "outcomes.csv"),
            result.outcomes, *p.vocab);
    write_file_atomically(staging / "import_summary.txt", report.summary());
    write_rejects(report, staging / "rejects");
    auto previous = out;
    previous += ".previous";
    fs::remove_all(previous);
    if (fs::exists(out)) fs::rename(out, previous);
    fs::rename(staging, out);
    fs::remove_all(previous);
}

// The program and its outcomes go into the database through its import of a program (one
// transaction, an empty database only); the rejected rows, a report, are written after it.
void write_into_database(const crm::import_result& result, database& db,
                         const import_command_options& opts) {
    db.import_program(*result.imported, command_line_user(), result.outcomes);
    write_rejects(result.report, opts.rejects.empty() ? opts.into + ".rejects" : opts.rejects);
}

int run_import(const import_command_options& opts) {
    const auto mapping = crm::load_mapping(opts.mapping);
    // Opened first, so that a missing or unusable database fails before the exports are read.
    std::optional<database> db;
    if (!opts.into.empty()) db.emplace(opts.into);
    crm::crm_exports exports;
    const auto read = [](const std::string& path) -> std::optional<crm::crm_export> {
        if (path.empty()) return std::nullopt;
        return crm::crm_export::from_file(path);
    };
    exports.accounts = read(opts.accounts);
    exports.opportunities = read(opts.opportunities);
    exports.opportunity_products = read(opts.opportunity_products);
    exports.products = read(opts.products);
    crm::import_options options;
    options.skip_bad_rows = opts.skip_bad_rows;
    try {
        const auto result = crm::import_crm(exports, mapping, options);
        if (db)
            write_into_database(result, *db, opts);
        else
            write_program_dir(result, opts.out,
                              opts.format == "json" ? file_format::json : file_format::csv);
        std::cout << result.report.summary();
        for (const auto& p : result.report.problems)
            std::cerr << "rejected: " << p.message() << '\n';
        if (db)
            std::cout << "imported into " << opts.into << '\n';
        else
            std::cout << "wrote " << opts.out << '\n';
        return 0;
    } catch (const crm::import_error& e) {
        for (const auto& p : e.report().problems) std::cerr << p.message() << '\n';
        std::cerr << e.report().problems.size()
                  << (e.report().problems.size() == 1 ? " problem" : " problems")
                  << ", nothing imported (--skip-bad-rows imports the other rows)\n";
        return 1;
    }
}

}  // namespace

void add_import(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<import_command_options>();
    auto* sub = app.add_subcommand(
        "import", "A program directory from CRM exports (Salesforce, HubSpot or a mapping file).");
    sub->add_option("--mapping,-m", opts->mapping,
                    "Preset (salesforce, hubspot) or mapping file (docs/crm.md)")
        ->capture_default_str();
    sub->add_option("--accounts", opts->accounts, "Accounts / companies export (CSV)");
    sub->add_option("--opportunities", opts->opportunities, "Opportunities / deals export (CSV)");
    sub->add_option("--opportunity-products", opts->opportunity_products,
                    "Opportunity products / line items export (CSV)");
    sub->add_option("--products", opts->products,
                    "Product catalogue export (CSV); default: the products the exports name");
    // Exactly one destination: a program directory, or an empty program database.
    auto* destination = sub->add_option_group("destination");
    destination->add_option("--out,-o", opts->out, "Program directory to write");
    auto* into = destination->add_option(
        "--into", opts->into,
        "Empty program database to import into (refmatch db init FILE), in one transaction");
    destination->require_option(1);
    sub->add_option("--rejects", opts->rejects,
                    "With --into --skip-bad-rows: where the rejected rows go (default: DB.rejects)")
        ->needs(into);
    // A database has no file format: --format with --into would be silently ignored.
    sub->add_option("--format", opts->format, "csv or json: the files of the --out directory")
        ->check(CLI::IsMember({"csv", "json"}))
        ->capture_default_str()
        ->excludes(into);
    sub->add_flag("--skip-bad-rows", opts->skip_bad_rows,
                  "Import the rows that map; write the others to DIR/rejects/ (or --rejects) "
                  "with the reason");
    commands.push_back({sub, [opts] { return run_import(*opts); }});
}

}  // namespace refmatch::cli
