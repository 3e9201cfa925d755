// The program database from the command line:
//   refmatch db init FILE [--from DIR]     create a database (with a program directory in it)
//   refmatch db import FILE DIR            import a program directory into an empty database
//   refmatch db export FILE DIR [--format] write the program as files (as save_program would)
//   refmatch db check FILE                 integrity, foreign keys, and that the program loads
//   refmatch use --program FILE REF --activity A [--opportunity O] [--date D] [--by WHO]
//   refmatch history --program FILE REF    the usage ledger of one reference

#include "commands.hpp"
#include "program_source.hpp"

#include <refmatch/db/database.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

namespace refmatch::cli {
namespace {

struct db_options {
    std::string file;
    std::string directory;
    std::string format = "csv";
};

struct use_options {
    std::string program;
    std::string reference;
    std::string activity;
    std::string opportunity;
    std::string day;
    std::string by;
};

int run_init(const db_options& o) {
    database_options create;
    create.create = true;
    if (std::filesystem::exists(o.file))
        throw error(o.file + ": db init: the file exists already (it is never overwritten)");
    database db(o.file, create);
    if (!o.directory.empty()) db.import_program(o.directory, command_line_user());
    const auto p = db.program();
    std::cout << o.file << ": created, schema version " << database::schema_version << ", "
              << p->references.size() << " references, " << p->prospects.size() << " prospects, "
              << p->usage.size() << " usage events\n";
    return 0;
}

int run_import(const db_options& o) {
    database db(o.file);
    db.import_program(o.directory, command_line_user());
    const auto p = db.program();
    std::cout << o.file << ": imported " << o.directory << ": " << p->references.size()
              << " references, " << p->prospects.size() << " prospects, " << p->usage.size()
              << " usage events\n";
    return 0;
}

int run_export(const db_options& o) {
    database_options ro;
    ro.read_only = true;
    database(o.file, ro)
        .export_program(o.directory, o.format == "json" ? file_format::json : file_format::csv);
    std::cout << o.file << ": exported to " << o.directory << '\n';
    return 0;
}

int run_check(const db_options& o) {
    database_options ro;
    ro.read_only = true;
    const auto problems = database(o.file, ro).check();
    for (const auto& p : problems) std::cout << o.file << ": " << p << '\n';
    std::cout << o.file << ": " << (problems.empty() ? "ok" : "damaged") << '\n';
    return problems.empty() ? 0 : 1;
}

int run_use(const use_options& o) {
    database db(o.program);
    const auto p = db.program();
    usage_event e;
    e.reference_id = o.reference;
    const auto activity = p->vocab->activities.find(o.activity);
    if (!activity)
        throw validation_error("command line", "activity", "an activity type of the program",
                               o.activity);
    e.activity = *activity;
    e.opportunity_id = o.opportunity;
    const auto user = command_line_user();
    if (o.day.empty()) {
        e.day = day_of(user.at);
    } else if (const auto d = parse_date(o.day)) {
        e.day = *d;
    } else {
        throw validation_error("command line", "date", "a date YYYY-MM-DD", o.day);
    }
    recorded_by by = user;
    if (!o.by.empty()) by.who = o.by;
    const auto id = db.record_usage(e, by);
    std::cout << "recorded event " << id << ": " << e.reference_id << ' ' << o.activity << ' '
              << (e.opportunity_id.empty() ? "-" : e.opportunity_id) << ' ' << format_date(e.day)
              << '\n';
    return 0;
}

int run_history(const use_options& o) {
    database_options ro;
    ro.read_only = true;
    database db(o.program, ro);
    const auto p = db.program();
    if (!p->references.contains(o.reference))
        throw not_found_error("no reference '" + o.reference + "' in the program");
    const auto rows = db.history(o.reference);
    std::cout << std::left << std::setw(9) << "event" << std::setw(20) << "activity"
              << std::setw(14) << "opportunity" << std::setw(12) << "date" << std::setw(16)
              << "recorded by"
              << "recorded at\n";
    for (const auto& r : rows)
        std::cout << std::left << std::setw(9) << r.event_id << std::setw(20)
                  << p->vocab->activities.name(r.event.activity) << std::setw(14)
                  << (r.event.opportunity_id.empty() ? "-" : r.event.opportunity_id)
                  << std::setw(12) << format_date(r.event.day) << std::setw(16) << r.recorded_by
                  << r.recorded_at << '\n';
    std::cout << rows.size() << (rows.size() == 1 ? " use" : " uses") << " of " << o.reference
              << '\n';
    return 0;
}

}  // namespace

void add_db(CLI::App& app, std::vector<command>& commands) {
    auto* db = app.add_subcommand("db", "Create, import, export and check program databases.");
    db->require_subcommand(1);
    const auto add = [&](const char* name, const char* help, auto run, bool with_dir,
                         bool dir_required) {
        auto opts = std::make_shared<db_options>();
        auto* sub = db->add_subcommand(name, help);
        sub->add_option("file", opts->file, "Program database file")->required();
        if (with_dir) {
            auto* d = dir_required
                          ? sub->add_option("directory", opts->directory, "Program directory")
                          : sub->add_option("--from", opts->directory,
                                            "Program directory to import into it");
            if (dir_required) d->required();
        }
        commands.push_back({sub, [opts, run] { return run(*opts); }});
        return std::make_pair(sub, opts);
    };
    add("init", "Create a new database (never overwrites a file), optionally with a program.",
        run_init, true, false);
    add("import", "Import a program directory into an empty database, all or nothing.", run_import,
        true, true);
    auto [exp, exp_opts] = add("export", "Write the database's program as a directory of files.",
                               run_export, true, true);
    exp->add_option("--format", exp_opts->format, "csv or json")
        ->check(CLI::IsMember({"csv", "json"}))
        ->capture_default_str();
    add("check", "Check the database: integrity, foreign keys, and that the program loads.",
        run_check, false, false);
}

void add_use(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<use_options>();
    auto* sub = app.add_subcommand(
        "use", "Record a use of a reference in a program database (durable when it returns).");
    sub->add_option("--program,-p", opts->program, "Program database file")->required();
    sub->add_option("reference", opts->reference, "Reference id")->required();
    sub->add_option("--activity,-a", opts->activity, "Activity type")->required();
    sub->add_option("--opportunity,-o", opts->opportunity, "Opportunity (prospect) id");
    sub->add_option("--date,-d", opts->day, "Day of the use, YYYY-MM-DD (default: today)");
    sub->add_option("--by", opts->by, "Who records it (default: $USER)");
    commands.push_back({sub, [opts] { return run_use(*opts); }});
}

void add_history(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<use_options>();
    auto* sub = app.add_subcommand("history", "The usage ledger of one reference.");
    sub->add_option("--program,-p", opts->program, "Program database file")->required();
    sub->add_option("reference", opts->reference, "Reference id")->required();
    commands.push_back({sub, [opts] { return run_history(*opts); }});
}

}  // namespace refmatch::cli
