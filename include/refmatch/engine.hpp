#pragma once
/// @file engine.hpp
/// The matching engine: the exact top-k eligible references for a prospect (scoring.md), one at
/// a time or in multi-threaded batches. docs/engine.md describes how it works and what it
/// guarantees.

#include <refmatch/detail/engine/match_explain.hpp>
#include <refmatch/detail/engine/match_snapshot.hpp>
#include <refmatch/detail/engine/scan_kernels.hpp>
#include <refmatch/error.hpp>
#include <refmatch/match.hpp>
#include <refmatch/program.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace refmatch {

/// Which version of the inner loop runs. All give identical results; `automatic` picks the best
/// the processor supports (AVX-512, then AVX2, then scalar).
enum class scan_kernel : std::uint8_t { automatic, scalar, avx2, avx512 };

[[nodiscard]] inline std::string_view to_string(scan_kernel k) {
    switch (k) {
        case scan_kernel::scalar:
            return "scalar";
        case scan_kernel::avx2:
            return "avx2";
        case scan_kernel::avx512:
            return "avx512";
        default:
            return "automatic";
    }
}

/// True if this processor can run kernel `k` (`automatic` and `scalar` always can).
[[nodiscard]] inline bool scan_kernel_supported(scan_kernel k) {
#if REFMATCH_X86_SIMD
    switch (k) {
        case scan_kernel::avx2:
            return __builtin_cpu_supports("avx2");
        case scan_kernel::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl");
        default:
            return true;
    }
#else
    return k == scan_kernel::automatic || k == scan_kernel::scalar;
#endif
}

/// The kernel `automatic` resolves to on this processor.
[[nodiscard]] inline scan_kernel best_scan_kernel() {
    if (scan_kernel_supported(scan_kernel::avx512)) return scan_kernel::avx512;
    if (scan_kernel_supported(scan_kernel::avx2)) return scan_kernel::avx2;
    return scan_kernel::scalar;
}

/// How an engine is built.
struct engine_options {
    /// Force a kernel (tests and benchmarks compare them). @throws validation_error at
    /// construction if the processor cannot run it.
    scan_kernel kernel = scan_kernel::automatic;
};

/// How a batch runs.
struct batch_options {
    /// Worker threads; 0 means one per hardware thread. The results do not depend on it.
    std::size_t threads = 0;
    /// Called on the calling thread about every `progress_interval` and once at the end with the
    /// number of prospects done and the total; return false to cancel the batch.
    std::function<bool(std::size_t done, std::size_t total)> progress;
    std::chrono::milliseconds progress_interval{200};
    /// Cancels the batch when stop is requested.
    std::stop_token stop;
};

/// Thrown by `engine::match_batch` when the batch was cancelled (by `batch_options::stop` or by
/// the progress callback returning false). No partial result is returned.
class match_cancelled : public error {
public:
    match_cancelled() : error("match batch cancelled") {}
};

/// What a snapshot holds; `scoring_bytes / references` is the bytes per reference the inner loop
/// reads (strings and records excepted).
struct snapshot_stats {
    std::uint64_t version = 0;          ///< the reference store's version it was built from
    std::size_t references = 0;         ///< active references (the only ones ever matched)
    std::size_t stored_references = 0;  ///< all references of the store at that version
    std::size_t industry_codes = 0;     ///< distinct industry codes in use
    std::size_t geography_codes = 0;    ///< distinct geography codes in use
    std::size_t product_sets = 0;       ///< distinct product sets in use
    std::size_t scoring_bytes = 0;      ///< bytes of the per-reference columns
    [[nodiscard]] double bytes_per_reference() const {
        return references ? static_cast<double>(scoring_bytes) / static_cast<double>(references)
                          : 0.0;
    }
};

/// The matching engine of one program.
///
/// It scores against a *snapshot* of the program's active references, a columnar copy built at
/// construction and by `refresh()`. Usage events are read live from the program's ledger, so a
/// use recorded with `program::record_usage` shows in the very next match; reference additions,
/// updates and removals show after `refresh()`. The program's `quotas` are read at each match.
///
/// **Complexity:** construction and a rebuilding `refresh` O(n log n) for n references.
/// `match` O(n) for the scan (a few table reads per reference, SIMD) + O(c log k) exact checks
/// for the c candidates the running threshold lets through (typically ≈ k·ln(n/k)) + per-prospect
/// tables O(codes in use + sets touched by the prospect's products).
///
/// **Thread safety:** every member may be called concurrently, `refresh` included: a match
/// works on the snapshot current when it starts (refresh swaps a shared pointer; matches in
/// flight keep the old snapshot alive), and holds a shared lock on the usage ledger for its
/// duration, so it sees one consistent ledger state; `record_usage` waits for it. The program
/// must outlive the engine (or be passed as a shared_ptr).
class engine {
public:
    /// Builds the snapshot of `p`. @throws validation_error if `options.kernel` cannot run here.
    explicit engine(const program& p, engine_options options = {})
        : engine(std::shared_ptr<const program>(std::shared_ptr<const program>{}, &p), options) {}
    explicit engine(std::shared_ptr<const program> p, engine_options options = {})
        : program_(std::move(p)) {
        if (!program_) throw validation_error("an engine needs a program");
        if (!scan_kernel_supported(options.kernel))
            throw validation_error("engine options", "kernel", "a kernel this processor supports",
                                   std::string(to_string(options.kernel)));
        kernel_ = options.kernel == scan_kernel::automatic ? best_scan_kernel() : options.kernel;
        snapshot_ = detail::match_snapshot::build(program_->references);
    }

    /// The exact top-k eligible references for `p`, best first (ties by ascending id).
    /// Fewer than k come back when fewer are eligible.
    /// @throws validation_error for invalid options, an unknown code in `p`, or an activity in
    ///         force without `options.now`.
    [[nodiscard]] std::vector<match_result> match(const prospect& p, std::size_t k,
                                                  const match_options& options = {}) const {
        options.validate();
        const auto snap = snapshot();
        auto ws = acquire_workspace(*snap);
        auto out = match_one(*snap, *ws, p, k, options);
        release_workspace(std::move(ws));
        return out;
    }

    /// Matches the prospect with this id in the program's prospect store.
    /// @throws not_found_error for an unknown id; as `match` otherwise.
    [[nodiscard]] std::vector<match_result> match(std::string_view prospect_id, std::size_t k,
                                                  const match_options& options = {}) const {
        return match(program_->prospects.at(prospect_id), k, options);
    }

    /// `match` for many prospects on several threads. `result[i]` is exactly
    /// `match(prospects[i], k, options)`, whatever the thread count.
    /// @throws validation_error before any work for invalid options or prospects;
    ///         match_cancelled when cancelled.
    [[nodiscard]] std::vector<std::vector<match_result>> match_batch(
        std::span<const prospect> prospects, std::size_t k, const match_options& options = {},
        const batch_options& batch = {}) const;

    /// Rebuilds the snapshot if the reference store changed since it was built; returns whether
    /// it did. Cheap (one version comparison) when nothing changed.
    bool refresh() {
        std::lock_guard refresh_lock(refresh_mutex_);
        if (program_->references.version() == snapshot()->version) return false;
        auto fresh = detail::match_snapshot::build(program_->references);
        std::lock_guard lock(mutex_);
        snapshot_ = std::move(fresh);
        workspaces_.clear();
        return true;
    }
    /// True if the reference store changed since the snapshot was built.
    [[nodiscard]] bool stale() const {
        return program_->references.version() != snapshot()->version;
    }

    [[nodiscard]] snapshot_stats stats() const {
        const auto s = snapshot();
        snapshot_stats out;
        out.version = s->version;
        out.references = s->size_count();
        out.stored_references = s->stored_references;
        out.industry_codes = s->industries.node.size() - 1;
        out.geography_codes = s->geographies.node.size() - 1;
        out.product_sets = s->product_set_count();
        out.scoring_bytes = s->scoring_bytes();
        return out;
    }
    /// The kernel in use.
    [[nodiscard]] scan_kernel kernel() const noexcept { return kernel_; }
    [[nodiscard]] const program& source() const noexcept { return *program_; }

private:
    using workspace_ptr = std::unique_ptr<detail::match_workspace>;

    std::shared_ptr<const detail::match_snapshot> snapshot() const {
        std::lock_guard lock(mutex_);
        return snapshot_;
    }
    workspace_ptr acquire_workspace(const detail::match_snapshot& s) const {
        workspace_ptr ws;
        {
            std::lock_guard lock(mutex_);
            if (!workspaces_.empty()) {
                ws = std::move(workspaces_.back());
                workspaces_.pop_back();
            }
        }
        if (!ws) ws = std::make_unique<detail::match_workspace>();
        ws->prepare(s);
        return ws;
    }
    void release_workspace(workspace_ptr ws) const {
        std::lock_guard lock(mutex_);
        if (workspaces_.size() < 64) workspaces_.push_back(std::move(ws));
    }

    std::vector<match_result> match_one(const detail::match_snapshot& s,
                                        detail::match_workspace& ws, const prospect& p,
                                        std::size_t k, const match_options& options) const;

    std::shared_ptr<const program> program_;
    scan_kernel kernel_ = scan_kernel::scalar;
    mutable std::mutex mutex_;  // guards snapshot_ and workspaces_
    std::mutex refresh_mutex_;
    std::shared_ptr<const detail::match_snapshot> snapshot_;
    mutable std::vector<workspace_ptr> workspaces_;
};

namespace detail {

// Everything one match needs while scanning; the exact check of a candidate lives here.
struct match_run {
    const match_snapshot& snap;
    match_workspace& ws;
    const program& prog;
    const match_options& options;
    std::size_t k;
    std::optional<activity_id> activity;
    date now{};
    std::optional<usage_ledger::reader> ledger;
    std::uint32_t requested = 0;  // |P|
    double weight_sum = 1.0;
    std::vector<ranked> heap;

    [[nodiscard]] double product_value(std::uint32_t set) const {
        return requested == 0
                   ? 0.0
                   : static_cast<double>(ws.product_count[set]) / static_cast<double>(requested);
    }
    [[nodiscard]] bool product_ok(std::uint32_t set) const {
        return !options.cover_all_products || ws.product_count[set] == requested;
    }
    // scoring.md's base score, added in its order, from the same doubles as the components.
    [[nodiscard]] double base_of(std::uint32_t i) const {
        const auto& w = options.weights;
        return (w.industry * ws.industry_c[snap.industry[i]] +
                w.product * product_value(snap.product_set[i]) +
                w.geography * ws.geography_c[snap.geography[i]] +
                w.size * ws.size_c[snap.size[i]]) /
               weight_sum;
    }
    [[nodiscard]] bool filters_ok(std::uint32_t i) const {
        return ws.industry_ok[snap.industry[i]] && ws.geography_ok[snap.geography[i]] &&
               ws.size_ok[snap.size[i]] && product_ok(snap.product_set[i]);
    }
    [[nodiscard]] std::int32_t threshold() const {
        if (heap.size() < k || k == 0) return initial_threshold();
        const double t = std::floor(heap.front().final_score * match_workspace::scale);
        return static_cast<std::int32_t>(std::clamp(t, -1.0e9, 1.0e9));
    }
    [[nodiscard]] std::int32_t initial_threshold() const {
        if (!options.min_score || *options.min_score <= 0.0) return -(1 << 26);
        const double t = std::floor(*options.min_score * match_workspace::scale);
        return static_cast<std::int32_t>(std::min(t, 1.0e9));
    }

    std::int32_t check(std::uint32_t i) {
        const double base = base_of(i);
        const bool full = heap.size() >= k;
        // Positions are visited in increasing order, so a tie with the current worst loses.
        if (full && !(base > heap.front().final_score)) return threshold();
        if (!filters_ok(i)) return threshold();
        if (!ws.excluded.empty() && std::binary_search(ws.excluded.begin(), ws.excluded.end(), i))
            return threshold();
        const reference_customer& r = snap.records[i];
        double factor = 1.0;
        std::uint32_t used = 0;
        if (activity) {
            const quota_state q = evaluate_quota(r, *activity, prog.quotas, *ledger, now);
            if (!q.eligible()) return threshold();
            used = q.used;
            factor = 1.0 - options.fatigue_weight * q.utilisation;
        }
        const double final_score = base * factor;
        if (options.min_score && !(final_score >= *options.min_score)) return threshold();
        const ranked entry{final_score, i, used};
        if (full && !(entry < heap.front())) return threshold();
        if (options.predicate && !options.predicate(r)) return threshold();
        if (full) {
            std::pop_heap(heap.begin(), heap.end());
            heap.back() = entry;
        } else {
            heap.push_back(entry);
        }
        std::push_heap(heap.begin(), heap.end());
        return threshold();
    }
    static std::int32_t on_candidate(void* self, std::uint32_t i) {
        return static_cast<match_run*>(self)->check(i);
    }
};

// Fills the per-local-code component values of one taxonomy: lca depth with the prospect's code
// by walking the prospect's ancestors (each one's subtree is a contiguous range of local codes),
// then Wu–Palmer from depths.
inline void fill_taxonomy_tables(const taxonomy& t, const match_snapshot::code_dictionary& dict,
                                 taxonomy::node_id target, std::vector<double>& value,
                                 std::vector<std::uint8_t>& lca) {
    const std::size_t n = dict.node.size();
    value.assign(n, 0.0);
    lca.assign(n, 0);
    if (target == taxonomy::npos) return;
    for (auto a = target; a != t.root() && a != taxonomy::npos; a = t.parent(a)) {
        const auto lo = t.preorder(a);
        const auto hi = lo + t.subtree_size(a);
        const auto first = std::lower_bound(dict.preorder.begin() + 1, dict.preorder.end(), lo);
        const auto last = std::lower_bound(first, dict.preorder.end(), hi);
        const auto d = static_cast<std::uint8_t>(t.depth(a));
        for (auto it = first; it != last; ++it) {
            auto& slot = lca[static_cast<std::size_t>(it - dict.preorder.begin())];
            slot = std::max(slot, d);
        }
    }
    const std::uint32_t target_depth = t.depth(target);
    for (std::size_t l = 1; l < n; ++l) {
        if (dict.node[l] == target)
            value[l] = 1.0;
        else if (lca[l] > 0)
            value[l] = taxonomy::wu_palmer(lca[l], target_depth, dict.depth[l]);
    }
}

// The activity a match applies (the options', else the prospect's), checked.
inline std::optional<activity_id> activity_in_force(const match_options& options, const prospect& p,
                                                    const vocabulary& v) {
    const std::optional<activity_id> a =
        options.activity ? options.activity
                         : (options.use_prospect_activity ? p.activity : std::nullopt);
    if (a) {
        if (a->value >= v.activities.size())
            throw validation_error("match options", "activity", "a registered activity type",
                                   std::to_string(a->value));
        if (!options.now)
            throw validation_error("match options", "now", "a date when an activity is given",
                                   "no date");
    }
    return a;
}

inline std::int32_t quantise(double weight, double value, double weight_sum) {
    // floor(x)+2 is at least x+1: a margin far above the rounding error of the exact sum.
    return static_cast<std::int32_t>(
               std::floor(weight * value / weight_sum * match_workspace::scale)) +
           2;
}

}  // namespace detail

inline std::vector<match_result> engine::match_one(const detail::match_snapshot& s,
                                                   detail::match_workspace& ws, const prospect& p,
                                                   std::size_t k,
                                                   const match_options& options) const {
    const vocabulary& v = *s.vocab;
    const resolved_codes codes =
        v.resolve("prospect '" + p.id + "'", p.industry, p.country, p.products, p.size);
    detail::match_run run{s, ws, *program_, options, k, {}, {}, {}, 0, options.weights.sum(), {}};
    run.activity = detail::activity_in_force(options, p, v);
    if (run.activity) run.now = *options.now;
    if (k == 0 || s.size_count() == 0) return {};
    run.requested = static_cast<std::uint32_t>(codes.products.size());

    // Per-prospect tables.
    detail::fill_taxonomy_tables(v.industries, s.industries, codes.industry, ws.industry_c,
                                 ws.industry_lca);
    detail::fill_taxonomy_tables(v.geography, s.geographies, codes.geography, ws.geography_c,
                                 ws.geography_lca);
    const auto& w = options.weights;
    const double wsum = run.weight_sum;
    const auto fill_q = [&](const std::vector<double>& c, std::vector<char>& ok,
                            std::vector<std::int32_t>& q, double weight) {
        q.resize(c.size());
        for (std::size_t l = 0; l < c.size(); ++l)
            q[l] = ok[l] ? detail::quantise(weight, c[l], wsum) : detail::match_workspace::reject;
    };
    ws.industry_ok.assign(ws.industry_c.size(), 1);
    if (options.same_sector)
        for (std::size_t l = 0; l < ws.industry_ok.size(); ++l)
            ws.industry_ok[l] = static_cast<char>(ws.industry_lca[l] >= 1);
    fill_q(ws.industry_c, ws.industry_ok, ws.industry_q, w.industry);
    ws.geography_ok.assign(ws.geography_c.size(), 1);
    switch (options.same_geography) {
        case geography_level::none:
            break;
        case geography_level::region:
        case geography_level::sub_region: {
            const std::uint8_t need = options.same_geography == geography_level::region ? 1 : 2;
            for (std::size_t l = 0; l < ws.geography_ok.size(); ++l)
                ws.geography_ok[l] = static_cast<char>(ws.geography_lca[l] >= need);
            break;
        }
        case geography_level::country:
            for (std::size_t l = 0; l < ws.geography_ok.size(); ++l)
                ws.geography_ok[l] = static_cast<char>(codes.geography != taxonomy::npos &&
                                                       s.geographies.node[l] == codes.geography);
            break;
    }
    fill_q(ws.geography_c, ws.geography_ok, ws.geography_q, w.geography);
    const std::size_t size_entries = v.sizes.count() + 1u;
    ws.size_c.assign(size_entries, 0.0);
    ws.size_ok.assign(size_entries, 1);
    for (std::size_t b = 1; b < size_entries; ++b)
        ws.size_c[b] = v.sizes.closeness(p.size, static_cast<std::uint8_t>(b - 1));
    fill_q(ws.size_c, ws.size_ok, ws.size_q, w.size);
    ws.size_q.resize(std::max<std::size_t>(size_entries, 16), detail::match_workspace::reject);

    // Products: count |P ∩ set| for the sets holding a product of interest (the others are 0).
    for (const auto prod : codes.products) {
        if (prod + 1u >= s.sets_of_product_offsets.size()) continue;
        for (auto j = s.sets_of_product_offsets[prod]; j < s.sets_of_product_offsets[prod + 1];
             ++j) {
            const auto set = s.sets_of_product[j];
            if (ws.product_count[set]++ == 0) ws.touched_sets.push_back(set);
        }
    }
    const bool cover_all = options.cover_all_products && run.requested > 0;
    if (cover_all) {
        std::fill(ws.product_q.begin(), ws.product_q.end(), detail::match_workspace::reject);
        ws.product_q_clean = false;
    } else if (!ws.product_q_clean) {
        std::fill(ws.product_q.begin(), ws.product_q.end(), 0);
        ws.product_q_clean = true;
    }
    // An untouched set covers 0 products, whose contribution quantise(w, 0) is the constant 2:
    // product_q keeps 0 there (so it stays clean between prospects) and the constant moves into
    // the size table, which every reference reads too.
    for (const auto set : ws.touched_sets)
        ws.product_q[set] = run.product_ok(set)
                                ? detail::quantise(w.product, run.product_value(set), wsum) - 2
                                : detail::match_workspace::reject;
    for (std::size_t b = 0; b < size_entries; ++b)
        if (ws.size_q[b] != detail::match_workspace::reject) ws.size_q[b] += 2;
    if (!cover_all && !ws.touched_sets.empty()) ws.product_q_clean = false;

    ws.excluded.clear();
    for (const auto* list : {&p.exclusions, &options.exclusions})
        for (const auto& id : *list)
            if (const auto pos = s.position(id); pos != std::numeric_limits<std::uint32_t>::max())
                ws.excluded.push_back(pos);
    std::sort(ws.excluded.begin(), ws.excluded.end());

    if (run.activity) run.ledger.emplace(program_->usage.read());
    run.heap.reserve(std::min(k, s.size_count()));

    const detail::scan_input in{s.industry.data(),
                                s.geography.data(),
                                s.size.data(),
                                s.product_set.data(),
                                s.consent.data(),
                                ws.industry_q.data(),
                                ws.geography_q.data(),
                                ws.size_q.data(),
                                ws.product_q.data(),
                                static_cast<std::uint32_t>(size_entries),
                                static_cast<std::uint16_t>(run.activity && run.activity->value < 16
                                                               ? (1u << run.activity->value)
                                                               : 0u)};
    const auto n = static_cast<std::uint32_t>(s.size_count());
    const std::int32_t start = run.initial_threshold();
    switch (kernel_) {
#if REFMATCH_X86_SIMD
        case scan_kernel::avx512:
            detail::scan_avx512(in, 0, n, start, &run, &detail::match_run::on_candidate);
            break;
        case scan_kernel::avx2:
            detail::scan_avx2(in, 0, n, start, &run, &detail::match_run::on_candidate);
            break;
#endif
        default:
            detail::scan_scalar(in, 0, n, start, &run, &detail::match_run::on_candidate);
    }

    std::sort_heap(run.heap.begin(), run.heap.end());
    std::vector<match_result> out;
    out.reserve(run.heap.size());
    for (const auto& e : run.heap) {
        const auto i = e.position;
        const auto& rec = s.records[i];
        match_result r;
        r.reference_id = rec.id;
        r.final_score = e.final_score;
        r.base_score = run.base_of(i);
        r.components = {ws.industry_c[s.industry[i]], run.product_value(s.product_set[i]),
                        ws.geography_c[s.geography[i]], ws.size_c[s.size[i]]};
        r.weights = options.weights;
        r.products_matched = ws.product_count[s.product_set[i]];
        r.products_requested = run.requested;
        if (run.activity) {
            const quota_state q =
                evaluate_quota(rec, *run.activity, program_->quotas, *run.ledger, run.now);
            r.fatigue_factor = 1.0 - options.fatigue_weight * q.utilisation;
            r.quota = q;
        }
        if (options.explain)
            r.reason = detail::make_reason(s, ws, codes, p.size, i, r, run.activity, v.activities);
        out.push_back(std::move(r));
    }

    // Leave the product tables clean for the next prospect.
    for (const auto set : ws.touched_sets) {
        ws.product_count[set] = 0;
        if (!cover_all) ws.product_q[set] = 0;
    }
    if (!cover_all) ws.product_q_clean = true;
    ws.touched_sets.clear();
    return out;
}

inline std::vector<std::vector<match_result>> engine::match_batch(
    std::span<const prospect> prospects, std::size_t k, const match_options& options,
    const batch_options& batch) const {
    options.validate();
    const auto snap = snapshot();
    const vocabulary& v = *snap->vocab;
    // Validate every prospect first, so that errors surface before any work and from here.
    for (const auto& p : prospects) {
        (void)v.resolve("prospect '" + p.id + "'", p.industry, p.country, p.products, p.size);
        (void)detail::activity_in_force(options, p, v);
    }
    std::vector<std::vector<match_result>> out(prospects.size());
    std::size_t threads = batch.threads ? batch.threads : std::thread::hardware_concurrency();
    threads = std::max<std::size_t>(1, std::min(threads, prospects.size()));

    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> cancelled{false};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto work = [&] {
        auto ws = acquire_workspace(*snap);
        try {
            for (;;) {
                if (cancelled.load(std::memory_order_relaxed)) break;
                const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
                if (i >= prospects.size()) break;
                out[i] = match_one(*snap, *ws, prospects[i], k, options);
                done.fetch_add(1, std::memory_order_relaxed);
            }
        } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            cancelled = true;
        }
        release_workspace(std::move(ws));
    };

    const auto keep_going = [&]() -> bool {
        if (batch.stop.stop_requested()) return false;
        if (batch.progress && !batch.progress(done.load(), prospects.size())) return false;
        return true;
    };

    if (threads <= 1) {
        // Work on the calling thread, reporting progress between prospects.
        auto ws = acquire_workspace(*snap);
        auto last = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < prospects.size(); ++i) {
            if (batch.stop.stop_requested()) throw match_cancelled();
            const auto now = std::chrono::steady_clock::now();
            if (batch.progress && now - last >= batch.progress_interval) {
                last = now;
                if (!batch.progress(i, prospects.size())) throw match_cancelled();
            }
            out[i] = match_one(*snap, *ws, prospects[i], k, options);
        }
        release_workspace(std::move(ws));
        if (batch.progress && !batch.progress(prospects.size(), prospects.size()))
            throw match_cancelled();
        return out;
    }

    std::vector<std::thread> pool;
    pool.reserve(threads);
    std::mutex wait_mutex;
    std::condition_variable finished;
    std::atomic<std::size_t> running{threads};
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            work();
            if (running.fetch_sub(1) == 1) {
                std::lock_guard lock(wait_mutex);
                finished.notify_all();
            }
        });
    // The calling thread reports progress and watches for cancellation; an exception from the
    // progress callback stops the workers and is rethrown once they are joined.
    bool user_cancel = false;
    std::exception_ptr callback_failure;
    {
        std::unique_lock lock(wait_mutex);
        while (running.load() != 0) {
            finished.wait_for(lock, batch.progress_interval, [&] { return running.load() == 0; });
            if (running.load() == 0) break;
            lock.unlock();
            if (!user_cancel) {
                try {
                    if (!keep_going()) user_cancel = true;
                } catch (...) {
                    callback_failure = std::current_exception();
                    user_cancel = true;
                }
                if (user_cancel) cancelled = true;
            }
            lock.lock();
        }
    }
    for (auto& t : pool) t.join();
    if (callback_failure) std::rethrow_exception(callback_failure);
    if (failure) std::rethrow_exception(failure);
    if (user_cancel) throw match_cancelled();
    if (!keep_going()) throw match_cancelled();
    return out;
}

}  // namespace refmatch
