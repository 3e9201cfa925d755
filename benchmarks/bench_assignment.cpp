// Benchmarks of the global assignment, end to end (engine candidates + network simplex + pricing),
// with the baselines in the same binary: the greedy assignment (due-date order, best remaining
// reference each) and the full-graph solve (every eligible pair in the network from the start,
// m = all references, so no pricing). Programs come from the seeded generator; the demands are
// the program's prospects, each wanting one reference for its own activity. docs/benchmarks.md
// has the figures and the commands.

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/generator.hpp>

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <sys/resource.h>
#include <vector>

namespace {

using namespace refmatch;

struct fixture {
    std::unique_ptr<program> prog;
    std::vector<assignment_demand> demands;
    std::unique_ptr<engine> eng;
    date now;
};

fixture& program_of(std::size_t demands, std::size_t references) {
    static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<fixture>> cache;
    auto& slot = cache[{demands, references}];
    if (!slot) {
        slot = std::make_unique<fixture>();
        generator_options g;
        g.seed = 2026;
        g.references = references;
        g.prospects = demands;
        slot->now = g.now;
        slot->prog = generate_program(g);
        for (auto& p : slot->prog->prospects.all())
            slot->demands.push_back({std::move(p), std::nullopt, 1, 1.0});
        slot->eng = std::make_unique<engine>(*slot->prog);
    }
    return *slot;
}

assignment_options options_for(const fixture& f, std::size_t m, bool explain,
                               std::size_t threads = 1) {
    assignment_options o;
    o.match.now = f.now;
    o.match.explain = explain;
    o.candidates = m;
    o.baseline = false;
    o.threads = threads;  // the engine's candidate batch; the solve is single-threaded
    return o;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void report(benchmark::State& state, const assignment_result& r, std::size_t demands) {
    state.counters["demands"] = static_cast<double>(demands);
    state.counters["objective"] = r.totals.value;
    state.counters["mean_score"] = r.totals.mean_score();
    state.counters["filled"] = static_cast<double>(r.totals.filled);
    state.counters["rounds"] = static_cast<double>(r.stats.rounds);
    state.counters["pairs"] = static_cast<double>(r.stats.pairs);
    state.counters["arcs"] = static_cast<double>(r.stats.arcs);
    state.counters["priced_in"] = static_cast<double>(r.stats.priced_in);
    state.counters["settled"] = static_cast<double>(r.stats.settled);
    state.counters["queries"] = static_cast<double>(r.stats.pricing_queries);
    state.counters["peak_rss_MiB"] = peak_rss_mib();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * demands));
}

void run_optimal(benchmark::State& state, std::size_t threads) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    const auto o =
        options_for(f, static_cast<std::size_t>(state.range(2)), state.range(3) != 0, threads);
    assignment_result r;
    for (auto _ : state) {
        r = assign(*f.eng, f.demands, o);
        benchmark::DoNotOptimize(r.demands.data());
    }
    report(state, r, f.demands.size());
}

// Args: demands, references, m, explain (0/1). One thread.
void BM_Assign_Optimal(benchmark::State& state) {
    run_optimal(state, 1);
}
// The same with the candidate batch on two threads (all this machine has).
void BM_Assign_Optimal_TwoThreads(benchmark::State& state) {
    run_optimal(state, 2);
}

void BM_Assign_Greedy(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    const auto o = options_for(f, static_cast<std::size_t>(state.range(2)), state.range(3) != 0);
    assignment_result r;
    for (auto _ : state) {
        r = assign_greedy(*f.eng, f.demands, o);
        benchmark::DoNotOptimize(r.demands.data());
    }
    report(state, r, f.demands.size());
}

// Contested: each demand wants 3 references and each reference takes at most one ask per 90
// days across activities, so references run out and pricing has work to do.
assignment_options contested(const fixture& f, std::size_t m) {
    auto o = options_for(f, m, false);
    o.per_reference = quota_limit{1, 90, 0};
    return o;
}
std::vector<assignment_demand> wanting(const fixture& f, std::uint32_t count) {
    auto d = f.demands;
    for (auto& x : d) x.count = count;
    return d;
}
void BM_Assign_Contested_Optimal(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    const auto o = contested(f, static_cast<std::size_t>(state.range(2)));
    const auto demands = wanting(f, 3);
    assignment_result r;
    for (auto _ : state) {
        r = assign(*f.eng, demands, o);
        benchmark::DoNotOptimize(r.demands.data());
    }
    report(state, r, f.demands.size());
}
void BM_Assign_Contested_Greedy(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    const auto o = contested(f, static_cast<std::size_t>(state.range(2)));
    const auto demands = wanting(f, 3);
    assignment_result r;
    for (auto _ : state) {
        r = assign_greedy(*f.eng, demands, o);
        benchmark::DoNotOptimize(r.demands.data());
    }
    report(state, r, f.demands.size());
}

// Every eligible pair in the network at once (m = every reference): what pricing saves.
void BM_Assign_FullGraph(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    const auto o = options_for(f, static_cast<std::size_t>(state.range(1)), false);
    assignment_result r;
    for (auto _ : state) {
        r = assign(*f.eng, f.demands, o);
        benchmark::DoNotOptimize(r.demands.data());
    }
    report(state, r, f.demands.size());
}

// The engine's candidate batch alone (top-m per demand): the floor of the optimum.
void run_candidates(benchmark::State& state, std::size_t threads) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)),
                         static_cast<std::size_t>(state.range(1)));
    std::vector<prospect> prospects;
    for (const auto& d : f.demands) prospects.push_back(d.request);
    match_options o;
    o.now = f.now;
    o.explain = state.range(3) != 0;
    batch_options b;
    b.threads = threads;
    for (auto _ : state) {
        auto r = f.eng->match_batch(prospects, static_cast<std::size_t>(state.range(2)), o, b);
        benchmark::DoNotOptimize(r.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.demands.size()));
}
void BM_Assign_CandidatesOnly(benchmark::State& state) {
    run_candidates(state, 1);
}
void BM_Assign_CandidatesOnly_TwoThreads(benchmark::State& state) {
    run_candidates(state, 2);
}

// The targets: 1k × 10k and 10k × 100k, with and without explanations.
BENCHMARK(BM_Assign_Optimal)
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 8, 0})
    ->Args({1000, 10000, 8, 1})
    ->Args({10000, 100000, 8, 0})
    ->Args({10000, 100000, 8, 1})
    ->Unit(benchmark::kMillisecond);
// Two threads: wall time is what to read (the CPU time is the calling thread's alone).
BENCHMARK(BM_Assign_Optimal_TwoThreads)
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 8, 0})
    ->Args({1000, 10000, 8, 1})
    ->Args({10000, 100000, 8, 0})
    ->Args({10000, 100000, 8, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Greedy)
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 8, 0})
    ->Args({10000, 100000, 8, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_CandidatesOnly)
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 8, 0})
    ->Args({10000, 100000, 8, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_CandidatesOnly_TwoThreads)
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 8, 0})
    ->Args({10000, 100000, 8, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// The full graph beside the optimum on the same sizes (1k × 10k holds millions of pairs with
// their explanations: more memory than this machine spares).
BENCHMARK(BM_Assign_Optimal)
    ->Name("BM_Assign_Optimal_Small")
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({100, 1000, 8, 0})
    ->Args({300, 3000, 8, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_FullGraph)
    ->ArgNames({"demands", "refs"})
    ->Args({100, 1000})
    ->Args({300, 3000})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Contested_Optimal)
    ->ArgNames({"demands", "refs", "m"})
    ->Args({100, 1000, 8})
    ->Args({300, 3000, 8})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Contested_Greedy)
    ->ArgNames({"demands", "refs", "m"})
    ->Args({100, 1000, 8})
    ->Args({300, 3000, 8})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Contested_Optimal)
    ->Name("BM_Assign_Contested_FullGraph")
    ->ArgNames({"demands", "refs", "m"})
    ->Args({100, 1000, 1000})
    ->Args({300, 3000, 3000})
    ->Unit(benchmark::kMillisecond);
// Growth with demands, references and m.
BENCHMARK(BM_Assign_Optimal)
    ->Name("BM_Assign_Optimal_Demands")
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({250, 10000, 8, 0})
    ->Args({500, 10000, 8, 0})
    ->Args({2000, 10000, 8, 0})
    ->Args({4000, 10000, 8, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Optimal)
    ->Name("BM_Assign_Optimal_References")
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 2500, 8, 0})
    ->Args({1000, 5000, 8, 0})
    ->Args({1000, 20000, 8, 0})
    ->Args({1000, 40000, 8, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Assign_Optimal)
    ->Name("BM_Assign_Optimal_M")
    ->ArgNames({"demands", "refs", "m", "explain"})
    ->Args({1000, 10000, 1, 0})
    ->Args({1000, 10000, 2, 0})
    ->Args({1000, 10000, 4, 0})
    ->Args({1000, 10000, 16, 0})
    ->Args({1000, 10000, 32, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
