// refmatch validate FILES...: reports every error of every file; exit code 1 if there is one.

#include "commands.hpp"

#include <refmatch/io.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct validate_options {
    std::vector<std::string> paths;
};

int run_validate(const validate_options& o) {
    namespace fs = std::filesystem;
    std::size_t total = 0;
    for (const auto& arg : o.paths) {
        const fs::path path(arg);
        std::vector<parse_error> errors;
        try {
            errors = check_file(path);
        } catch (const error& e) {
            std::cerr << "refmatch: " << e.what() << '\n';
            ++total;
            continue;
        }
        // Messages name files by their file name; show them relative to what was given so that
        // two programs' references.csv can be told apart.
        std::error_code ec;
        const fs::path base = fs::is_directory(path, ec) ? path : path.parent_path();
        for (const auto& e : errors) {
            const std::string where = e.file().empty() ? arg : (base / e.file()).string();
            std::cout << parse_error::format(where, e.line(), e.field(), e.expected(), e.found())
                      << '\n';
        }
        std::cout << arg << ": "
                  << (errors.empty() ? std::string("ok")
                                     : std::to_string(errors.size()) +
                                           (errors.size() == 1 ? " error" : " errors"))
                  << '\n';
        total += errors.size();
    }
    if (total == 0) {
        std::cout << "no errors\n";
        return 0;
    }
    std::cout << total << (total == 1 ? " error" : " errors") << " found\n";
    return 1;
}

}  // namespace

void add_validate(CLI::App& app, std::vector<command>& commands) {
    auto opts = std::make_shared<validate_options>();
    auto* sub = app.add_subcommand(
        "validate",
        "Check program directories or table files (products, quotas, references, prospects, "
        "usage, outcomes, content; .csv or .json) and report every error found. Exit code 1 if "
        "any.");
    sub->add_option("paths", opts->paths, "Program directories or table files")->required();
    commands.push_back({sub, [opts] { return run_validate(*opts); }});
}

}  // namespace refmatch::cli
