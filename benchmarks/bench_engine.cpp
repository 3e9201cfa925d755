// Benchmarks of the matching engine, with the naive brute-force baseline in the same binary.
// Programs come from the seeded generator (refmatch/generator.hpp), so every run scores the same
// data. See docs/benchmarks.md for the figures and how to reproduce them.

#include <refmatch/engine.hpp>
#include <refmatch/generator.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace {

using namespace refmatch;

// Programs are expensive to generate (about a second per million references): one per size.
struct fixture {
    std::unique_ptr<program> prog;
    std::vector<prospect> prospects;
    std::unique_ptr<engine> fast;
    date now;
};

fixture& program_of(std::size_t references, std::size_t prospects = 1000) {
    static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<fixture>> cache;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    auto& slot = cache[{references, prospects}];
    if (!slot) {
        slot = std::make_unique<fixture>();
        generator_options g;
        g.seed = 2026;
        g.references = references;
        g.prospects = prospects;
        slot->now = g.now;
        slot->prog = generate_program(g);
        slot->prospects = slot->prog->prospects.all();
        slot->fast = std::make_unique<engine>(*slot->prog);
    }
    return *slot;
}

match_options plain_options() {
    match_options o;
    o.use_prospect_activity = false;
    o.explain = false;
    return o;
}

match_options activity_options(const fixture& f) {
    match_options o;
    o.activity = activity::sales_call;
    o.now = f.now;
    o.explain = false;
    return o;
}

// Pairs are counted against every reference of the program (the generator makes about 75% of
// them active; only active ones are ever eligible, and only they are in the engine's snapshot):
// "pairs/s" and "s/pair" use all references, "active pairs/s" the active ones.
void set_reference_counters(benchmark::State& state, const engine& e, std::size_t prospects = 1) {
    const auto stats = e.stats();
    const auto all = static_cast<double>(prospects * stats.stored_references);
    const auto active = static_cast<double>(prospects * stats.references);
    state.counters["refs"] = static_cast<double>(stats.stored_references);
    state.counters["active"] = static_cast<double>(stats.references);
    state.counters["bytes/ref"] = stats.bytes_per_reference();
    state.counters["pairs/s"] =
        benchmark::Counter(all, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["active pairs/s"] =
        benchmark::Counter(active, benchmark::Counter::kIsIterationInvariantRate);
    // Seconds per pair, printed with an SI prefix (e.g. 684p = 0.684 ns).
    state.counters["s/pair"] = benchmark::Counter(
        all, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// --- Single match -------------------------------------------------------------------------------

void BM_Match_Engine(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    const auto o = plain_options();
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = f.fast->match(f.prospects[i++ % f.prospects.size()], 10, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Match_Engine)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

void BM_Match_EngineActivity(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    const auto o = activity_options(f);
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = f.fast->match(f.prospects[i++ % f.prospects.size()], 10, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Match_EngineActivity)
    ->Arg(1000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMicrosecond);

// The same match with live holds of reference requests (match_options::holds): `range(1)` holds
// of the activity on references spread over the program, each candidate's quota state counting
// its own. With none (the program without requests) the scan looks up nothing.
void BM_Match_EngineHolds(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    auto o = activity_options(f);
    const auto refs = f.prog->references.all();
    std::vector<live_hold> holds;
    for (std::size_t i = 0; i < static_cast<std::size_t>(state.range(1)); ++i)
        holds.push_back({refs[(i * 7919) % refs.size()].id, activity::sales_call,
                         f.now + std::chrono::days(static_cast<int>(i % 30))});
    o.holds = std::make_shared<const hold_index>(std::move(holds));
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = f.fast->match(f.prospects[i++ % f.prospects.size()], 10, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Match_EngineHolds)
    ->Args({1000000, 0})
    ->Args({1000000, 1000})
    ->Args({1000000, 100000})
    ->Unit(benchmark::kMicrosecond);

// Each kernel on the same 1M-reference program (0 scalar, 1 AVX2, 2 AVX-512).
void BM_Match_Kernel(benchmark::State& state) {
    auto& f = program_of(1000000);
    const scan_kernel kernels[] = {scan_kernel::scalar, scan_kernel::avx2, scan_kernel::avx512};
    const auto kernel = kernels[state.range(0)];
    if (!scan_kernel_supported(kernel)) {
        state.SkipWithError("kernel not supported on this processor");
        return;
    }
    state.SetLabel(std::string(to_string(kernel)));
    engine e(*f.prog, engine_options{kernel});
    const auto o = plain_options();
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = e.match(f.prospects[i++ % f.prospects.size()], 10, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, e);
}
BENCHMARK(BM_Match_Kernel)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

// How cost grows with k (1M references).
void BM_Match_TopK(benchmark::State& state) {
    auto& f = program_of(1000000);
    const auto o = plain_options();
    const auto k = static_cast<std::size_t>(state.range(0));
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = f.fast->match(f.prospects[i++ % f.prospects.size()], k, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Match_TopK)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// A match with explanations (reason strings) on a program the size of the bundled sample.
void run_explained_matches(benchmark::State& state, bool with_activity) {
    auto& f = program_of(2000, 500);
    match_options o;
    if (with_activity)
        o = activity_options(f);
    else
        o.use_prospect_activity = false;
    o.explain = true;
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = f.fast->match(f.prospects[i++ % f.prospects.size()], 10, o);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}

void BM_Match_Explain(benchmark::State& state) {
    run_explained_matches(state, false);
}
BENCHMARK(BM_Match_Explain)->Unit(benchmark::kMicrosecond);

void BM_Match_ExplainActivity(benchmark::State& state) {
    run_explained_matches(state, true);
}
BENCHMARK(BM_Match_ExplainActivity)->Unit(benchmark::kMicrosecond);

// --- The naive baseline: score every reference straight from the model, then partial_sort ------

struct naive_reference {
    const reference_customer* record;
    resolved_codes codes;
};

std::vector<naive_reference> naive_references(const program& prog,
                                              std::vector<reference_customer>& keep) {
    keep = prog.references.with_status(reference_status::active);
    std::vector<naive_reference> out;
    out.reserve(keep.size());
    for (const auto& r : keep)
        out.push_back({&r, prog.vocab->resolve(r.id, r.industry, r.country, r.products, r.size)});
    return out;
}

std::vector<std::pair<double, const std::string*>> naive_match(
    const program& prog, const std::vector<naive_reference>& refs, const prospect& p, std::size_t k,
    const std::optional<activity_id>& act, date now) {
    const vocabulary& v = *prog.vocab;
    const auto pc = v.resolve(p.id, p.industry, p.country, p.products, p.size);
    const score_weights w;
    std::optional<usage_ledger::reader> ledger;
    if (act) ledger.emplace(prog.usage.read());
    std::vector<std::pair<double, const std::string*>> scored;
    scored.reserve(refs.size());
    for (const auto& r : refs) {
        double factor = 1.0;
        if (act) {
            if (!r.record->consents_to(*act)) continue;
            const auto limit = prog.effective_limit(*r.record, *act);
            const auto used = ledger->used(r.record->id, *act, limit.window_days, now);
            if (limit.max_uses && used >= *limit.max_uses) continue;
            const auto last = ledger->last_use(r.record->id, *act, now);
            if (last && (now - *last).count() < static_cast<long>(limit.cooldown_days)) continue;
            if (limit.max_uses) factor = 1.0 - 0.5 * std::min(1.0, double(used) / *limit.max_uses);
        }
        std::size_t common = 0;
        for (auto x : pc.products)
            common += std::binary_search(r.codes.products.begin(), r.codes.products.end(), x);
        const double prod = pc.products.empty() ? 0.0
                                                : static_cast<double>(common) /
                                                      static_cast<double>(pc.products.size());
        const double base = (w.industry * v.industries.similarity(pc.industry, r.codes.industry) +
                             w.product * prod +
                             w.geography * v.geography.similarity(pc.geography, r.codes.geography) +
                             w.size * v.sizes.closeness(p.size, r.record->size)) /
                            w.sum();
        scored.emplace_back(base * factor, &r.record->id);
    }
    const auto n = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                      [](const auto& a, const auto& b) {
                          return a.first != b.first ? a.first > b.first : *a.second < *b.second;
                      });
    scored.resize(n);
    return scored;
}

void BM_Match_Naive(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    std::vector<reference_customer> keep;
    const auto refs = naive_references(*f.prog, keep);
    const bool with_activity = state.range(1) != 0;
    const std::optional<activity_id> act =
        with_activity ? std::optional<activity_id>(activity::sales_call) : std::nullopt;
    std::size_t i = 0;
    for (auto _ : state) {
        auto out =
            naive_match(*f.prog, refs, f.prospects[i++ % f.prospects.size()], 10, act, f.now);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Match_Naive)
    ->Args({1000, 0})
    ->Args({100000, 0})
    ->Args({1000000, 0})
    ->Args({1000000, 1})
    ->Unit(benchmark::kMicrosecond);

// --- Batches ------------------------------------------------------------------------------------

void BM_MatchBatch_Engine(benchmark::State& state) {
    const auto prospects = static_cast<std::size_t>(state.range(0));
    auto& f = program_of(100000, 10000);
    const std::span<const prospect> batch(f.prospects.data(), prospects);
    const auto o = plain_options();
    batch_options b;
    b.threads = static_cast<std::size_t>(state.range(1));
    for (auto _ : state) {
        auto out = f.fast->match_batch(batch, 10, o, b);
        benchmark::DoNotOptimize(out);
    }
    set_reference_counters(state, *f.fast, prospects);
}
BENCHMARK(BM_MatchBatch_Engine)
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({10000, 1})
    ->Args({10000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

// --- Snapshot -----------------------------------------------------------------------------------

void BM_Snapshot_Refresh(benchmark::State& state) {
    auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        engine e(*f.prog);
        benchmark::DoNotOptimize(e.stats());
    }
    set_reference_counters(state, *f.fast);
}
BENCHMARK(BM_Snapshot_Refresh)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
