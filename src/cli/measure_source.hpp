#pragma once
// Where the measurement commands' tables come from: beside the program's files (outcomes.csv,
// content.csv of the directory) or in the program database.

#include "program_source.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/content/library.hpp>
#include <refmatch/measurement/outcomes_io.hpp>

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
    if (std::filesystem::is_directory(path)) {
        m.prog = load_program(path);
        m.outcomes = measurement::load_program_outcomes(path, *m.prog->vocab);
        m.content = content::load_program_content(path, *m.prog->vocab);
        content::check_content(m.content, *m.prog);
        return m;
    }
    database_options o;
    o.read_only = true;
    const database db(path, o);
    m.prog = db.program();
    m.outcomes = db.outcomes();
    m.content = db.content_items();
    return m;
}

}  // namespace refmatch::cli
