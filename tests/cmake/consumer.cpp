// The program both consumer projects build: it uses the header-only library, refmatch::io (the
// shipped taxonomies) and refmatch::assignment, and exits 0 only if they answer as expected.
#include <refmatch/assignment/assignment.hpp>
#include <refmatch/refmatch.hpp>
#include <refmatch/shipped_data.hpp>

#include <cstdio>

int main() {
    const auto vocab = refmatch::standard_vocabulary(refmatch::product_catalog{});
    const auto& naics = vocab->industries;
    // Software Publishers 513210 and Newspaper Publishers 513110 (both depth 5) meet in
    // subsector 513 (depth 2): Wu-Palmer 2*2 / (5 + 5) = 0.4.
    const double sim = naics.similarity(naics.at("513210"), naics.at("513110"));
    refmatch::program program(vocab);
    refmatch::reference_customer r;
    r.id = "R-1";
    r.industry = "5132";
    r.country = "DE";
    r.status = refmatch::reference_status::active;
    program.references.add(r);
    // One demand without an activity: the assignment gives it the only reference.
    const refmatch::engine e(program);
    refmatch::assignment_demand demand;
    demand.request.id = "P-1";
    demand.request.industry = "5132";
    const auto assigned = refmatch::assign(e, {&demand, 1});
    const bool ok = sim == 0.4 && program.references.in_geography("Europe").size() == 1 &&
                    assigned.totals.assigned == 1;
    std::printf("refmatch %s consumer: similarity %.3f, %s\n", refmatch::version_string, sim,
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
