#pragma once
// "Why not this reference?" (namespace refmatch::detail; used by engine::explain): the score of
// one reference for a prospect, computed by the match's own steps on a snapshot of that one
// reference, and the reasons it is not eligible, each asked of the rule's one home (the
// per-prospect filter tables, evaluate_quota, the exclusion list).

#include <refmatch/detail/engine/match_run.hpp>
#include <refmatch/explanation.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/reference_store.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace refmatch::detail {

inline std::string score_text(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", v);
    return buffer;
}

inline std::string ordinal(std::size_t n) {
    const auto tens = n % 100;
    const char* suffix = (tens >= 11 && tens <= 13) ? "th"
                         : n % 10 == 1              ? "st"
                         : n % 10 == 2              ? "nd"
                         : n % 10 == 3              ? "rd"
                                                    : "th";
    return std::to_string(n) + suffix;
}

// The first day after `now` on which the reference is under its limit again if nothing more is
// recorded: the quota evaluated day by day (uses leave the window one by one). Holds count on
// every day, so a limit reached by holds alone has no such day; nor has one beyond ten years.
inline std::optional<date> limit_lifts_on(const reference_customer& r, activity_id a,
                                          const quota_policy& policy,
                                          const usage_ledger::reader& usage, date now,
                                          std::span<const date> holds, std::uint32_t window) {
    const std::uint32_t horizon = std::min<std::uint32_t>(window, 3660);
    for (std::uint32_t d = 1; d <= horizon; ++d) {
        const date day = now + std::chrono::days(d);
        if (!evaluate_quota(r, a, policy, usage, day, holds).at_limit) return day;
    }
    return std::nullopt;
}

// "NAICS sector 52 Finance and Insurance vs 31-33": the reference's node at depth `d` named by
// code and title, against the prospect's code at that depth.
inline std::string taxonomy_contrast(const taxonomy& t, taxonomy::node_id reference,
                                     taxonomy::node_id prospect, std::uint32_t d, bool by_code) {
    const auto side = [&](taxonomy::node_id n, bool with_title) -> std::string {
        if (n == taxonomy::npos) return "unknown";
        const auto a = t.ancestor_at_depth(n, std::min(d, t.depth(n)));
        if (!by_code) return t.title(a);
        return with_title ? t.code(a) + " " + t.title(a) : t.code(a);
    };
    return side(reference, true) + " vs " + side(prospect, false);
}

// The reference's score (as `collect_results` fills a result) and the eligibility rules 1–6 it
// fails, for the prospect `p` with codes `codes` resolved in `vocab`.
inline reference_explanation assess_reference(const program& prog,
                                              const std::shared_ptr<const vocabulary>& vocab,
                                              const reference_customer& record, bool in_snapshot,
                                              const prospect& p, const resolved_codes& codes,
                                              const match_options& options,
                                              std::optional<activity_id> activity) {
    reference_explanation out;
    out.reference_id = record.id;
    out.reference_name = record.name;
    out.prospect_id = p.id;
    const auto because = [&](not_returned_cause c, std::string text) {
        out.reasons.push_back({c, std::move(text)});
    };
    if (record.status != reference_status::active)
        because(not_returned_cause::inactive,
                "status " + std::string(to_string(record.status)) + ", not active");
    else if (!in_snapshot)
        because(not_returned_cause::not_in_snapshot,
                "active after the engine's snapshot was built (refresh the engine)");

    // A one-reference snapshot of it, active, so that an inactive one is scored too.
    reference_store alone(vocab);
    reference_customer copy = record;
    copy.status = reference_status::active;
    alone.add(std::move(copy));
    const auto snap = match_snapshot::build(alone);
    match_workspace ws;
    ws.prepare(*snap);
    match_options explained = options;
    explained.explain = true;
    match_run run{
        *snap, ws, prog, explained, 1, activity, {}, {}, nullptr, 0, options.weights.sum(), {}};
    if (activity) run.now = *options.now;
    build_prospect_tables(run, p, codes);

    std::optional<quota_state> q;
    if (activity) {
        run.ledger.emplace(prog.usage.read());
        if (options.holds && !options.holds->empty()) run.holds = options.holds.get();
        q = evaluate_quota(record, *activity, prog.quotas, *run.ledger, run.now,
                           run.holds_of(record));
        const std::string name = vocab->activities.name(*activity);
        if (!q->consents) because(not_returned_cause::no_consent, "no consent to " + name);
        if (q->at_limit) {
            std::string text = "used " + std::to_string(q->used) + " of " +
                               std::to_string(q->max_uses.value_or(0)) + " " + name + " in " +
                               std::to_string(q->window_days) + " days";
            if (const auto lifts = limit_lifts_on(record, *activity, prog.quotas, *run.ledger,
                                                  run.now, run.holds_of(record), q->window_days))
                text += ", at its limit until " + format_date(*lifts);
            else
                text += ", at its limit";
            because(not_returned_cause::at_limit, std::move(text));
        }
        if (q->cooling_down)
            because(not_returned_cause::cooling_down,
                    "in " + name + " cooldown until " + format_date(*q->cooldown_end));
    }
    const auto listed = [&](const std::vector<std::string>& ids) {
        return std::find(ids.begin(), ids.end(), record.id) != ids.end();
    };
    if (listed(p.exclusions))
        because(not_returned_cause::excluded, "excluded by the prospect");
    else if (listed(options.exclusions))
        because(not_returned_cause::excluded, "excluded by the match options");

    const auto industry_node = snap->industries.node[snap->industry[0]];
    const auto geography_node = snap->geographies.node[snap->geography[0]];
    if (!ws.industry_ok[snap->industry[0]])
        because(not_returned_cause::industry_filter,
                "not in the prospect's sector: " + industry_level_name(vocab->industries, 1) + " " +
                    taxonomy_contrast(vocab->industries, industry_node, codes.industry, 1, true));
    if (!ws.geography_ok[snap->geography[0]]) {
        const auto level = options.same_geography;
        const std::uint32_t d = level == geography_level::region       ? 1
                                : level == geography_level::sub_region ? 2
                                                                       : 255;
        const char* level_name = level == geography_level::region       ? "region"
                                 : level == geography_level::sub_region ? "sub-region"
                                                                        : "country";
        because(not_returned_cause::geography_filter,
                std::string("not in the prospect's ") + level_name + ": " +
                    taxonomy_contrast(vocab->geography, geography_node, codes.geography, d, false));
    }
    if (!run.product_ok(snap->product_set[0]))
        because(not_returned_cause::product_filter,
                "uses " + std::to_string(ws.product_count[snap->product_set[0]]) + " of " +
                    std::to_string(run.requested) +
                    " products of interest, all required (cover_all_products)");

    // The score, by the match's own last step.
    const double base = run.base_of(0);
    const double factor = q ? 1.0 - options.fatigue_weight * q->utilisation : 1.0;
    run.heap.push_back({base * factor, 0, q ? q->used : 0});
    out.score = std::move(collect_results(run, p, codes).front());
    run.ledger.reset();

    if (options.min_score && !(out.score.final_score >= *options.min_score))
        because(not_returned_cause::below_min_score, "score " + score_text(out.score.final_score) +
                                                         " below min_score " +
                                                         score_text(*options.min_score));
    if (options.predicate && !options.predicate(record))
        because(not_returned_cause::predicate, "rejected by the predicate");
    out.eligible = out.reasons.empty();
    return out;
}

// Adds the rank, the k-th result and "below the k-th" to an assessment: `top` is the match's top
// k, `at_or_above` every eligible reference scoring at least the assessed one (when eligible).
inline void rank_reference(reference_explanation& e, std::size_t k,
                           const std::vector<match_result>& top,
                           const std::vector<match_result>& at_or_above) {
    e.k = k;
    const auto before = [&](const match_result& r) {
        return r.final_score > e.score.final_score ||
               (r.final_score == e.score.final_score && r.reference_id < e.reference_id);
    };
    if (e.eligible)
        e.rank = 1 + static_cast<std::size_t>(
                         std::count_if(at_or_above.begin(), at_or_above.end(), before));
    if (top.size() == k && k > 0) {
        e.kth_reference_id = top.back().reference_id;
        e.kth_score = top.back().final_score;
    }
    e.returned = e.rank && *e.rank <= k;
    if (e.returned) return;
    if (k == 0) {
        e.reasons.push_back({not_returned_cause::below_kth, "k is 0: no reference is returned"});
    } else if (e.kth_score && before(top.back())) {
        const auto& kth = top.back();
        e.reasons.push_back(
            {not_returned_cause::below_kth,
             kth.final_score == e.score.final_score
                 ? "score " + score_text(e.score.final_score) + " ties the " + ordinal(k) +
                       " result " + kth.reference_id + ", which comes first by id"
                 : "score " + score_text(e.score.final_score) + " below the " + ordinal(k) +
                       " result's " + score_text(kth.final_score) + " (" + kth.reference_id + ")"});
    }
}

}  // namespace refmatch::detail
