#pragma once
// A brute-force implementation of docs/scoring.md, written literally and sharing no code with the
// engine's fast path: depths and common ancestors by walking parent links, products by set
// intersection of ids, quotas by scanning every event of the ledger, a full sort at the end.
// Tests compare the engine with it.

#include <refmatch/match.hpp>
#include <refmatch/program.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace refmatch::oracle {

struct scored {
    std::string id;
    double final_score = 0.0;
    double base_score = 0.0;
    score_components components;
    std::uint32_t used = 0;
};

inline std::optional<taxonomy::node_id> node_of(const taxonomy& t, const std::string& code) {
    if (code.empty()) return std::nullopt;
    return t.find(code);
}

inline std::uint32_t depth_of(const taxonomy& t, taxonomy::node_id n) {
    std::uint32_t d = 0;
    while (t.parent(n) != taxonomy::npos) {
        n = t.parent(n);
        ++d;
    }
    return d;
}

inline taxonomy::node_id walk_lca(const taxonomy& t, taxonomy::node_id a, taxonomy::node_id b) {
    std::set<taxonomy::node_id> up;
    for (auto x = a; x != taxonomy::npos; x = t.parent(x)) up.insert(x);
    for (auto y = b; y != taxonomy::npos; y = t.parent(y))
        if (up.count(y)) return y;
    return t.root();
}

// Wu–Palmer; 0 for a missing code; 1 for the same code.
inline double similarity(const taxonomy& t, std::optional<taxonomy::node_id> a,
                         std::optional<taxonomy::node_id> b) {
    if (!a || !b) return 0.0;
    if (*a == *b) return 1.0;
    const std::uint32_t l = depth_of(t, walk_lca(t, *a, *b));
    return 2.0 * l / static_cast<double>(depth_of(t, *a) + depth_of(t, *b));
}

// The ancestor of n at depth d (n itself at its own depth), or nullopt when n is shallower.
inline std::optional<taxonomy::node_id> ancestor_at(const taxonomy& t, taxonomy::node_id n,
                                                    std::uint32_t d) {
    std::vector<taxonomy::node_id> chain;  // n, parent, ..., root
    for (auto x = n; x != taxonomy::npos; x = t.parent(x)) chain.push_back(x);
    const auto depth = static_cast<std::uint32_t>(chain.size() - 1);
    if (d > depth) return std::nullopt;
    return chain[depth - d];
}

inline bool same_at(const taxonomy& t, std::optional<taxonomy::node_id> a,
                    std::optional<taxonomy::node_id> b, std::uint32_t d) {
    if (!a || !b) return false;
    const auto x = ancestor_at(t, *a, d);
    const auto y = ancestor_at(t, *b, d);
    return x && y && *x == *y;
}

// One reference judged for a prospect: its score, computed whether or not it is eligible (the
// fatigue of an at-limit reference is the full phi), and each eligibility rule it fails.
struct assessment {
    scored s;
    bool inactive = false, excluded = false, sector = false, geography = false, products = false;
    bool no_consent = false, at_limit = false, cooling = false, below_min = false,
         predicate = false;
    [[nodiscard]] bool eligible() const {
        return !(inactive || excluded || sector || geography || products || no_consent ||
                 at_limit || cooling || below_min || predicate);
    }
};

inline assessment assess(const program& prog, const prospect& p, const reference_customer& r,
                         const match_options& o, const std::vector<usage_event>& events) {
    const vocabulary& v = *prog.vocab;
    const auto p_ind = node_of(v.industries, p.industry);
    const auto p_geo = node_of(v.geography, p.country);
    const std::set<std::string> wanted(p.products.begin(), p.products.end());
    const bool has_activity = o.activity || (o.use_prospect_activity && p.activity);
    const activity_id act = o.activity ? *o.activity : p.activity.value_or(activity_id{});
    const date now = o.now.value_or(date{});
    std::set<std::string> excluded(p.exclusions.begin(), p.exclusions.end());
    excluded.insert(o.exclusions.begin(), o.exclusions.end());
    const int bands = v.sizes.count();

    assessment a;
    a.inactive = r.status != reference_status::active;
    a.excluded = excluded.count(r.id) > 0;
    const auto r_ind = node_of(v.industries, r.industry);
    const auto r_geo = node_of(v.geography, r.country);

    scored& s = a.s;
    s.id = r.id;
    s.components.industry = similarity(v.industries, p_ind, r_ind);
    s.components.geography = similarity(v.geography, p_geo, r_geo);
    const std::set<std::string> uses(r.products.begin(), r.products.end());
    std::size_t common = 0;
    for (const auto& id : wanted) common += uses.count(id);
    s.components.product =
        wanted.empty() ? 0.0 : static_cast<double>(common) / static_cast<double>(wanted.size());
    if (p.size && r.size)
        s.components.size = bands == 1
                                ? 1.0
                                : 1.0 - static_cast<double>(std::abs(int{*p.size} - int{*r.size})) /
                                            static_cast<double>(bands - 1);
    const auto& w = o.weights;
    s.base_score = (w.industry * s.components.industry + w.product * s.components.product +
                    w.geography * s.components.geography + w.size * s.components.size) /
                   (w.industry + w.product + w.geography + w.size);

    // Hard filters.
    a.sector = o.same_sector && !same_at(v.industries, p_ind, r_ind, 1);
    a.geography =
        (o.same_geography == geography_level::region && !same_at(v.geography, p_geo, r_geo, 1)) ||
        (o.same_geography == geography_level::sub_region &&
         !same_at(v.geography, p_geo, r_geo, 2)) ||
        (o.same_geography == geography_level::country && !(p_geo && r_geo && *p_geo == *r_geo));
    a.products = o.cover_all_products && common != wanted.size();

    double u = 0.0;
    if (has_activity) {
        const activity_consent* consent = nullptr;
        for (const auto& c : r.consents)
            if (c.activity == act) consent = &c;
        a.no_consent = consent == nullptr;
        if (consent) {
            const quota_limit limit = consent->limit ? *consent->limit : prog.quotas.limit(act);
            std::uint32_t used = 0;
            bool cooling = false;
            for (const auto& e : events) {
                if (e.reference_id != r.id || e.activity != act) continue;
                const auto age = (now - e.day).count();  // days before now
                if (age >= 0 && age < static_cast<long>(limit.window_days)) ++used;
                if (age >= 0 && age < static_cast<long>(limit.cooldown_days)) cooling = true;
            }
            // Live holds count like uses, and block within the cooldown before or after their
            // day (scoring.md, "Holds").
            if (o.holds)
                for (const auto& h : o.holds->holds()) {
                    if (h.reference_id != r.id || h.activity != act) continue;
                    ++used;
                    const long gap = (h.day - now).count();
                    if ((gap < 0 ? -gap : gap) < static_cast<long>(limit.cooldown_days))
                        cooling = true;
                }
            a.at_limit = limit.max_uses && used >= *limit.max_uses;
            a.cooling = cooling;
            s.used = used;
            if (limit.max_uses)
                u = std::min(1.0, static_cast<double>(used) / static_cast<double>(*limit.max_uses));
        }
    }
    s.final_score = s.base_score * (1.0 - o.fatigue_weight * u);
    a.below_min = o.min_score && !(s.final_score >= *o.min_score);
    a.predicate = o.predicate && !o.predicate(r);
    return a;
}

// Every eligible reference with its scores, best first (final desc, id asc); the top k.
inline std::vector<scored> match(const program& prog, const prospect& p, std::size_t k,
                                 const match_options& o) {
    const std::vector<usage_event> events = prog.usage.events();
    std::vector<scored> out;
    for (const reference_customer& r : prog.references.all()) {
        const assessment a = assess(prog, p, r, o, events);
        if (a.eligible()) out.push_back(a.s);
    }
    std::sort(out.begin(), out.end(), [](const scored& a, const scored& b) {
        return a.final_score != b.final_score ? a.final_score > b.final_score : a.id < b.id;
    });
    if (out.size() > k) out.resize(k);
    return out;
}

}  // namespace refmatch::oracle
