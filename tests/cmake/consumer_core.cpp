// The program the add_subdirectory consumer builds: the header-only library alone (a vendoring
// project's quickest path), with its own small vocabulary. It exits 0 only if the engine answers
// as expected. (consumer.cpp, built against the installed package, covers the compiled targets.)
#include <refmatch/refmatch.hpp>

#include <cstdio>
#include <memory>
#include <vector>

int main() {
    auto vocab = std::make_shared<refmatch::vocabulary>();
    // 51 - 513 - 5132 - 51321 - 513210 and 5131 - 51311 - 513110: the two publishers (depth 5)
    // meet in 513 (depth 2), so Wu-Palmer gives 2*2 / (5 + 5) = 0.4.
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
    const auto& naics = vocab->industries;
    const double sim = naics.similarity(naics.at("513210"), naics.at("513110"));

    refmatch::program program(vocab);
    refmatch::reference_customer r;
    r.id = "R-1";
    r.industry = "5132";
    r.country = "DE";
    r.status = refmatch::reference_status::active;
    program.references.add(r);
    const refmatch::engine e(program);
    refmatch::prospect p;
    p.id = "P-1";
    p.industry = "5132";
    p.country = "DE";
    const auto matches = e.match(p, 5);
    const bool ok = sim == 0.4 && program.references.in_geography("150").size() == 1 &&
                    matches.size() == 1 && matches.front().reference_id == "R-1";
    std::printf("refmatch %s consumer: similarity %.3f, %s\n", refmatch::version_string, sim,
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
