// The referral checks on a generated program of 1,000,000 referrals (planted rings, duplicates,
// self-referrals, bursts, disposable contacts), on 1 and 2 threads, against two floors measured in
// the same run: normalising every referred name and comparing it with its referrer's
// (Jaro–Winkler), which every check run does at least, and the same program's sort by date.
//
//   build/release/benchmarks/bench_referrals [--benchmark_filter=...]
// The program size is REFMATCH_BENCH_REFERRALS (default 1000000).

#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/generator.hpp>
#include <refmatch/referrals/similarity.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <unordered_map>

namespace rr = refmatch::referrals;

namespace {

const rr::generated_referrals& program() {
    static const rr::generated_referrals g = [] {
        rr::referral_generator_options o;
        const char* size = std::getenv("REFMATCH_BENCH_REFERRALS");
        o.referrals = size ? std::strtoul(size, nullptr, 10) : 1000000;
        o.customers = std::max<std::size_t>(100, o.referrals / 5);
        o.opportunities = o.customers / 4;
        o.rings = 200;
        o.duplicates = o.referrals / 100;
        o.self_referrals = o.referrals / 1000;
        o.bursts = 100;
        o.disposable = o.referrals / 1000;
        return rr::generate_referrals(o);
    }();
    return g;
}

void BM_check_referrals(benchmark::State& state) {
    const auto& p = program().program;
    rr::check_options options;
    options.threads = static_cast<unsigned>(state.range(0));
    std::size_t findings = 0;
    for (auto _ : state) {
        const auto report = rr::check_referrals(p.referrals, p.accounts, {}, options);
        findings = report.findings.size();
        benchmark::DoNotOptimize(report.levels.data());
    }
    state.counters["referrals"] = static_cast<double>(p.referrals.size());
    state.counters["findings"] = static_cast<double>(findings);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.referrals.size()));
}
BENCHMARK(BM_check_referrals)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Floor 1: every referred name normalised and compared with its referrer's, one thread.
void BM_floor_name_similarity(benchmark::State& state) {
    const auto& p = program().program;
    std::unordered_map<std::string_view, std::string> referrer_name;
    for (const auto& a : p.accounts)
        referrer_name.emplace(a.id, rr::normalise_company_name(a.name));
    for (auto _ : state) {
        double sum = 0;
        for (const auto& r : p.referrals)
            sum += rr::jaro_winkler(rr::normalise_company_name(r.referred.name),
                                    referrer_name.at(r.referrer_id));
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(p.referrals.size()));
}
BENCHMARK(BM_floor_name_similarity)->Unit(benchmark::kMillisecond)->UseRealTime();

// Floor 2: the referrals' indices sorted by date (the duplicate and velocity checks need it).
void BM_floor_sort_by_date(benchmark::State& state) {
    const auto& rs = program().program.referrals;
    for (auto _ : state) {
        std::vector<std::size_t> order(rs.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return rs[a].referred_on < rs[b].referred_on;
        });
        benchmark::DoNotOptimize(order.data());
    }
}
BENCHMARK(BM_floor_sort_by_date)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
