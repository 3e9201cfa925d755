// The README's C++ example, compiled and run by ctest (test `example_quickstart`).
// Usage: quickstart PROGRAM_DIR   (e.g. src/data/sample)
#include <refmatch/io.hpp>
#include <refmatch/refmatch.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: quickstart PROGRAM_DIR\n";
        return 2;
    }
    auto program = refmatch::load_program(argv[1]);  // validated, all-or-nothing
    refmatch::engine engine(*program);

    refmatch::match_options options;
    options.activity = refmatch::activity::sales_call;  // quotas, cooldown, fatigue
    options.now = refmatch::parse_date("2025-07-01");

    const auto prospect = program->prospects.at("P-0001");
    for (const auto& m : engine.match(prospect, 5, options))
        std::cout << m.reference_id << ' ' << m.final_score << "  " << m.reason << '\n';
}
