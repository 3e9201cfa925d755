#pragma once
// The human-readable reason of a match result ("same NAICS industry group 5112 · covers 2 of 3
// products · same sub-region Western Europe"), namespace refmatch::detail; used by engine.hpp.

#include <refmatch/activity.hpp>
#include <refmatch/detail/engine/match_snapshot.hpp>
#include <refmatch/detail/engine/match_workspace.hpp>
#include <refmatch/match.hpp>
#include <refmatch/taxonomy.hpp>
#include <refmatch/vocabulary.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace refmatch::detail {

// Level names for reasons ("same NAICS industry group 5112", "same sub-region Western Europe").
inline std::string industry_level_name(const taxonomy& t, std::uint32_t depth) {
    static constexpr const char* names[] = {"sector", "subsector", "industry group", "industry",
                                            "national industry"};
    std::string prefix = t.name().substr(0, t.name().find(' '));
    if (!prefix.empty()) prefix += ' ';
    if (depth >= 1 && depth <= 5) return prefix + names[depth - 1];
    return prefix + "level " + std::to_string(depth);
}
inline std::string geography_level_name(const taxonomy& t, taxonomy::node_id n) {
    if (t.children(n).empty()) return "country";
    switch (t.depth(n)) {
        case 1:
            return "region";
        case 2:
            return "sub-region";
        case 3:
            return "intermediate region";
        default:
            return "area";
    }
}

inline std::string make_reason(const match_snapshot& s, const match_workspace& ws,
                               const resolved_codes& p, size_band prospect_size, std::uint32_t i,
                               const match_result& r, const std::optional<activity_id>& activity,
                               const activity_catalog& activities) {
    const vocabulary& v = *s.vocab;
    std::vector<std::string> parts;
    const auto ind = s.industry[i];
    if (p.industry == taxonomy::npos || ind == 0) {
        parts.push_back("industry unknown");
    } else if (ws.industry_lca[ind] == 0) {
        // The reference's own sector against the prospect's: "NAICS sector 52 Finance and
        // Insurance vs 51".
        const auto& t = v.industries;
        const auto own = t.ancestor_at_depth(s.industries.node[ind], 1);
        parts.push_back(industry_level_name(t, 1) + " " + t.code(own) + " " + t.title(own) +
                        " vs " + t.code(t.ancestor_at_depth(p.industry, 1)));
    } else {
        const auto a = v.industries.ancestor_at_depth(p.industry, ws.industry_lca[ind]);
        parts.push_back("same " + industry_level_name(v.industries, ws.industry_lca[ind]) + " " +
                        v.industries.code(a));
    }
    if (r.products_requested > 0)
        parts.push_back("covers " + std::to_string(r.products_matched) + " of " +
                        std::to_string(r.products_requested) + " products");
    const auto geo = s.geography[i];
    if (p.geography == taxonomy::npos || geo == 0) {
        parts.push_back("location unknown");
    } else {
        // The reference's own country (or area), named when it is not the prospect's.
        const auto& t = v.geography;
        const auto own = s.geographies.node[geo];
        if (ws.geography_lca[geo] == 0) {
            const auto region = t.ancestor_at_depth(own, 1);
            parts.push_back((own == region ? "" : t.title(own) + ", ") + "region " +
                            t.title(region) + " vs " +
                            t.title(t.ancestor_at_depth(p.geography, 1)));
        } else {
            const auto a = t.ancestor_at_depth(p.geography, ws.geography_lca[geo]);
            std::string part = "same " + geography_level_name(t, a) + " " + t.title(a);
            if (own != p.geography && own != a) part += " (" + t.title(own) + ")";
            parts.push_back(std::move(part));
        }
    }
    const size_band size = s.record(i).size();
    if (size && prospect_size) {
        const int diff = std::abs(int{*size} - int{*prospect_size});
        if (diff == 0)
            parts.push_back("same size band " + v.sizes.label(*size));
        else
            parts.push_back("size " + std::to_string(diff) + (diff == 1 ? " band" : " bands") +
                            " apart");
    }
    if (activity && r.quota) {
        const auto& q = *r.quota;
        std::string part = activities.name(*activity) + " used " + std::to_string(q.used);
        if (q.max_uses) part += " of " + std::to_string(*q.max_uses);
        part += " in " + std::to_string(q.window_days) + " days";
        parts.push_back(std::move(part));
    }
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out += " \u00b7 ";
        out += part;
    }
    return out;
}

}  // namespace refmatch::detail
