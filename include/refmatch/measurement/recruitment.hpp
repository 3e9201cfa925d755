#pragma once
/// @file measurement/recruitment.hpp
/// Recruitment: which customers to turn into active references. An advocacy score from the
/// signals programs use, the NPS of the customer base, and gap-driven recruiting: for each
/// candidate, the pipeline value at risk it would cover if it became active, and a greedy
/// shortlist of candidates that cover the most together (docs/measurement.md, "Recruitment").

#include <refmatch/date.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/measurement/statistics.hpp>
#include <refmatch/program.hpp>
#include <refmatch/program_tables.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace refmatch::measurement {

/// Weights of the advocacy score's components (each ≥ 0, not all 0).
struct advocacy_weights {
    double nps = 0.35, csat = 0.20, health = 0.25, recency = 0.10, tenure = 0.10;
    /// @throws validation_error for a negative or NaN weight, or all zero.
    void validate() const {
        const std::array<std::pair<const char*, double>, 5> all = {{{"nps", nps},
                                                                    {"csat", csat},
                                                                    {"health", health},
                                                                    {"recency", recency},
                                                                    {"tenure", tenure}}};
        double sum = 0;
        for (const auto& [name, w] : all) {
            if (!(w >= 0) || std::isinf(w))
                throw validation_error("advocacy weights", name, "a number >= 0",
                                       std::to_string(w));
            sum += w;
        }
        if (sum == 0) throw validation_error("advocacy weights", "sum", "a positive sum", "0");
    }
};

/// How the advocacy score reads the signals.
struct advocacy_options {
    advocacy_weights weights;
    date now;
    /// Recency is `max(0, 1 − days since last contact / recency_days)`.
    double recency_days = 365;
    /// Tenure is `min(1, years as a customer / tenure_years)`.
    double tenure_years = 5;
    /// When each customer became one, by reference id. The reference record has no such field;
    /// a CRM that knows it hands it in here. Customers without an entry have no tenure component.
    std::unordered_map<std::string, date> customer_since;
};

/// An advocacy score in [0, 1] and what it was made of.
struct advocacy_score {
    double score = 0.0;
    /// Σ of the weights of the components that are known, over the sum of all weights: how much
    /// of the score rests on data (0 when nothing is known; the score is then 0).
    double coverage = 0.0;
};

/// `score = Σ_k w_k·s_k / Σ_k w_k` over the known components k of: nps/10, csat/100,
/// health/100, recency, tenure. @throws validation_error for invalid weights.
[[nodiscard]] inline advocacy_score score_advocacy(const reference_customer& r,
                                                   const advocacy_options& o) {
    o.weights.validate();
    double num = 0, den = 0;
    const auto put = [&](double w, std::optional<double> s) {
        if (!s) return;
        num += w * std::clamp(*s, 0.0, 1.0);
        den += w;
    };
    const auto& s = r.signals;
    put(o.weights.nps, s.nps ? std::optional<double>(*s.nps / 10.0) : std::nullopt);
    put(o.weights.csat, s.csat ? std::optional<double>(*s.csat / 100.0) : std::nullopt);
    put(o.weights.health, s.health ? std::optional<double>(*s.health / 100.0) : std::nullopt);
    if (r.last_contact)
        put(o.weights.recency,
            std::max(0.0, 1.0 - static_cast<double>((o.now - *r.last_contact).count()) /
                                    o.recency_days));
    if (const auto it = o.customer_since.find(r.id); it != o.customer_since.end())
        put(o.weights.tenure,
            static_cast<double>((o.now - it->second).count()) / 365.25 / o.tenure_years);
    const auto& w = o.weights;
    const double total = w.nps + w.csat + w.health + w.recency + w.tenure;
    advocacy_score out;
    out.coverage = den / total;
    if (den > 0) out.score = num / den;
    return out;
}

/// The NPS of a program's customer base: every reference with an NPS answer, whatever its status.
[[nodiscard]] inline nps_summary base_nps(const program& p) {
    std::vector<std::uint8_t> answers;
    for (const auto& r : p.references.all())
        if (r.signals.nps) answers.push_back(*r.signals.nps);
    return nps_of(answers);
}

/// What to recruit for.
struct recruit_options {
    /// The gaps to close: activity, `now`, threshold, min_references (`by_product` is ignored).
    gap_options gaps;
    /// Who may be recruited: references with one of these statuses (made active to be tried).
    std::vector<reference_status> statuses = {reference_status::candidate};
    /// How many the shortlist picks.
    std::size_t shortlist = 10;
    advocacy_options advocacy;
};

/// One candidate: what it would cover alone.
struct recruit_candidate {
    std::string reference_id;
    advocacy_score advocacy;
    /// Uncovered prospects it would qualify for (eligible, final score ≥ threshold), in pipeline
    /// order.
    std::vector<std::string> qualifies_for;
    /// Of those, the ones it alone would cover (they lack exactly one qualifying reference).
    std::vector<std::string> covers;
    double value_covered = 0.0;  ///< Σ deal value of `covers`
};

/// One pick of the shortlist.
struct recruit_pick {
    std::string reference_id;
    double marginal_value = 0.0;    ///< value covered by this pick given the earlier ones
    double cumulative_value = 0.0;  ///< value covered by the picks so far
    std::vector<std::string> newly_covered;
};

/// Gap-driven recruiting.
struct recruit_report {
    std::size_t prospects = 0, uncovered = 0;
    double pipeline_value = 0.0, value_at_risk = 0.0;  ///< before any recruit
    /// Every candidate, by value covered (highest first), then advocacy, then id.
    std::vector<recruit_candidate> candidates;
    std::vector<recruit_pick> shortlist;
};

/// For each candidate of `p` (a reference with one of `options.statuses`), the value at risk of
/// `pipeline` it would cover if it became active, and a greedy shortlist.
///
/// Exact and incremental: the gaps are analysed once (`analyse_gaps`); adding a reference changes
/// no other reference's score or eligibility, so a prospect short of `s` qualifying references
/// is covered by a set of recruits exactly when at least `s` of them qualify for it. Which
/// candidates qualify for which uncovered prospects comes from one engine over the candidates
/// made active (same vocabulary, quotas and the candidates' own usage), matched with
/// `min_score = threshold`: the program's score and quota rule, not a copy of them.
///
/// The shortlist picks, up to `shortlist` times, the candidate with the largest marginal value
/// (ties: progress Σ value/need on the prospects it brings closer, advocacy, then id), and stops
/// when no candidate brings any prospect closer; with `min_references` 1 this is the greedy
/// (1 − 1/e) approximation of maximum coverage.
/// @throws validation_error as `analyse_gaps`; match_cancelled when cancelled.
///
/// **Complexity:** two batch matches (pipeline over active references, uncovered prospects over
/// candidates) + O(shortlist · Σ qualifying pairs). **Thread safety:** as `engine::match_batch`;
/// the program must not change meanwhile.
[[nodiscard]] inline recruit_report recommend_recruits(const program& p,
                                                       std::span<const prospect> pipeline,
                                                       const recruit_options& options,
                                                       const batch_options& batch = {}) {
    gap_options g = options.gaps;
    g.by_product = false;
    const engine base(p);
    const auto gaps = analyse_gaps(base, pipeline, g, batch);
    recruit_report report;
    report.prospects = gaps.prospects.size();
    report.uncovered = gaps.uncovered;
    report.pipeline_value = gaps.pipeline_value;
    report.value_at_risk = gaps.value_at_risk;

    // The candidates, made active, in a program of their own.
    program_tables t;
    t.vocab = p.vocab;
    t.quotas = p.quotas;
    std::unordered_set<std::string> ids;
    for (const auto s : options.statuses)
        for (auto r : p.references.with_status(s)) {
            if (s == reference_status::active) continue;
            r.status = reference_status::active;
            ids.insert(r.id);
            t.references.push_back(std::move(r));
        }
    for (auto& e : p.usage.events())
        if (ids.count(e.reference_id)) t.usage.add(e);
    std::unordered_map<std::string, std::size_t> index;
    for (const auto packed : t.references) {
        const auto r = packed.unpack();
        recruit_candidate c;
        c.reference_id = r.id;
        c.advocacy = score_advocacy(r, options.advocacy);
        index.emplace(r.id, report.candidates.size());
        report.candidates.push_back(std::move(c));
    }

    std::vector<prospect> short_of;  // uncovered prospects
    std::vector<std::size_t> need;   // qualifying references each still lacks
    std::vector<double> value;
    for (std::size_t i = 0; i < pipeline.size(); ++i) {
        const auto& c = gaps.prospects[i];
        if (c.covered) continue;
        short_of.push_back(pipeline[i]);
        need.push_back(g.min_references - c.qualifying);
        value.push_back(c.deal_value);
    }
    std::vector<std::vector<std::size_t>> qualifying(report.candidates.size());  // -> short_of
    if (!t.references.empty() && !short_of.empty()) {
        const auto candidates = std::move(t).assemble();
        const engine e(*candidates);
        match_options mo = g.match;
        mo.min_score = g.threshold;
        mo.explain = false;
        const auto results = e.match_batch(short_of, candidates->references.size(), mo, batch);
        for (std::size_t j = 0; j < results.size(); ++j)
            for (const auto& r : results[j]) qualifying[index.at(r.reference_id)].push_back(j);
    }
    for (std::size_t c = 0; c < qualifying.size(); ++c) {
        std::sort(qualifying[c].begin(), qualifying[c].end());
        auto& cand = report.candidates[c];
        for (const auto j : qualifying[c]) {
            cand.qualifies_for.push_back(short_of[j].id);
            if (need[j] == 1) {
                cand.covers.push_back(short_of[j].id);
                cand.value_covered += value[j];
            }
        }
    }

    // Greedy shortlist over the remaining needs. A pick is ranked by the value it covers, then
    // by its progress Σ value/need over the prospects it brings closer (which lets the greedy
    // move when every prospect still lacks two or more), then advocacy, then id.
    std::vector<bool> picked(qualifying.size(), false);
    double cumulative = 0;
    for (std::size_t round = 0; round < options.shortlist; ++round) {
        std::size_t best = qualifying.size();
        double best_value = 0, best_progress = 0;
        for (std::size_t c = 0; c < qualifying.size(); ++c) {
            if (picked[c]) continue;
            double v = 0, progress = 0;
            for (const auto j : qualifying[c]) {
                if (need[j] == 0) continue;
                if (need[j] == 1) v += value[j];
                progress += value[j] / static_cast<double>(need[j]);
            }
            if (progress <= 0) continue;
            const auto& a = report.candidates[c];
            const bool better = [&] {
                if (best == qualifying.size()) return true;
                if (v != best_value) return v > best_value;
                if (progress != best_progress) return progress > best_progress;
                const auto& b = report.candidates[best];
                if (a.advocacy.score != b.advocacy.score)
                    return a.advocacy.score > b.advocacy.score;
                return a.reference_id < b.reference_id;
            }();
            if (better) {
                best = c;
                best_value = v;
                best_progress = progress;
            }
        }
        if (best == qualifying.size()) break;
        picked[best] = true;
        recruit_pick pick;
        pick.reference_id = report.candidates[best].reference_id;
        pick.marginal_value = best_value;
        for (const auto j : qualifying[best]) {
            if (need[j] == 0) continue;
            if (--need[j] == 0) pick.newly_covered.push_back(short_of[j].id);
        }
        cumulative += best_value;
        pick.cumulative_value = cumulative;
        report.shortlist.push_back(std::move(pick));
    }
    std::stable_sort(report.candidates.begin(), report.candidates.end(),
                     [](const recruit_candidate& a, const recruit_candidate& b) {
                         if (a.value_covered != b.value_covered)
                             return a.value_covered > b.value_covered;
                         if (a.advocacy.score != b.advocacy.score)
                             return a.advocacy.score > b.advocacy.score;
                         return a.reference_id < b.reference_id;
                     });
    return report;
}

}  // namespace refmatch::measurement
