// Companion of compare_numpy_faiss.py: generates a program with the seeded generator, writes its
// active references, its prospects and both taxonomies as flat binary arrays, times refmatch on
// them (single matches on one thread, a batch on 1 and 2 threads) and writes refmatch's top-k, so
// that the script can run numpy and faiss on exactly the same data and check the ids agree.
//
//   compare_export <references> <prospects> <k> <out-dir>

#include <refmatch/engine.hpp>
#include <refmatch/generator.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace refmatch;

template <class T>
void write_array(const std::filesystem::path& dir, const std::string& name, const std::vector<T>& v,
                 std::ofstream& manifest, const char* dtype) {
    std::ofstream out(dir / (name + ".bin"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(T)));
    manifest << name << ' ' << dtype << ' ' << v.size() << '\n';
}

// For each node, its ancestor at each depth 0..max_depth (-1 below the node's own depth).
std::vector<std::int32_t> ancestor_matrix(const taxonomy& t) {
    const std::size_t width = t.max_depth() + 1;
    std::vector<std::int32_t> out(t.size() * width, -1);
    for (taxonomy::node_id n = 0; n < t.size(); ++n)
        for (std::uint32_t d = 0; d <= t.depth(n); ++d)
            out[n * width + d] = static_cast<std::int32_t>(t.ancestor_at_depth(n, d));
    return out;
}

struct columns {
    std::vector<std::int32_t> industry, geography, size;
    std::vector<std::int64_t> product_offsets{0};
    std::vector<std::int32_t> products;
    void add(const vocabulary& v, const std::string& id, const std::string& industry_code,
             const std::string& country, const std::vector<std::string>& product_ids,
             size_band band) {
        const auto c = v.resolve(id, industry_code, country, product_ids, band);
        industry.push_back(c.industry == taxonomy::npos ? -1
                                                        : static_cast<std::int32_t>(c.industry));
        geography.push_back(c.geography == taxonomy::npos ? -1
                                                          : static_cast<std::int32_t>(c.geography));
        size.push_back(band ? *band : -1);
        for (auto p : c.products) products.push_back(static_cast<std::int32_t>(p));
        product_offsets.push_back(static_cast<std::int64_t>(products.size()));
    }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: compare_export <references> <prospects> <k> <out-dir>\n");
        return 2;
    }
    generator_options g;
    g.seed = 2026;
    g.references = std::strtoull(argv[1], nullptr, 10);
    g.prospects = std::strtoull(argv[2], nullptr, 10);
    const std::size_t k = std::strtoull(argv[3], nullptr, 10);
    const std::filesystem::path dir = argv[4];
    std::filesystem::create_directories(dir);

    const auto prog = generate_program(g);
    const vocabulary& v = *prog->vocab;
    const auto refs = prog->references.with_status(reference_status::active);  // in id order
    const auto prospects = prog->prospects.all();
    std::ofstream manifest(dir / "manifest.txt");

    columns rc, pc;
    for (const auto& r : refs) rc.add(v, r.id, r.industry, r.country, r.products, r.size);
    for (const auto& p : prospects) pc.add(v, p.id, p.industry, p.country, p.products, p.size);
    for (auto [prefix, c] : {std::pair{"ref", &rc}, std::pair{"prospect", &pc}}) {
        const std::string s = prefix;
        write_array(dir, s + "_industry", c->industry, manifest, "int32");
        write_array(dir, s + "_geography", c->geography, manifest, "int32");
        write_array(dir, s + "_size", c->size, manifest, "int32");
        write_array(dir, s + "_product_offsets", c->product_offsets, manifest, "int64");
        write_array(dir, s + "_products", c->products, manifest, "int32");
    }
    write_array(dir, "industry_ancestors", ancestor_matrix(v.industries), manifest, "int32");
    write_array(dir, "geography_ancestors", ancestor_matrix(v.geography), manifest, "int32");
    manifest << "industry_width " << v.industries.max_depth() + 1 << '\n';
    manifest << "geography_width " << v.geography.max_depth() + 1 << '\n';
    manifest << "size_bands " << int{v.sizes.count()} << '\n';
    manifest << "products " << v.products.size() << '\n';
    manifest << "k " << k << '\n';
    manifest << "stored_references " << g.references << '\n';

    engine e(*prog);
    match_options o;
    o.use_prospect_activity = false;  // the plain score, which numpy and faiss compute too
    o.explain = false;

    // Single matches, one thread: every prospect once after a warm-up.
    for (std::size_t i = 0; i < std::min<std::size_t>(20, prospects.size()); ++i)
        (void)e.match(prospects[i], k, o);
    std::vector<std::int32_t> top(prospects.size() * k, -1);
    std::vector<double> top_score(prospects.size() * k, -1.0);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<match_result>> results;
    results.reserve(prospects.size());
    for (const auto& p : prospects) results.push_back(e.match(p, k, o));
    const double single = seconds_since(t0) / static_cast<double>(prospects.size());
    // Positions of the results in the exported (id-ordered) references.
    for (std::size_t i = 0; i < results.size(); ++i)
        for (std::size_t j = 0; j < results[i].size(); ++j) {
            const auto it = std::lower_bound(
                refs.begin(), refs.end(), results[i][j].reference_id,
                [](const reference_customer& r, const std::string& id) { return r.id < id; });
            top[i * k + j] = static_cast<std::int32_t>(it - refs.begin());
            top_score[i * k + j] = results[i][j].final_score;
        }
    write_array(dir, "refmatch_top", top, manifest, "int32");
    write_array(dir, "refmatch_score", top_score, manifest, "float64");

    double batch_seconds[3] = {0, 0, 0};
    for (std::size_t threads : {1u, 2u}) {
        batch_options b;
        b.threads = threads;
        const auto t1 = std::chrono::steady_clock::now();
        const auto out = e.match_batch(prospects, k, o, b);
        batch_seconds[threads] = seconds_since(t1);
    }
    manifest << "refmatch_single_seconds " << single << '\n';
    manifest << "refmatch_batch1_seconds " << batch_seconds[1] << '\n';
    manifest << "refmatch_batch2_seconds " << batch_seconds[2] << '\n';
    manifest << "refmatch_kernel " << to_string(e.kernel()) << '\n';
    std::printf("exported %zu active references (of %zu), %zu prospects to %s\n", refs.size(),
                g.references, prospects.size(), dir.c_str());
    return 0;
}
