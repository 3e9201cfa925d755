// Benchmarks of replaying a year of requests (refmatch::simulate): one policy per run, the
// optimal assignment against the greedy baseline and holds off, on a generated program with a
// generated year of requests. docs/benchmarks.md has the figures and the commands.

#include <refmatch/assignment/simulation.hpp>
#include <refmatch/generator.hpp>

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <vector>

namespace {

using namespace refmatch;

// A policy named `name`, its defaults changed by `change`.
simulation_policy policy(std::string name, void (*change)(simulation_policy&) = nullptr) {
    simulation_policy p;
    p.name = std::move(name);
    if (change) change(p);
    return p;
}

struct year {
    std::unique_ptr<program> prog;
    std::vector<dated_request> requests;
};

// references × requests, prospects = references / 2 (each asks about twice in the year).
year& year_of(std::size_t requests, std::size_t references) {
    static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<year>> cache;
    auto& slot = cache[{requests, references}];
    if (!slot) {
        slot = std::make_unique<year>();
        generator_options g;
        g.seed = 2026;
        g.references = references;
        g.prospects = references / 2;
        slot->prog = generate_program(g);
        request_year_options y;
        y.requests = requests;
        slot->requests = generate_request_year(*slot->prog, y);
    }
    return *slot;
}

void replay(benchmark::State& state, simulation_policy policy) {
    auto& y =
        year_of(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    simulation_options o;
    o.threads = 1;
    const std::vector<simulation_policy> policies{std::move(policy)};
    simulation_result r;
    for (auto _ : state) {
        r = simulate(*y.prog, y.requests, policies, o);
        benchmark::DoNotOptimize(r);
    }
    const auto& t = r.policies.front().totals;
    state.counters["filled_share"] = t.filled_share();
    state.counters["mean_score"] = t.mean_score();
    state.counters["top5_share"] = t.top5_share;
    state.counters["never_asked"] = static_cast<double>(t.never_asked);
    state.counters["declines"] = static_cast<double>(t.declines);
    state.counters["days"] = static_cast<double>(r.policies.front().days.size());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * y.requests.size()));
}

void BM_Simulate_Optimal(benchmark::State& state) {
    replay(state, policy("optimal"));
}
void BM_Simulate_Greedy(benchmark::State& state) {
    replay(state,
           policy("greedy", [](simulation_policy& p) { p.method = assignment_method::greedy; }));
}
void BM_Simulate_OptimalNoHolds(benchmark::State& state) {
    replay(state, policy("no holds", [](simulation_policy& p) { p.holds = false; }));
}

#define REFMATCH_YEAR_SIZES ->Args({1000, 2000})->Args({10000, 10000})
BENCHMARK(BM_Simulate_Optimal) REFMATCH_YEAR_SIZES->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Simulate_Greedy) REFMATCH_YEAR_SIZES->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Simulate_OptimalNoHolds)
REFMATCH_YEAR_SIZES->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
