// The program the find_package consumer builds: it uses the header-only library, refmatch::io (the
// shipped taxonomies) and refmatch::assignment, and exits 0 only if they answer as expected.
#include "consumer_program.hpp"

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/refmatch.hpp>
#include <refmatch/shipped_data.hpp>

int main() {
    const auto vocab = refmatch::standard_vocabulary(refmatch::product_catalog{});
    const double sim = publishers_similarity(vocab->industries);
    const auto program = one_reference_program(vocab);
    // One demand without an activity: the assignment gives it the only reference.
    const refmatch::engine e(program);
    refmatch::assignment_demand demand;
    demand.request.id = "P-1";
    demand.request.industry = "5132";
    const auto assigned = refmatch::assign(e, {&demand, 1});
    return report(sim, sim == 0.4 && program.references.in_geography("Europe").size() == 1 &&
                           assigned.totals.assigned == 1);
}
