// The program the add_subdirectory consumer builds: the header-only library alone (a vendoring
// project's quickest path), with its own small vocabulary. It exits 0 only if the engine answers
// as expected. (consumer.cpp, built against the installed package, covers the compiled targets.)
#include "consumer_program.hpp"

#include <refmatch/refmatch.hpp>

#include <memory>
#include <vector>

int main() {
    auto vocab = std::make_shared<refmatch::vocabulary>();
    // The two publishers' branches of NAICS 2022, down to 513210 and 513110.
    const std::vector<refmatch::taxonomy_entry> industries = {
        {"51", "Information", ""},
        {"513", "Publishing", "51"},
        {"5131", "Newspaper etc.", "513"},
        {"51311", "Newspaper Publishers", "5131"},
        {"513110", "Newspapers", "51311"},
        {"5132", "Software", "513"},
        {"51321", "Software Publishers", "5132"},
        {"513210", "Software", "51321"}};
    vocab->industries = refmatch::taxonomy("", "", industries);
    const std::vector<refmatch::taxonomy_entry> geography = {{"150", "Europe", ""},
                                                             {"DE", "Germany", "150"}};
    vocab->geography = refmatch::taxonomy("001", "World", geography);
    vocab->products.add({"crm", "CRM", ""});
    const double sim = publishers_similarity(vocab->industries);
    const auto program = one_reference_program(vocab);
    refmatch::prospect p;
    p.id = "P-1";
    p.industry = "5132";
    p.country = "DE";
    const auto matches = refmatch::engine(program).match(p, 5);
    return report(sim, sim == 0.4 && program.references.in_geography("150").size() == 1 &&
                           matches.size() == 1 && matches.front().reference_id == "R-1");
}
