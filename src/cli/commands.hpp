#pragma once
// The subcommands of the refmatch command-line tool. Each lives in its own cmd_<name>.cpp and is
// registered in main.cpp with one line: `add_<name>(app, commands)`.

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace refmatch::cli {

/// A registered subcommand and what runs when it is chosen (returns the exit code).
struct command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

void add_validate(CLI::App& app, std::vector<command>& commands);
void add_stats(CLI::App& app, std::vector<command>& commands);
void add_utilisation(CLI::App& app, std::vector<command>& commands);
void add_generate(CLI::App& app, std::vector<command>& commands);
void add_match(CLI::App& app, std::vector<command>& commands);
void add_match_batch(CLI::App& app, std::vector<command>& commands);
void add_gaps(CLI::App& app, std::vector<command>& commands);
void add_db(CLI::App& app, std::vector<command>& commands);
void add_use(CLI::App& app, std::vector<command>& commands);
void add_history(CLI::App& app, std::vector<command>& commands);
void add_import(CLI::App& app, std::vector<command>& commands);
void add_naics(CLI::App& app, std::vector<command>& commands);
void add_export(CLI::App& app, std::vector<command>& commands);
void add_assign(CLI::App& app, std::vector<command>& commands);
void add_simulate(CLI::App& app, std::vector<command>& commands);
void add_referral(CLI::App& app, std::vector<command>& commands);
void add_request(CLI::App& app, std::vector<command>& commands);
void add_queue(CLI::App& app, std::vector<command>& commands);
void add_measure(CLI::App& app, std::vector<command>& commands);
void add_content(CLI::App& app, std::vector<command>& commands);
void add_report(CLI::App& app, std::vector<command>& commands);

}  // namespace refmatch::cli
