// Gap-driven recruiting (refmatch::measurement::recommend_recruits) on generated programs:
// N candidates (references turned into candidates) against P open opportunities, two threads.
// Baselines in the same run: the one gap analysis recruiting starts from (its floor), and the
// naive way — rerunning the whole gap analysis with each candidate made active — timed per
// candidate on a few candidates.
//
//   build/release/benchmarks/bench_measurement --benchmark_filter=Recruit

#include <refmatch/generator.hpp>
#include <refmatch/measurement/recruitment.hpp>

#include <benchmark/benchmark.h>

#include <map>
#include <memory>

namespace {

using namespace refmatch;

// `candidates` + the same number of active references, `prospects` open opportunities.
const program& recruiting_program(std::size_t candidates, std::size_t prospects) {
    static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<program>> cache;
    auto& slot = cache[{candidates, prospects}];
    if (!slot) {
        generator_options g;
        g.references = 2 * candidates;
        g.prospects = prospects;
        auto t = tables_of(*generate_program(g));
        auto references = t.references.unpack();
        for (std::size_t i = 0; i < references.size(); ++i)
            references[i].status =
                i % 2 == 0 ? reference_status::candidate : reference_status::active;
        t.references = std::move(references);
        slot = std::move(t).assemble();
    }
    return *slot;
}

// Third argument: the threshold in hundredths (0.5: the default; 0.75: most prospects short).
measurement::recruit_options options(const benchmark::State& state) {
    measurement::recruit_options o;
    o.gaps.match.activity = activity::sales_call;
    o.gaps.match.now = sample_program_day;
    o.gaps.threshold = static_cast<double>(state.range(2)) / 100.0;
    o.shortlist = 10;
    o.advocacy.now = sample_program_day;
    return o;
}

void BM_Recruit(benchmark::State& state) {
    const auto& p = recruiting_program(static_cast<std::size_t>(state.range(0)),
                                       static_cast<std::size_t>(state.range(1)));
    const auto pipeline = p.prospects.all();
    batch_options batch;
    batch.threads = 2;
    measurement::recruit_report r;
    for (auto _ : state) {
        r = measurement::recommend_recruits(p, pipeline, options(state), batch);
        benchmark::DoNotOptimize(r);
    }
    state.counters["candidates"] = static_cast<double>(r.candidates.size());
    state.counters["uncovered"] = static_cast<double>(r.uncovered);
    std::size_t pairs = 0;
    for (const auto& c : r.candidates) pairs += c.qualifies_for.size();
    state.counters["qualifying_pairs"] = static_cast<double>(pairs);
    state.counters["shortlist_value"] =
        r.shortlist.empty() ? 0.0 : r.shortlist.back().cumulative_value;
}
BENCHMARK(BM_Recruit)
    ->Args({1000, 1000, 50})
    ->Args({10000, 10000, 50})
    ->Args({10000, 10000, 75})
    ->Unit(benchmark::kMillisecond);

// The floor: the gap analysis of the active references alone.
void BM_Recruit_GapAnalysisOnly(benchmark::State& state) {
    const auto& p = recruiting_program(static_cast<std::size_t>(state.range(0)),
                                       static_cast<std::size_t>(state.range(1)));
    const auto pipeline = p.prospects.all();
    batch_options batch;
    batch.threads = 2;
    const engine e(p);
    for (auto _ : state)
        benchmark::DoNotOptimize(analyse_gaps(e, pipeline, options(state).gaps, batch));
}
BENCHMARK(BM_Recruit_GapAnalysisOnly)
    ->Args({1000, 1000, 50})
    ->Args({10000, 10000, 50})
    ->Args({10000, 10000, 75})
    ->Unit(benchmark::kMillisecond);

// The naive way, per candidate: the program with one candidate made active, its gaps rerun.
void BM_Recruit_NaiveRerunPerCandidate(benchmark::State& state) {
    const auto& p = recruiting_program(static_cast<std::size_t>(state.range(0)),
                                       static_cast<std::size_t>(state.range(1)));
    const auto candidates = p.references.with_status(reference_status::candidate);
    batch_options batch;
    batch.threads = 2;
    std::size_t next = 0;
    for (auto _ : state) {
        auto t = tables_of(p);
        auto references = t.references.unpack();
        for (auto& r : references)
            if (r.id == candidates[next % candidates.size()].id)
                r.status = reference_status::active;
        t.references = std::move(references);
        ++next;
        const auto q = std::move(t).assemble();
        const engine e(*q);
        benchmark::DoNotOptimize(analyse_gaps(e, q->prospects.all(), options(state).gaps, batch));
    }
    state.counters["candidates_in_program"] = static_cast<double>(candidates.size());
}
BENCHMARK(BM_Recruit_NaiveRerunPerCandidate)
    ->Args({1000, 1000, 50})
    ->Args({10000, 10000, 50})
    ->Args({10000, 10000, 75})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
