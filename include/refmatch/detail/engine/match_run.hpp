#pragma once
// One match, step by step (namespace refmatch::detail; used by the engine): resolve the
// prospect's codes, build the per-prospect tables, scan, collect the results. `match_run` holds
// what a match needs while scanning; the exact check of a candidate lives there.

#include <refmatch/detail/engine/match_explain.hpp>
#include <refmatch/detail/engine/match_snapshot.hpp>
#include <refmatch/detail/engine/match_workspace.hpp>
#include <refmatch/detail/engine/scan_kernels.hpp>
#include <refmatch/error.hpp>
#include <refmatch/match.hpp>
#include <refmatch/program.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/scan_kernel.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refmatch::detail {

struct match_run {
    const match_snapshot& snap;
    match_workspace& ws;
    const program& prog;
    const match_options& options;
    std::size_t k;
    std::optional<activity_id> activity;
    date now{};
    std::optional<usage_ledger::reader> ledger;
    const hold_index* holds = nullptr;  // null without live holds: the check looks up nothing
    std::uint32_t requested = 0;        // |P|
    double weight_sum = 1.0;
    std::vector<ranked> heap;
    bool cover_all = false;          // a cover-all-products filter with products requested
    std::uint32_t size_entries = 0;  // entries of the size tables (bands + 1)

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

    // The live holds of the activity in force on reference `r` (empty without holds).
    template <a_reference Reference>
    [[nodiscard]] std::span<const date> holds_of(const Reference& r) const {
        return holds ? holds->days(id_of(r), *activity) : std::span<const date>{};
    }

    // The quota state of the activity in force on the reference at position `i`: evaluated by
    // the one rule, or as a batch already evaluated it (quota_memo).
    [[nodiscard]] quota_state quota_at(std::uint32_t i) {
        const packed_reference r = snap.record(i);
        auto& memo = ws.quotas;
        if (!memo.active)
            return evaluate_quota(r, *activity, prog.quotas, *ledger, now, holds_of(r));
        if (memo.slot.size() <= activity->value) memo.slot.resize(activity->value + 1u);
        auto& slots = memo.slot[activity->value];
        if (slots.size() != snap.size_count()) slots.assign(snap.size_count(), quota_memo::none);
        if (slots[i] != quota_memo::none) return memo.states[slots[i]];
        const quota_state q = evaluate_quota(r, *activity, prog.quotas, *ledger, now, holds_of(r));
        slots[i] = static_cast<std::uint32_t>(memo.states.size());
        memo.states.push_back(q);
        return q;
    }

    std::int32_t check(std::uint32_t i) {
        const double base = base_of(i);
        const bool full = heap.size() >= k;
        // The final score is at most the base: below the current worst, or level with it at a
        // later position, it cannot enter (the scan visits the sets in any order).
        if (full && (base < heap.front().final_score ||
                     (base == heap.front().final_score && i > heap.front().position)))
            return threshold();
        if (!filters_ok(i)) return threshold();
        if (!ws.excluded.empty() && std::binary_search(ws.excluded.begin(), ws.excluded.end(), i))
            return threshold();
        double factor = 1.0;
        std::uint32_t used = 0;
        if (activity) {
            const quota_state q = quota_at(i);
            if (!q.eligible()) return threshold();
            used = q.used;
            factor = 1.0 - options.fatigue_weight * q.utilisation;
        }
        const double final_score = base * factor;
        if (options.min_score && !(final_score >= *options.min_score)) return threshold();
        const ranked entry{final_score, i, used};
        if (full && !(entry < heap.front())) return threshold();
        // The predicate takes the record: unpacked for it, and only for a reference that would
        // enter the results.
        if (options.predicate && !options.predicate(snap.record(i).unpack())) return threshold();
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

// --- Step 1: resolve the prospect -------------------------------------------------------------

// The prospect's codes against the snapshot's vocabulary. @throws validation_error naming the
// prospect for an unknown code.
inline resolved_codes resolve_prospect(const vocabulary& v, const prospect& p) {
    return v.resolve("prospect '" + p.id + "'", p.industry, p.country, p.products, p.size);
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

// --- Step 2: the per-prospect tables ----------------------------------------------------------

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

// floor(x) + 2 for x in [0, scale], without the library call std::floor is on baseline x86-64.
inline std::int32_t quantised(double x) {
    auto t = static_cast<std::int32_t>(x);
    t -= static_cast<std::int32_t>(static_cast<double>(t) > x);
    return t + 2;
}

inline std::int32_t quantise(double weight, double value, double weight_sum) {
    // floor(x)+2 is at least x+1: a margin far above the rounding error of the exact sum.
    return quantised(weight * value / weight_sum * match_workspace::scale);
}

// The quantised bound of each component value, or `reject` where a hard filter fails. One
// factor for the table: it differs from quantise's by a few ulps, far inside the margin.
inline void quantise_table(const std::vector<double>& c, const std::vector<char>& ok,
                           std::vector<std::int32_t>& q, double weight, double weight_sum) {
    q.resize(c.size());
    const double factor = weight / weight_sum * match_workspace::scale;
    for (std::size_t l = 0; l < c.size(); ++l) {
        const std::int32_t v = quantised(c[l] * factor);
        q[l] = ok[l] ? v : match_workspace::reject;
    }
}

inline void build_industry_tables(match_run& run, const resolved_codes& codes) {
    auto& ws = run.ws;
    fill_taxonomy_tables(run.snap.vocab->industries, run.snap.industries, codes.industry,
                         ws.industry_c, ws.industry_lca);
    ws.industry_ok.assign(ws.industry_c.size(), 1);
    if (run.options.same_sector)
        for (std::size_t l = 0; l < ws.industry_ok.size(); ++l)
            ws.industry_ok[l] = static_cast<char>(ws.industry_lca[l] >= 1);
    quantise_table(ws.industry_c, ws.industry_ok, ws.industry_q, run.options.weights.industry,
                   run.weight_sum);
}

inline void build_geography_tables(match_run& run, const resolved_codes& codes) {
    auto& ws = run.ws;
    fill_taxonomy_tables(run.snap.vocab->geography, run.snap.geographies, codes.geography,
                         ws.geography_c, ws.geography_lca);
    ws.geography_ok.assign(ws.geography_c.size(), 1);
    switch (run.options.same_geography) {
        case geography_level::none:
            break;
        case geography_level::region:
        case geography_level::sub_region: {
            const std::uint8_t need = run.options.same_geography == geography_level::region ? 1 : 2;
            for (std::size_t l = 0; l < ws.geography_ok.size(); ++l)
                ws.geography_ok[l] = static_cast<char>(ws.geography_lca[l] >= need);
            break;
        }
        case geography_level::country:
            for (std::size_t l = 0; l < ws.geography_ok.size(); ++l)
                ws.geography_ok[l] =
                    static_cast<char>(codes.geography != taxonomy::npos &&
                                      run.snap.geographies.node[l] == codes.geography);
            break;
    }
    quantise_table(ws.geography_c, ws.geography_ok, ws.geography_q, run.options.weights.geography,
                   run.weight_sum);
}

inline void build_size_tables(match_run& run, size_band prospect_size) {
    auto& ws = run.ws;
    const auto& sizes = run.snap.vocab->sizes;
    const std::size_t entries = sizes.count() + 1u;
    run.size_entries = static_cast<std::uint32_t>(entries);
    ws.size_c.assign(entries, 0.0);
    ws.size_ok.assign(entries, 1);
    for (std::size_t b = 1; b < entries; ++b)
        ws.size_c[b] = sizes.closeness(prospect_size, static_cast<std::uint8_t>(b - 1));
    quantise_table(ws.size_c, ws.size_ok, ws.size_q, run.options.weights.size, run.weight_sum);
    ws.size_q.resize(std::max<std::size_t>(entries, 16), match_workspace::reject);
}

// Counts |P ∩ set| for the sets holding a product of interest (the others are 0). Runs after
// the size tables, which take the constant part of the product bound.
inline void build_product_tables(match_run& run, const resolved_codes& codes) {
    const auto& s = run.snap;
    auto& ws = run.ws;
    run.requested = static_cast<std::uint32_t>(codes.products.size());
    for (const auto prod : codes.products) {
        if (prod + 1u >= s.sets_of_product_offsets.size()) continue;
        for (auto j = s.sets_of_product_offsets[prod]; j < s.sets_of_product_offsets[prod + 1];
             ++j) {
            const auto set = s.sets_of_product[j];
            if (ws.product_count[set]++ == 0) ws.touched_sets.push_back(set);
        }
    }
    run.cover_all = run.options.cover_all_products && run.requested > 0;
    if (run.cover_all) {
        std::fill(ws.product_q.begin(), ws.product_q.end(), match_workspace::reject);
        ws.product_q_clean = false;
    } else if (!ws.product_q_clean) {
        std::fill(ws.product_q.begin(), ws.product_q.end(), 0);
        ws.product_q_clean = true;
    }
    // An untouched set covers 0 products, whose contribution quantise(w, 0) is the constant 2:
    // product_q keeps 0 there (so it stays clean between prospects) and the constant moves into
    // the size table, which every reference reads too.
    const double w = run.options.weights.product;
    for (const auto set : ws.touched_sets)
        ws.product_q[set] = run.product_ok(set)
                                ? quantise(w, run.product_value(set), run.weight_sum) - 2
                                : match_workspace::reject;
    for (std::size_t b = 0; b < run.size_entries; ++b)
        if (ws.size_q[b] != match_workspace::reject) ws.size_q[b] += 2;
    if (!run.cover_all && !ws.touched_sets.empty()) ws.product_q_clean = false;
}

// The snapshot positions of the prospect's and the options' exclusions, sorted.
inline void build_exclusions(match_run& run, const prospect& p) {
    auto& excluded = run.ws.excluded;
    excluded.clear();
    for (const auto* list : {&p.exclusions, &run.options.exclusions})
        for (const auto& id : *list)
            if (const auto pos = run.snap.position(id);
                pos != std::numeric_limits<std::uint32_t>::max())
                excluded.push_back(pos);
    std::sort(excluded.begin(), excluded.end());
}

inline void build_prospect_tables(match_run& run, const prospect& p, const resolved_codes& codes) {
    build_industry_tables(run, codes);
    build_geography_tables(run, codes);
    build_size_tables(run, p.size);
    build_product_tables(run, codes);
    build_exclusions(run, p);
}

// --- Step 3: scan -----------------------------------------------------------------------------

// Runs kernel `kernel` over every reference of the snapshot; the candidates end in `run.heap`.
// With products requested, the references holding a requested product come first, set by set
// with the most covering sets first: they raise the threshold fastest, and once it is above a
// set's bound (its product entry plus the largest entry of each other table) that set and every
// later one are skipped. The references without a requested product come last, and only when
// their bound reaches the threshold.
inline void scan(match_run& run, scan_kernel kernel) {
    const auto& s = run.snap;
    auto& ws = run.ws;
    if (run.activity) run.ledger.emplace(run.prog.usage.read());
    if (run.activity && run.options.holds && !run.options.holds->empty())
        run.holds = run.options.holds.get();
    run.heap.reserve(std::min(run.k, s.size_count()));
    const scan_input in{s.industry.data(),
                        s.geography.data(),
                        s.size.data(),
                        s.product_set.data(),
                        s.consent.data(),
                        ws.industry_q.data(),
                        ws.geography_q.data(),
                        ws.size_q.data(),
                        ws.product_q.data(),
                        run.size_entries,
                        static_cast<std::uint16_t>(run.activity && run.activity->value < 16
                                                       ? (1u << run.activity->value)
                                                       : 0u)};
    const auto n = static_cast<std::uint32_t>(s.size_count());
    std::int32_t start = run.initial_threshold();
    if (!ws.touched_sets.empty()) {
        const auto largest = [](const std::vector<std::int32_t>& t, std::size_t count) {
            return *std::max_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(count));
        };
        // Each term at least `reject`, so the sum stays in range.
        const std::int32_t others = largest(ws.industry_q, ws.industry_q.size()) +
                                    largest(ws.geography_q, ws.geography_q.size()) +
                                    largest(ws.size_q, run.size_entries);
        // The product entry of a set grows with the requested products it covers (at most
        // |P|): ordering the sets by that count, most first, orders them by bound.
        auto& first = ws.set_order_first;
        first.assign(run.requested + 2u, 0);
        for (const auto set : ws.touched_sets)
            if (ws.product_q[set] != match_workspace::reject)
                ++first[run.requested - ws.product_count[set] + 1u];
        for (std::size_t c = 1; c < first.size(); ++c) first[c] += first[c - 1];
        auto& order = ws.set_order;
        order.resize(first.back());
        for (const auto set : ws.touched_sets)
            if (ws.product_q[set] != match_workspace::reject)
                order[first[run.requested - ws.product_count[set]]++] = set;
        // Set by set while that pays: after the first count, as soon as the references without a
        // requested product could still enter (and so need a scan of all), one pass of the
        // vector kernel over everything not yet visited is cheaper than going on set by set.
        std::size_t visited = 0;
        for (; visited < order.size(); ++visited) {
            const auto set = order[visited];
            const std::int32_t bound = ws.product_q[set];
            // Neither this set nor any later one, nor those without a requested product
            // (bound `others` at most), can reach the threshold.
            if (others + bound < start) return;
            if (visited > 0 && ws.product_count[set] != ws.product_count[order[visited - 1]] &&
                !run.cover_all && others >= start)
                break;
            start = scan_members(in, s.set_members.data() + s.set_member_offsets[set],
                                 s.set_members.data() + s.set_member_offsets[set + 1], bound, start,
                                 &run, &match_run::on_candidate);
        }
        // The sets without a requested product: bound `others`, or rejected with cover-all.
        if (visited == order.size() && (run.cover_all || others < start)) return;
        // The pass over all must not visit the sets seen already; build_product_tables clears
        // the table before the next prospect.
        for (std::size_t v = 0; v < visited; ++v) ws.product_q[order[v]] = match_workspace::reject;
    }
    switch (kernel) {
#if REFMATCH_X86_SIMD
        case scan_kernel::avx512:
            scan_avx512(in, 0, n, start, &run, &match_run::on_candidate);
            break;
        case scan_kernel::avx2:
            scan_avx2(in, 0, n, start, &run, &match_run::on_candidate);
            break;
#endif
        default:
            scan_scalar(in, 0, n, start, &run, &match_run::on_candidate);
    }
}

// --- Step 4: collect the results --------------------------------------------------------------

// The results of the run, best first, with their components, quota state and reason.
inline std::vector<match_result> collect_results(match_run& run, const prospect& p,
                                                 const resolved_codes& codes) {
    const auto& s = run.snap;
    const auto& ws = run.ws;
    const auto& options = run.options;
    std::sort_heap(run.heap.begin(), run.heap.end());
    std::vector<match_result> out;
    out.reserve(run.heap.size());
    for (const auto& e : run.heap) {
        const auto i = e.position;
        match_result r;
        r.reference_id = s.record(i).id();
        r.final_score = e.final_score;
        r.base_score = run.base_of(i);
        r.components = {ws.industry_c[s.industry[i]], run.product_value(s.product_set[i]),
                        ws.geography_c[s.geography[i]], ws.size_c[s.size[i]]};
        r.weights = options.weights;
        r.products_matched = ws.product_count[s.product_set[i]];
        r.products_requested = run.requested;
        if (run.activity) {
            const quota_state q = run.quota_at(i);
            r.fatigue_factor = 1.0 - options.fatigue_weight * q.utilisation;
            r.quota = q;
        }
        if (options.explain)
            r.reason = make_reason(s, ws, codes, p.size, i, r, run.activity, s.vocab->activities);
        out.push_back(std::move(r));
    }
    return out;
}

// Leaves the product tables clean for the next prospect.
inline void reset_product_tables(match_run& run) {
    auto& ws = run.ws;
    for (const auto set : ws.touched_sets) {
        ws.product_count[set] = 0;
        if (!run.cover_all) ws.product_q[set] = 0;
    }
    if (!run.cover_all) ws.product_q_clean = true;
    ws.touched_sets.clear();
}

}  // namespace refmatch::detail
