#pragma once
// Where the measurement commands' tables come from: beside the program's files (outcomes.csv,
// content.csv of the directory) or in the program database, with its request book's figures.

#include "program_source.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/content/library.hpp>
#include <refmatch/measurement/outcomes_io.hpp>
#include <refmatch/measurement/request_figures.hpp>
#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {

struct measured_program {
    std::shared_ptr<const refmatch::program> prog;
    std::vector<measurement::opportunity_outcome> outcomes;
    std::vector<content::content_item> content;
};

/// The program at `path` with its outcomes and materials library (empty when it has none).
inline measured_program open_measured(const std::string& path) {
    measured_program m;
    if (is_program_directory(path)) {
        m.prog = load_program(path);
        m.outcomes = measurement::load_program_outcomes(path, *m.prog->vocab);
        m.content = content::load_program_content(path, *m.prog->vocab);
        content::check_content(m.content, *m.prog);
        return m;
    }
    const auto& db = read_database(path);
    m.prog = db.program();
    m.outcomes = db.outcomes();
    m.content = db.content_items();
    return m;
}

/// On a program database, the service levels and customers' declines of its request book as of
/// the start of `now` (docs/requests.md); nothing for a directory, which has no requests.
inline measurement::request_figures request_figures_at(const std::string& path, const program& p,
                                                       date now) {
    if (is_program_directory(path)) return {};
    const auto service = request_book(read_database(path)).service(std::chrono::sys_seconds{now});
    return measurement::figures_from_requests(service, p.vocab->activities);
}

}  // namespace refmatch::cli
