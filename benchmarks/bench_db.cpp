// The program database: import, open with the engine ready, durable writes, refresh.
//
//   bench_db [--benchmark_filter=...]
//
// REFMATCH_BENCH_PROGRAM names the large program directory (default /tmp/refmatch-big1m, made by
// `refmatch generate --seed 1 --references 1000000 --prospects 100000 --out /tmp/refmatch-big1m`);
// REFMATCH_BENCH_DIR a scratch directory on the disk to measure (default /tmp). Each figure has
// its baseline in the same run: loading the same program from its files, and one raw
// write + fdatasync of a file on the same disk.

#include <refmatch/db/database.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/io.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace refmatch;

namespace {

fs::path program_dir() {
    const char* p = std::getenv("REFMATCH_BENCH_PROGRAM");
    return p ? p : "/tmp/refmatch-big1m";
}
fs::path scratch_dir() {
    const char* p = std::getenv("REFMATCH_BENCH_DIR");
    return fs::path(p ? p : "/tmp") / "refmatch_bench_db";
}
fs::path large_db() {
    return scratch_dir() / "large.db";
}
fs::path small_db() {
    return scratch_dir() / "small.db";
}

recorded_by bench_user() {
    return {"bench", std::chrono::sys_seconds{std::chrono::hours{24 * 20000}}};
}

void remove_db(const fs::path& p) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
}

// The large program in a database, imported once per run (by BM_Import, or here).
void ensure_large_db() {
    if (fs::exists(large_db())) return;
    fs::create_directories(scratch_dir());
    database_options o;
    o.create = true;
    database(large_db(), o).import_program(program_dir(), bench_user());
}

// A use of a random reference of the program.
struct use_maker {
    std::vector<std::string> ids;
    std::mt19937_64 rng;
    use_maker(const program& p, std::uint64_t seed) : rng(seed) {
        p.references.for_each([&](const auto& r) { ids.emplace_back(r.id()); });
    }
    usage_event operator()() {
        return {ids[rng() % ids.size()], activity_id{static_cast<std::uint16_t>(rng() % 12)},
                "P-bench", *parse_date("2025-07-01")};
    }
};

// --- Baselines -------------------------------------------------------------------------------

void BM_LoadFilesWithEngine(benchmark::State& state) {
    for (auto _ : state) {
        auto p = load_program(program_dir());
        engine e(*p);
        benchmark::DoNotOptimize(e.stats().references);
    }
}
BENCHMARK(BM_LoadFilesWithEngine)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_FileFsync(benchmark::State& state) {
    fs::create_directories(scratch_dir());
    const auto path = scratch_dir() / "fsync.bin";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const std::string line(100, 'x');
    for (auto _ : state) {
        if (::write(fd, line.data(), line.size()) < 0 || ::fdatasync(fd) != 0)
            state.SkipWithError("write failed");
    }
    ::close(fd);
    fs::remove(path);
}
BENCHMARK(BM_FileFsync)->Unit(benchmark::kMicrosecond)->UseRealTime();

// --- The database ----------------------------------------------------------------------------

void BM_ImportLarge(benchmark::State& state) {
    for (auto _ : state) {
        remove_db(large_db());
        fs::create_directories(scratch_dir());
        database_options o;
        o.create = true;
        database db(large_db(), o);
        db.import_program(program_dir(), bench_user());
        benchmark::DoNotOptimize(db.program()->usage.size());
    }
}
BENCHMARK(BM_ImportLarge)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// The time until the engine is ready; freeing the program afterwards (a million records and
// their nodes) is not part of it, and is reported beside it as `teardown_ms`.
void BM_OpenLargeWithEngine(benchmark::State& state) {
    ensure_large_db();
    double teardown_ms = 0;
    for (auto _ : state) {
        auto db = std::make_unique<database>(large_db());
        auto e = std::make_unique<engine>(db->program());
        benchmark::DoNotOptimize(e->stats().references);
        state.PauseTiming();
        const auto start = std::chrono::steady_clock::now();
        e.reset();
        db.reset();
        teardown_ms +=
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        state.ResumeTiming();
    }
    state.counters["teardown_ms"] =
        benchmark::Counter(teardown_ms, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_OpenLargeWithEngine)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// One durable use per transaction (one WAL fsync each), on the sample-sized program.
void BM_RecordSingle(benchmark::State& state) {
    remove_db(small_db());
    fs::create_directories(scratch_dir());
    database_options o;
    o.create = true;
    database db(small_db(), o);
    db.import_program(fs::path(REFMATCH_SOURCE_DIR) / "src/data/sample", bench_user());
    use_maker use(*db.program(), 1);
    for (auto _ : state) benchmark::DoNotOptimize(db.record_usage(use(), bench_user()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordSingle)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Batches of range(0) uses in one transaction each; range(1): 0 the sample-sized program (a
// fresh file), 1 the large one (1M references, 4.76M uses).
void BM_RecordBatch(benchmark::State& state) {
    std::unique_ptr<database> db;
    if (state.range(1)) {
        ensure_large_db();
        db = std::make_unique<database>(large_db());
    } else {
        remove_db(small_db());
        fs::create_directories(scratch_dir());
        database_options o;
        o.create = true;
        db = std::make_unique<database>(small_db(), o);
        db->import_program(fs::path(REFMATCH_SOURCE_DIR) / "src/data/sample", bench_user());
    }
    use_maker use(*db->program(), 2);
    std::vector<usage_event> batch(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        state.PauseTiming();
        for (auto& e : batch) e = use();
        state.ResumeTiming();
        benchmark::DoNotOptimize(db->record_usage(batch, bench_user()));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RecordBatch)
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// After one use recorded by another connection: the database's refresh (data_version, then the
// new ledger row) and the engine's, on 1M references.
void BM_RefreshAfterOneUse(benchmark::State& state) {
    ensure_large_db();
    database reader(large_db());
    database writer(large_db());
    engine e(reader.program());
    use_maker use(*writer.program(), 3);
    for (auto _ : state) {
        state.PauseTiming();
        (void)writer.record_usage(use(), bench_user());
        state.ResumeTiming();
        if (!reader.refresh()) state.SkipWithError("the use was not seen");
        e.refresh();
    }
}
BENCHMARK(BM_RefreshAfterOneUse)->Unit(benchmark::kMicrosecond)->Iterations(200)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
