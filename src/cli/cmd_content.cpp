// refmatch content --program PATH (--prospect ID [-k 5] | --gaps): the materials library matched
// to a prospect with the references' score (only items usable on the day), or its gaps.

#include "commands.hpp"
#include "match_common.hpp"
#include "measure_source.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace refmatch::cli {
namespace {

struct content_command {
    match_flags flags;
    std::string prospect;
    bool gaps = false;
    gap_options gap;
};

int run_content(const content_command& c) {
    const auto m = open_measured(c.flags.program);
    auto mo = to_match_options(*m.prog, c.flags);
    const date now = *mo.now;
    const content::content_matcher library(*m.prog, m.content, now);
    std::cout << "Materials library: " << library.size() << " of " << m.content.size()
              << " items usable on " << format_date(now) << "\n";
    if (c.gaps) {
        gap_options g = c.gap;
        g.match = mo;
        const auto pipeline = m.prog->prospects.all();
        const auto r = library.gaps(pipeline, g);
        std::cout << "Content gaps: " << r.uncovered << " of " << r.prospects.size()
                  << " prospects have no usable item scoring at least " << fixed(g.threshold, 2)
                  << "\n\n";
        std::cout << pad_to("sector", 34) << pad_to("region", 20) << pad_to("prospects", 10)
                  << "uncovered\n";
        std::size_t shown = 0;
        for (const auto& cell : r.cells) {
            if (cell.uncovered == 0 || shown++ == 15) continue;
            std::cout << pad_to(cut_to((cell.sector.empty() ? "-" : cell.sector) + "  " +
                                           cell.sector_title,
                                       32),
                                34)
                      << pad_to(cut_to(cell.region_title, 18), 20)
                      << pad_to(std::to_string(cell.prospects), 10) << cell.uncovered << '\n';
        }
        return 0;
    }
    if (c.prospect.empty())
        throw validation_error("command line", "prospect", "--prospect ID or --gaps", "");
    const auto p = m.prog->prospects.at(c.prospect);
    std::cout << "Prospect " << p.id << " " << p.name << "\n\n";
    std::size_t rank = 0;
    for (const auto& x : library.match(p, c.flags.k, mo)) {
        std::cout << pad_to(std::to_string(++rank), 4) << pad_to(x.item->id, 8)
                  << pad_to(std::string(content::to_string(x.item->type)), 15)
                  << pad_to(x.item->reference_id.empty() ? "-" : x.item->reference_id, 9)
                  << fixed(x.match.final_score, 3) << "  " << x.match.reason << '\n';
    }
    if (rank == 0) std::cout << "(no usable item)\n";
    return 0;
}

}  // namespace

void add_content(CLI::App& app, std::vector<command>& commands) {
    auto o = std::make_shared<content_command>();
    auto* sub = app.add_subcommand(
        "content",
        "The materials library: items matched to a prospect with the references' score (only "
        "approved or published, not expired), or --gaps for where material is missing.");
    add_match_flags(*sub, o->flags, true);
    sub->add_option("--prospect", o->prospect, "Prospect id");
    sub->add_flag("--gaps", o->gaps, "Gap analysis of the library instead of a match");
    sub->add_option("--threshold", o->gap.threshold, "Final score an item must reach (--gaps)")
        ->capture_default_str();
    commands.push_back({sub, [o] { return run_content(*o); }});
}

}  // namespace refmatch::cli
