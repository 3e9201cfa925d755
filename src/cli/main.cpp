// refmatch: the command-line tool. Subcommands are registered here and implemented in
// cmd_<name>.cpp; the library never prints, the tool writes to std::cout and std::cerr.

#include "commands.hpp"

#include <refmatch/error.hpp>
#include <refmatch/version.hpp>

#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{
        "refmatch: customer reference programs: check program files, summarise them, "
        "generate sample programs, import from and export to CRMs."};
    app.set_version_flag("--version", std::string("refmatch ") + refmatch::version_string);
    app.require_subcommand(1);

    std::vector<refmatch::cli::command> commands;
    refmatch::cli::add_validate(app, commands);
    refmatch::cli::add_stats(app, commands);
    refmatch::cli::add_utilisation(app, commands);
    refmatch::cli::add_generate(app, commands);
    refmatch::cli::add_match(app, commands);
    refmatch::cli::add_match_batch(app, commands);
    refmatch::cli::add_gaps(app, commands);
    refmatch::cli::add_db(app, commands);
    refmatch::cli::add_use(app, commands);
    refmatch::cli::add_history(app, commands);
    refmatch::cli::add_import(app, commands);
    refmatch::cli::add_naics(app, commands);
    refmatch::cli::add_export(app, commands);
    refmatch::cli::add_assign(app, commands);
    refmatch::cli::add_simulate(app, commands);
    refmatch::cli::add_referral(app, commands);
    refmatch::cli::add_request(app, commands);
    refmatch::cli::add_queue(app, commands);
    refmatch::cli::add_measure(app, commands);
    refmatch::cli::add_content(app, commands);
    refmatch::cli::add_report(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        for (const auto& c : commands)
            if (c.app->parsed()) return c.run();
    } catch (const refmatch::error& e) {
        std::cerr << "refmatch: " << e.what() << '\n';
        return 1;
    } catch (const std::filesystem::filesystem_error& e) {
        // Any path the commands did not wrap still reads as refmatch's own error, with the path.
        std::cerr << "refmatch: '" << e.path1().string() << "': " << e.code().message() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "refmatch: unexpected error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
