#pragma once
// A brute-force oracle for the assignment problem (docs/assignment.md): every way of giving each
// demand up to `count` distinct references is enumerated, quotas checked, and each reference's
// uses in the batch valued with the fatigue of its j-th use, best-weighted demand first. Written
// apart from the solver: no flow, no duals, no engine.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace refmatch::oracle {

struct assignment_instance {
    struct option {
        std::size_t lane = 0;  // the (reference, activity) it would use
        double base = 0.0;     // the base score of this (demand, reference)
    };
    struct demand {
        std::uint32_t count = 1;
        double weight = 1.0;
        std::vector<option> options;  // one per eligible reference
    };
    struct lane {
        std::size_t reference = 0;
        std::uint32_t used = 0;  // uses in the window + holds
        std::optional<std::uint32_t> max_uses;
        std::uint32_t headroom = 0;
    };
    std::vector<demand> demands;
    std::vector<lane> lanes;
    std::vector<std::uint32_t> reference_headroom;
    double fatigue_weight = 0.5;

    // The factor of the j-th new use (1-based) of a lane.
    [[nodiscard]] double factor(std::size_t l, std::uint32_t j) const {
        const auto& ln = lanes[l];
        if (!ln.max_uses) return 1.0;
        const double u =
            std::min(1.0, static_cast<double>(ln.used + j - 1) / static_cast<double>(*ln.max_uses));
        return 1.0 - fatigue_weight * u;
    }

    // The objective of a choice (chosen[i] = option indices of demand i): per lane, the weighted
    // bases in decreasing order take the uses 1, 2, ...
    [[nodiscard]] double value(const std::vector<std::vector<std::size_t>>& chosen) const {
        std::vector<std::vector<double>> by_lane(lanes.size());
        for (std::size_t i = 0; i < chosen.size(); ++i)
            for (const auto o : chosen[i])
                by_lane[demands[i].options[o].lane].push_back(demands[i].weight *
                                                              demands[i].options[o].base);
        double total = 0.0;
        for (std::size_t l = 0; l < by_lane.size(); ++l) {
            auto& v = by_lane[l];
            std::sort(v.begin(), v.end(), std::greater<>());
            for (std::size_t j = 0; j < v.size(); ++j)
                total += v[j] * factor(l, static_cast<std::uint32_t>(j + 1));
        }
        return total;
    }

    // The best objective over all feasible choices.
    [[nodiscard]] double best_value() const {
        std::vector<std::uint32_t> lane_uses(lanes.size(), 0);
        std::vector<std::uint32_t> reference_uses(reference_headroom.size(), 0);
        std::vector<std::vector<std::size_t>> chosen(demands.size());
        double best = 0.0;
        std::function<void(std::size_t)> visit_demand;
        std::function<void(std::size_t, std::size_t)> visit_option = [&](std::size_t i,
                                                                         std::size_t from) {
            visit_demand(i + 1);  // stop adding options to demand i here
            if (chosen[i].size() >= demands[i].count) return;
            for (std::size_t o = from; o < demands[i].options.size(); ++o) {
                const auto l = demands[i].options[o].lane;
                const auto r = lanes[l].reference;
                if (lane_uses[l] >= lanes[l].headroom) continue;
                if (reference_uses[r] >= reference_headroom[r]) continue;
                ++lane_uses[l];
                ++reference_uses[r];
                chosen[i].push_back(o);
                visit_option(i, o + 1);
                chosen[i].pop_back();
                --reference_uses[r];
                --lane_uses[l];
            }
        };
        visit_demand = [&](std::size_t i) {
            if (i == demands.size()) {
                best = std::max(best, value(chosen));
                return;
            }
            visit_option(i, 0);
        };
        visit_demand(0);
        return best;
    }
};

}  // namespace refmatch::oracle
