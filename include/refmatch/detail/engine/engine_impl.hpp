#pragma once
// The definitions of refmatch::engine's members (included at the end of engine.hpp): the
// snapshot and workspace pool, one match as its named steps, and batches on a thread pool.

#include <refmatch/detail/engine/match_run.hpp>
#include <refmatch/detail/engine/match_why.hpp>
#include <refmatch/engine.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace refmatch {

inline engine::engine(const program& p, engine_options options)
    : engine(std::shared_ptr<const program>(std::shared_ptr<const program>{}, &p), options) {}

inline engine::engine(std::shared_ptr<const program> p, engine_options options)
    : program_(std::move(p)) {
    if (!program_) throw validation_error("an engine needs a program");
    if (!scan_kernel_supported(options.kernel))
        throw validation_error("engine options", "kernel", "a kernel this processor supports",
                               std::string(to_string(options.kernel)));
    kernel_ = options.kernel == scan_kernel::automatic ? best_scan_kernel() : options.kernel;
    snapshot_ = detail::match_snapshot::build(program_->references);
}

inline std::vector<match_result> engine::match(const prospect& p, std::size_t k,
                                               const match_options& options) const {
    options.validate();
    const auto snap = snapshot();
    const resolved_codes codes = detail::resolve_prospect(*snap->vocab, p);
    auto ws = acquire_workspace(*snap);
    auto out = match_one(*snap, *ws, p, codes, k, options);
    release_workspace(std::move(ws));
    return out;
}

inline std::vector<match_result> engine::match(std::string_view prospect_id, std::size_t k,
                                               const match_options& options) const {
    const stored_prospect stored = program_->prospects.stored_at(prospect_id);
    const auto snap = snapshot();
    // The store resolved the codes against the program's vocabulary, the snapshot's too.
    if (&program_->prospects.vocab() != snap->vocab.get())
        return match(stored.record(), k, options);
    options.validate();
    auto ws = acquire_workspace(*snap);
    auto out = match_one(*snap, *ws, stored.record(), stored.codes, k, options);
    release_workspace(std::move(ws));
    return out;
}

inline reference_explanation engine::explain(const prospect& p, std::string_view reference_id,
                                             std::size_t k, const match_options& options) const {
    options.validate();
    const auto snap = snapshot();
    const resolved_codes codes = detail::resolve_prospect(*snap->vocab, p);
    const auto activity = detail::activity_in_force(options, p, *snap->vocab);
    const auto pos = snap->position(reference_id);
    const bool in_snapshot = pos != std::numeric_limits<std::uint32_t>::max();
    const reference_customer record =
        in_snapshot ? snap->record(pos).unpack() : program_->references.at(reference_id);
    auto out = detail::assess_reference(*program_, snap->vocab, record, in_snapshot, p, codes,
                                        options, activity);
    match_options quiet = options;
    quiet.explain = false;
    const auto top = match(p, k, quiet);
    std::vector<match_result> at_or_above;
    if (out.eligible) {
        quiet.min_score =
            std::max(options.min_score.value_or(out.score.final_score), out.score.final_score);
        at_or_above = match(p, snap->size_count(), quiet);
    }
    detail::rank_reference(out, k, top, at_or_above);
    return out;
}

inline reference_explanation engine::explain(std::string_view prospect_id,
                                             std::string_view reference_id, std::size_t k,
                                             const match_options& options) const {
    return explain(program_->prospects.at(prospect_id), reference_id, k, options);
}

inline bool engine::refresh() {
    std::lock_guard refresh_lock(refresh_mutex_);
    if (program_->references.version() == snapshot()->version) return false;
    auto fresh = detail::match_snapshot::build(program_->references);
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(fresh);
    workspaces_.clear();
    return true;
}

inline bool engine::stale() const {
    return program_->references.version() != snapshot()->version;
}

inline snapshot_stats engine::stats() const {
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

inline std::shared_ptr<const detail::match_snapshot> engine::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

inline engine::workspace_ptr engine::acquire_workspace(const detail::match_snapshot& s) const {
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

inline void engine::release_workspace(workspace_ptr ws) const {
    std::lock_guard lock(mutex_);
    if (workspaces_.size() < 64) workspaces_.push_back(std::move(ws));
}

inline std::vector<match_result> engine::match_one(const detail::match_snapshot& s,
                                                   detail::match_workspace& ws, const prospect& p,
                                                   const resolved_codes& codes, std::size_t k,
                                                   const match_options& options) const {
    detail::match_run run{
        s, ws, *program_, options, k, {}, {}, {}, nullptr, 0, options.weights.sum(), {}};
    run.activity = detail::activity_in_force(options, p, *s.vocab);
    if (run.activity) run.now = *options.now;
    if (k == 0 || s.size_count() == 0) return {};
    detail::build_prospect_tables(run, p, codes);
    detail::scan(run, kernel_);
    auto out = detail::collect_results(run, p, codes);
    detail::reset_product_tables(run);
    return out;
}

inline std::vector<std::vector<match_result>> engine::match_batch(
    std::span<const prospect> prospects, std::size_t k, const match_options& options,
    const batch_options& batch) const {
    options.validate();
    const auto snap = snapshot();
    const vocabulary& v = *snap->vocab;
    // Validate every prospect first, so that errors surface before any work and from here; the
    // codes resolved here are the ones matched.
    std::vector<resolved_codes> codes;
    codes.reserve(prospects.size());
    for (const auto& p : prospects) {
        codes.push_back(detail::resolve_prospect(v, p));
        (void)detail::activity_in_force(options, p, v);
    }
    std::vector<std::vector<match_result>> out(prospects.size());
    std::size_t threads = batch.threads ? batch.threads : std::thread::hardware_concurrency();
    threads = std::max<std::size_t>(1, std::min(threads, prospects.size()));

    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> stopping{false};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto work = [&] {
        auto ws = acquire_workspace(*snap);
        ws->quotas.active = true;  // one `now` and one set of holds for the whole batch
        try {
            for (;;) {
                if (stopping.load(std::memory_order_relaxed)) break;
                const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
                if (i >= prospects.size()) break;
                out[i] = match_one(*snap, *ws, prospects[i], codes[i], k, options);
                done.fetch_add(1, std::memory_order_relaxed);
            }
        } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            stopping = true;
        }
        ws->quotas.stop();
        release_workspace(std::move(ws));
    };

    const auto keep_going = [&]() -> bool {
        if (batch.stop.stop_requested()) return false;
        if (batch.progress && !batch.progress({"matching", done.load(), prospects.size()}))
            return false;
        return true;
    };

    if (threads <= 1) {
        // Work on the calling thread, reporting progress between prospects.
        auto ws = acquire_workspace(*snap);
        ws->quotas.active = true;
        auto last = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < prospects.size(); ++i) {
            if (batch.stop.stop_requested()) throw match_cancelled();
            const auto now = std::chrono::steady_clock::now();
            if (batch.progress && now - last >= batch.progress_interval) {
                last = now;
                if (!batch.progress({"matching", i, prospects.size()})) throw match_cancelled();
            }
            out[i] = match_one(*snap, *ws, prospects[i], codes[i], k, options);
        }
        ws->quotas.stop();
        release_workspace(std::move(ws));
        if (batch.progress && !batch.progress({"matching", prospects.size(), prospects.size()}))
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
                if (user_cancel) stopping = true;
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
