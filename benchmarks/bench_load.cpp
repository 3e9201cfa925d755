// Benchmarks of loading a program: CSV and JSON parsing (MB/s), the reference store's add_all,
// and the usage ledger (recording, quota queries, memory per event). Baselines in the same
// binary: libcsv on the same text (the reader refmatch used before) and the previous ledger
// layout (a hash map of id strings to per-activity day vectors, plus every event as strings).
// See docs/benchmarks.md for the figures and how to reproduce them.

#include "io/csv.hpp"
#include "io/tables.hpp"

#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>

#include <benchmark/benchmark.h>

#ifdef REFMATCH_BENCH_LIBCSV
#include <csv.h>
#endif

#include <chrono>
#include <malloc.h>
#include <map>
#include <memory>
#include <random>
#include <unordered_map>

namespace {

using namespace refmatch;

// One generated program per size; its tables as CSV and JSON text are made when first asked for.
struct fixture {
    std::unique_ptr<program> prog;
    std::vector<reference_customer> references;
    std::vector<usage_event> events;
    std::map<std::pair<int, file_format>, std::string> texts;
    date now;
};

fixture& program_of(std::size_t references) {
    static std::map<std::size_t, std::unique_ptr<fixture>> cache;
    auto& slot = cache[references];
    if (!slot) {
        slot = std::make_unique<fixture>();
        generator_options g;
        g.seed = 1;
        g.references = references;
        g.prospects = 10;
        slot->now = g.now;
        slot->prog = generate_program(g);
        slot->references = slot->prog->references.all();
        slot->events = slot->prog->usage.events();
    }
    return *slot;
}

constexpr std::size_t default_references = 100000;

// Table 0: references, 1: usage.
const std::string& text_of(fixture& f, int table, file_format format) {
    auto& text = f.texts[{table, format}];
    if (text.empty()) {
        const auto& v = *f.prog->vocab;
        text = table == 0 ? format_references(f.references, v, format)
                          : format_usage(f.events, v, format);
    }
    return text;
}

// Bytes in use on the heap (for memory per event).
std::size_t heap_in_use() {
    // Large blocks (a million records' vector) are mapped on their own, outside the arena.
    const auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

// --- CSV syntax alone: rows and fields, nothing built -------------------------------------------

void BM_CsvRead(benchmark::State& state) {
    const auto& text =
        text_of(program_of(default_references), static_cast<int>(state.range(0)), file_format::csv);
    const std::string file = "bench.csv";
    std::size_t fields = 0;
    for (auto _ : state) {
        detail::read_csv(
            text, file, [&](detail::csv_row& r) { fields += r.fields.size(); },
            [&](detail::csv_row& r) { fields += r.fields.size(); });
        benchmark::DoNotOptimize(fields);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.SetLabel(state.range(0) == 0 ? "references.csv" : "usage.csv");
}
BENCHMARK(BM_CsvRead)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

#ifdef REFMATCH_BENCH_LIBCSV
void BM_CsvRead_Libcsv(benchmark::State& state) {
    const auto& text =
        text_of(program_of(default_references), static_cast<int>(state.range(0)), file_format::csv);
    std::size_t fields = 0;
    for (auto _ : state) {
        csv_parser p;
        csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL);
        csv_set_space_func(&p, [](unsigned char) { return 0; });
        const auto on_field = [](void*, std::size_t, void* n) { ++*static_cast<std::size_t*>(n); };
        const auto on_row = [](int, void*) {};
        csv_parse(&p, text.data(), text.size(), on_field, on_row, &fields);
        csv_fini(&p, on_field, on_row, &fields);
        csv_free(&p);
        benchmark::DoNotOptimize(fields);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.SetLabel(state.range(0) == 0 ? "references.csv" : "usage.csv");
}
BENCHMARK(BM_CsvRead_Libcsv)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
#endif

// --- Whole tables: syntax, checks and records ---------------------------------------------------
//
// Large CSV texts are read on every core: the CPU time is the process's (all threads), so that
// bytes_per_second is the rate per core, and the wall time is the figure a load waits for.

template <file_format Format>
void BM_ParseReferences(benchmark::State& state) {
    auto& f = program_of(default_references);
    const auto& text = text_of(f, 0, Format);
    double freeing = 0;
    for (auto _ : state) {
        auto refs = parse_references(text, Format, *f.prog->vocab);
        benchmark::DoNotOptimize(refs.data());
        // Freeing the records is not parsing them (it is reported on its own). And the heap is
        // settled before the next parse, as a load finds it: otherwise the next large allocation
        // sorts all of this parse's freed blocks first, on the parse's time.
        state.PauseTiming();
        const auto start = std::chrono::steady_clock::now();
        refs = {};
        malloc_trim(0);
        freeing +=
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["records"] = static_cast<double>(f.references.size());
    state.counters["free_ms"] = freeing / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseReferences<file_format::csv>)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();
BENCHMARK(BM_ParseReferences<file_format::json>)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

// References as load_program reads them: packed as they are read (reference_batch.hpp).
template <file_format Format>
void BM_ParseReferenceBatch(benchmark::State& state) {
    auto& f = program_of(default_references);
    const auto& text = text_of(f, 0, Format);
    for (auto _ : state) {
        auto batch = detail::parse_reference_batch(text, Format, *f.prog->vocab, {});
        benchmark::DoNotOptimize(batch.size());
        state.PauseTiming();  // freeing the batch: a few large blocks
        batch = {};
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["records"] = static_cast<double>(f.references.size());
}
BENCHMARK(BM_ParseReferenceBatch<file_format::csv>)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

// Usage as load_program reads it: straight into a batch for the ledger.
template <file_format Format>
void BM_ParseUsage(benchmark::State& state) {
    auto& f = program_of(default_references);
    const auto& text = text_of(f, 1, Format);
    for (auto _ : state) {
        auto batch = detail::parse_usage_batch(text, Format, *f.prog->vocab, {}, {});
        benchmark::DoNotOptimize(batch.size());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["records"] = static_cast<double>(f.events.size());
}
BENCHMARK(BM_ParseUsage<file_format::csv>)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_ParseUsage<file_format::json>)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// --- The reference store ------------------------------------------------------------------------

// add_all of what `input(records)` makes of the program's records, untimed. The counter is
// what the store keeps per reference: the packed record, resolved codes, nodes of its five
// indices.
template <class Input>
void add_all_of(benchmark::State& state, Input&& input) {
    const auto& f = program_of(static_cast<std::size_t>(state.range(0)));
    std::size_t held = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const auto before = heap_in_use();
        auto records = input(f.references);
        auto store = std::make_unique<reference_store>(f.prog->vocab);
        state.ResumeTiming();
        store->add_all(std::move(records));
        benchmark::DoNotOptimize(store->size());
        state.PauseTiming();            // the store's destruction is not part of add_all
        held = heap_in_use() - before;  // what the store keeps
        store.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.references.size()));
    state.counters["bytes_per_reference"] =
        static_cast<double>(held) / static_cast<double>(f.references.size());
}

// A vector of records, which add_all packs (and frees) as it takes them.
void BM_AddAll(benchmark::State& state) {
    add_all_of(state, [](const std::vector<reference_customer>& r) { return r; });
}
BENCHMARK(BM_AddAll)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

// A packed batch, as a program loads: the store keeps the batch's bytes.
void BM_AddAllPacked(benchmark::State& state) {
    add_all_of(state, [](const std::vector<reference_customer>& r) { return reference_batch(r); });
}
BENCHMARK(BM_AddAllPacked)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

// --- The usage ledger ---------------------------------------------------------------------------

// The ledger as it was before ids were interned and days stored in columns: every event kept as
// strings, and a hash map from reference id to per-activity sorted day vectors.
class legacy_ledger {
public:
    void record(usage_event e) {
        auto& list = index_[e.reference_id];
        auto it = std::find_if(list.begin(), list.end(),
                               [&](const auto& x) { return x.activity == e.activity; });
        if (it == list.end()) {
            list.push_back({e.activity, {}});
            it = list.end() - 1;
        }
        it->days.insert(std::upper_bound(it->days.begin(), it->days.end(), e.day), e.day);
        events_.push_back(std::move(e));
    }
    std::uint32_t used(std::string_view reference, activity_id a, std::uint32_t window,
                       date now) const {
        const auto it = index_.find(std::string(reference));
        if (it == index_.end()) return 0;
        for (const auto& x : it->second) {
            if (x.activity != a) continue;
            const auto hi = std::upper_bound(x.days.begin(), x.days.end(), now);
            const auto lo = std::upper_bound(x.days.begin(), hi, now - std::chrono::days(window));
            return static_cast<std::uint32_t>(hi - lo);
        }
        return 0;
    }

private:
    struct activity_days {
        activity_id activity;
        std::vector<date> days;
    };
    std::vector<usage_event> events_;
    std::unordered_map<std::string, std::vector<activity_days>> index_;
};

void BM_LedgerRecordAll(benchmark::State& state) {
    const auto& f = program_of(default_references);
    double bytes = 0;
    for (auto _ : state) {
        const auto before = heap_in_use();
        auto ledger = std::make_unique<usage_ledger>();
        {
            usage_batch batch;
            for (const auto& e : f.events) batch.add(e);
            ledger->record_all(std::move(batch));
        }
        bytes = static_cast<double>(heap_in_use() - before);
        benchmark::DoNotOptimize(ledger->size());
        state.PauseTiming();
        ledger.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.events.size()));
    state.counters["bytes_per_event"] = bytes / static_cast<double>(f.events.size());
}
BENCHMARK(BM_LedgerRecordAll)->Unit(benchmark::kMillisecond);

void BM_LedgerRecordAll_Legacy(benchmark::State& state) {
    const auto& f = program_of(default_references);
    double bytes = 0;
    for (auto _ : state) {
        const auto before = heap_in_use();
        auto ledger = std::make_unique<legacy_ledger>();
        for (const auto& e : f.events) ledger->record(e);
        bytes = static_cast<double>(heap_in_use() - before);
        state.PauseTiming();
        ledger.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.events.size()));
    state.counters["bytes_per_event"] = bytes / static_cast<double>(f.events.size());
}
BENCHMARK(BM_LedgerRecordAll_Legacy)->Unit(benchmark::kMillisecond);

// Quota questions for random references and activities, as the engine and stats ask them.
struct query {
    std::string reference;
    activity_id activity;
};
std::vector<query> queries_of(const fixture& f) {
    std::mt19937 rng(5);
    std::vector<query> out;
    for (int i = 0; i < 4096; ++i)
        out.push_back({f.references[rng() % f.references.size()].id,
                       activity_id{static_cast<std::uint16_t>(rng() % activity::standard_count)}});
    return out;
}

void BM_LedgerSummary(benchmark::State& state) {
    const auto& f = program_of(default_references);
    const auto queries = queries_of(f);
    const auto reader = f.prog->usage.read();
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& q = queries[i++ % queries.size()];
        benchmark::DoNotOptimize(reader.summary(q.reference, q.activity, 365, f.now));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LedgerSummary);

void BM_LedgerUsed(benchmark::State& state) {
    const auto& f = program_of(default_references);
    const auto queries = queries_of(f);
    const auto reader = f.prog->usage.read();
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& q = queries[i++ % queries.size()];
        benchmark::DoNotOptimize(reader.used(q.reference, q.activity, 365, f.now));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LedgerUsed);

void BM_LedgerUsed_Legacy(benchmark::State& state) {
    const auto& f = program_of(default_references);
    const auto queries = queries_of(f);
    legacy_ledger ledger;
    for (const auto& e : f.events) ledger.record(e);
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& q = queries[i++ % queries.size()];
        benchmark::DoNotOptimize(ledger.used(q.reference, q.activity, 365, f.now));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LedgerUsed_Legacy);

}  // namespace

BENCHMARK_MAIN();
