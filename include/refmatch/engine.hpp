#pragma once
/// @file engine.hpp
/// The matching engine: the exact top-k eligible references for a prospect (scoring.md), one at
/// a time or in multi-threaded batches. docs/engine.md describes how it works and what it
/// guarantees; the implementation is in detail/engine/.

#include <refmatch/detail/engine/match_snapshot.hpp>
#include <refmatch/detail/engine/match_workspace.hpp>
#include <refmatch/error.hpp>
#include <refmatch/explanation.hpp>
#include <refmatch/match.hpp>
#include <refmatch/program.hpp>
#include <refmatch/progress.hpp>
#include <refmatch/scan_kernel.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string_view>
#include <vector>

namespace refmatch {

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
    /// prospects done and their total (stage "matching"); return false to cancel the batch.
    progress_callback progress;
    std::chrono::milliseconds progress_interval{200};
    /// Cancels the batch when stop is requested.
    std::stop_token stop;
};

/// Thrown by `engine::match_batch` when the batch was cancelled (by `batch_options::stop` or by
/// the progress callback returning false). No partial result is returned.
class match_cancelled : public cancelled {
public:
    match_cancelled() : cancelled("match batch") {}
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
    explicit engine(const program& p, engine_options options = {});
    explicit engine(std::shared_ptr<const program> p, engine_options options = {});

    /// The exact top-k eligible references for `p`, best first (ties by ascending id).
    /// Fewer than k come back when fewer are eligible.
    /// @throws validation_error for invalid options, an unknown code in `p`, or an activity in
    ///         force without `options.now`.
    [[nodiscard]] std::vector<match_result> match(const prospect& p, std::size_t k,
                                                  const match_options& options = {}) const;

    /// Matches the prospect with this id in the program's prospect store (with the codes the
    /// store resolved when the prospect was added).
    /// @throws not_found_error for an unknown id; as `match` otherwise.
    [[nodiscard]] std::vector<match_result> match(std::string_view prospect_id, std::size_t k,
                                                  const match_options& options = {}) const;

    /// `match` for many prospects on several threads. `result[i]` is exactly
    /// `match(prospects[i], k, options)`, whatever the thread count. Each worker evaluates a
    /// reference's quota state once per activity for the whole batch, so usage recorded while
    /// the batch runs may be seen by some of its prospects and not by others.
    /// @throws validation_error before any work for invalid options or prospects;
    ///         match_cancelled when cancelled.
    [[nodiscard]] std::vector<std::vector<match_result>> match_batch(
        std::span<const prospect> prospects, std::size_t k, const match_options& options = {},
        const batch_options& batch = {}) const;

    /// Why the reference `reference_id` is, or is not, among `match(p, k, options)`: its score
    /// as the match computes it (also when it is not eligible), its rank among the eligible
    /// references, the k-th result, and every eligibility rule it fails (inactive, no consent,
    /// at its limit until D, in cooldown until D, excluded, filtered out, below min_score,
    /// rejected by the predicate) or that it ranks after the k-th result. Each rule is asked of
    /// its one home: the match's filter tables, `evaluate_quota`, the exclusion lists; the rank
    /// comes from the match itself (a second match above the reference's score).
    ///
    /// **Complexity:** two matches (k, then every eligible reference scoring at least as well)
    /// plus O(window days · log m) for the day an at-limit quota lifts. The ledger is read once
    /// per step, so a use recorded meanwhile may show in one step and not in another.
    /// @throws not_found_error for a reference not in the program; as `match` otherwise.
    [[nodiscard]] reference_explanation explain(const prospect& p, std::string_view reference_id,
                                                std::size_t k,
                                                const match_options& options = {}) const;
    /// `explain` for the prospect with this id in the program's prospect store.
    /// @throws not_found_error for an unknown prospect or reference; as `match` otherwise.
    [[nodiscard]] reference_explanation explain(std::string_view prospect_id,
                                                std::string_view reference_id, std::size_t k,
                                                const match_options& options = {}) const;

    /// Rebuilds the snapshot if the reference store changed since it was built; returns whether
    /// it did. Cheap (one version comparison) when nothing changed.
    bool refresh();
    /// True if the reference store changed since the snapshot was built.
    [[nodiscard]] bool stale() const;

    [[nodiscard]] snapshot_stats stats() const;
    /// The kernel in use.
    [[nodiscard]] scan_kernel kernel() const noexcept { return kernel_; }
    [[nodiscard]] const program& source() const noexcept { return *program_; }

private:
    using workspace_ptr = std::unique_ptr<detail::match_workspace>;

    std::shared_ptr<const detail::match_snapshot> snapshot() const;
    workspace_ptr acquire_workspace(const detail::match_snapshot& s) const;
    void release_workspace(workspace_ptr ws) const;

    // One match on a workspace: the named steps of detail/engine/match_run.hpp.
    std::vector<match_result> match_one(const detail::match_snapshot& s,
                                        detail::match_workspace& ws, const prospect& p,
                                        const resolved_codes& codes, std::size_t k,
                                        const match_options& options) const;

    std::shared_ptr<const program> program_;
    scan_kernel kernel_ = scan_kernel::scalar;
    mutable std::mutex mutex_;  // guards snapshot_ and workspaces_
    std::mutex refresh_mutex_;
    std::shared_ptr<const detail::match_snapshot> snapshot_;
    mutable std::vector<workspace_ptr> workspaces_;
};

}  // namespace refmatch

#include <refmatch/detail/engine/engine_impl.hpp>
