// The assignment solver: candidates from the engine, a min-cost flow over (demand, reference,
// use) arcs solved by network simplex, and pricing of every arc left out until none could
// improve the result. docs/assignment.md has the model and the exactness argument.

#include "flow_network.hpp"
#include "headroom.hpp"

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/detail/text.hpp>
#include <refmatch/engine.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace refmatch {

std::string_view to_string(unfilled_reason r) {
    switch (r) {
        case unfilled_reason::no_eligible_reference:
            return "no eligible reference";
        case unfilled_reason::taken_by_other_demands:
            return "candidates went to higher-value demands";
        default:
            return "";
    }
}

void assignment_options::validate() const {
    match.validate();
    if (candidates == 0)
        throw validation_error("assignment options", "candidates", "at least 1", "0");
    if (per_reference) {
        if (!per_reference->max_uses)
            throw validation_error("assignment options", "per_reference.max_uses",
                                   "a number of uses", "no limit");
        per_reference->validate();
    }
}

namespace {

using cost_type = detail::flow_network::cost_type;
// Scores (× weight / largest weight) are scaled to integers for the simplex: 2^30 units per 1.
constexpr double cost_scale = 1073741824.0;
constexpr std::uint16_t no_activity = 0xFFFF;
constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

// One (reference, activity) the batch may use.
struct lane {
    std::uint32_t reference = 0;
    std::uint16_t activity = no_activity;
    detail::lane_quota quota;
    std::uint32_t degree = 0;      // pairs on this lane
    std::uint32_t in_network = 0;  // of them, pairs of demands in the last network
    bool settled = false;          // its only pair is a settled demand's (see `settle`)
    // Of the last solve: level nodes first_node .. first_node + levels − 1 and their prices
    // (−potential); `theta` is the smallest price of a use not yet taken (levels and the next
    // one beyond them).
    std::size_t first_node = 0;
    std::uint32_t levels = 0;
    std::uint32_t offered = 0;  // uses the levels can take together
    std::vector<cost_type> price;
    cost_type theta = 0;
};

struct reference_entry {
    std::string id;
    std::uint32_t headroom = detail::unbounded_headroom;  // the per-reference cap
    std::vector<std::uint32_t> lanes;
    std::size_t cap_node = 0;  // 0: none in the last network
    cost_type price = 0;       // −potential of the cap node (0 without one)
};

struct pair_entry {
    std::uint32_t lane = 0;
    match_result match;
};

struct demand_entry {
    prospect request;  // its activity is the one in force
    std::uint32_t count = 1;
    double weight = 1.0;  // in the objective
    double unit = 0.0;    // integer value units per score point
    std::vector<match_result> ranked;
    std::vector<std::uint32_t> ranked_lanes;  // the lane of each of `ranked`
    bool exhausted = false;                   // `ranked` holds every eligible reference
    double bound = 0.0;  // no eligible reference outside `ranked` scores higher
    std::vector<pair_entry> pairs;
    std::vector<std::uint32_t> pair_refs;  // sorted reference indices of `pairs`
    std::size_t node = 0;
    // The pair it takes outside the network (none: it is in the network); `may_settle` turns
    // false for good when pricing finds that settling it was not optimal.
    std::uint32_t settled = std::numeric_limits<std::uint32_t>::max();
    bool may_settle = true;
};

// Everything one call works on.
class solver {
public:
    solver(const engine& e, std::span<const assignment_demand> demands,
           const assignment_options& options)
        : engine_(e), options_(options), now_(options.match.now.value_or(date{})) {
        options.validate();
        query_options_ = options.match;
        query_options_.activity.reset();
        query_options_.use_prospect_activity = true;
        // The engine counts the live holds in every candidate's quota state (eligibility,
        // fatigue, the `used` the headroom is read from); the cap per reference counts them too.
        std::vector<live_hold> all = options.holds;
        if (options.match.holds)
            all.insert(all.end(), options.match.holds->holds().begin(),
                       options.match.holds->holds().end());
        for (const auto& h : all) holds_[h.reference_id].push_back({h.activity, h.day});
        if (!all.empty()) query_options_.holds = std::make_shared<const hold_index>(std::move(all));

        double largest = 0.0;
        demands_.reserve(demands.size());
        for (std::size_t i = 0; i < demands.size(); ++i) {
            const auto& d = demands[i];
            const std::string subject =
                "assignment demand " + std::to_string(i) + " ('" + d.request.id + "')";
            if (d.count == 0) throw validation_error(subject, "count", "at least 1 reference", "0");
            if (!(d.weight >= 0.0) || !std::isfinite(d.weight))
                throw validation_error(subject, "weight", "a finite weight >= 0",
                                       score_weights::format_number(d.weight));
            demand_entry de;
            de.request = d.request;
            de.request.activity =
                d.activity ? d.activity
                           : (options.match.activity
                                  ? options.match.activity
                                  : (options.match.use_prospect_activity ? d.request.activity
                                                                         : std::nullopt));
            de.count = d.count;
            de.weight = options.weighted ? d.weight : 1.0;
            largest = std::max(largest, de.weight);
            demands_.push_back(std::move(de));
        }
        for (auto& d : demands_) d.unit = largest > 0.0 ? d.weight / largest * cost_scale : 0.0;
        depth_ = options.candidates;
        for (const auto& d : demands_) depth_ = std::max<std::size_t>(depth_, d.count);
        add_limit_ = depth_;
    }

    // The engine's top-m for every demand, in one batch.
    void seed() {
        std::vector<prospect> requests;
        requests.reserve(demands_.size());
        for (const auto& d : demands_) requests.push_back(d.request);
        batch_options batch;
        batch.threads = options_.threads;
        auto ranked = engine_.match_batch(requests, depth_, query_options_, batch);
        for (std::size_t i = 0; i < demands_.size(); ++i) {
            auto& d = demands_[i];
            d.ranked = std::move(ranked[i]);
            d.exhausted = d.ranked.size() < depth_;
            d.bound = d.ranked.empty() ? 0.0 : d.ranked.back().final_score;
            d.ranked_lanes.reserve(d.ranked.size());
            for (const auto& r : d.ranked) d.ranked_lanes.push_back(lane_of(d, r));
        }
        read_reference_headroom();
    }

    assignment_result optimise() {
        for (auto& d : demands_) {
            d.pairs.reserve(d.ranked.size());
            d.pair_refs.reserve(d.ranked.size());
            for (std::size_t j = 0; j < d.ranked.size(); ++j)
                add_pair(d, d.ranked[j], d.ranked_lanes[j]);
        }
        assignment_result out;
        for (;;) {
            build_and_solve();
            ++stats_.rounds;
            if (!price()) break;
        }
        out.demands = read_solution();
        out.totals = totals(out.demands);
        stats_.arcs = network_ ? network_->arcs() : 0;
        for (const auto& d : demands_) {
            stats_.pairs += d.pairs.size();
            stats_.settled += d.settled != none;
        }
        out.stats = stats_;
        return out;
    }

private:
    // --- References and lanes -------------------------------------------------------------------

    std::uint32_t reference_index(const std::string& id) {
        const auto it = reference_ids_.find(id);
        if (it != reference_ids_.end()) return it->second;
        const auto index = static_cast<std::uint32_t>(references_.size());
        references_.push_back({id, detail::unbounded_headroom, {}, 0, 0});
        reference_ids_.emplace(id, index);
        return index;
    }
    [[nodiscard]] std::uint32_t find_reference(std::string_view id) const {
        const auto it = reference_ids_.find(id);
        return it == reference_ids_.end() ? none : it->second;
    }
    [[nodiscard]] std::uint32_t find_lane(std::uint32_t ref, std::uint16_t act) const {
        for (const auto l : references_[ref].lanes)
            if (lanes_[l].activity == act) return l;
        return none;
    }
    static std::uint16_t activity_key(const demand_entry& d) {
        return d.request.activity ? d.request.activity->value : no_activity;
    }

    // The lane of a result for a demand, created with its headroom on first sight.
    std::uint32_t lane_of(const demand_entry& d, const match_result& r) {
        const auto ref = reference_index(r.reference_id);
        const auto act = activity_key(d);
        if (const auto l = find_lane(ref, act); l != none) return l;
        lane fresh;
        fresh.reference = ref;
        fresh.activity = act;
        // The engine's result carries the evaluator's state, live holds included.
        fresh.quota = detail::headroom(r.quota);
        const auto index = static_cast<std::uint32_t>(lanes_.size());
        lanes_.push_back(std::move(fresh));
        references_[ref].lanes.push_back(index);
        if (options_.per_reference) pending_headroom_.push_back(ref);
        return index;
    }

    // The per-reference cap: uses of all activities in its window, plus live holds, from one
    // consistent ledger view (taken outside any engine call).
    void read_reference_headroom() {
        if (!options_.per_reference || pending_headroom_.empty()) return;
        const quota_limit cap = *options_.per_reference;
        const auto& prog = engine_.source();
        const std::size_t activities = prog.vocab->activities.size();
        const auto reader = prog.usage.read();
        for (const auto ref : pending_headroom_) {
            auto& entry = references_[ref];
            if (entry.headroom != detail::unbounded_headroom) continue;
            std::uint32_t used = 0;
            for (std::size_t a = 0; a < activities; ++a)
                used += reader.used(entry.id, activity_id{static_cast<std::uint16_t>(a)},
                                    cap.window_days, now_);
            if (const auto it = holds_.find(entry.id); it != holds_.end())
                used += static_cast<std::uint32_t>(it->second.size());
            entry.headroom = *cap.max_uses > used ? *cap.max_uses - used : 0;
        }
        pending_headroom_.clear();
    }

    // New uses a lane can take: its own headroom and its reference's cap.
    [[nodiscard]] std::uint32_t room(const lane& l) const {
        return std::min(l.quota.headroom, references_[l.reference].headroom);
    }
    [[nodiscard]] bool usable(std::uint32_t l) const {
        return lanes_[l].quota.headroom > 0 && references_[lanes_[l].reference].headroom > 0;
    }

    // The fatigue factor of the j-th new use (1-based) of a lane.
    [[nodiscard]] double factor(const lane& l, std::uint32_t j) const {
        if (!l.quota.max_uses) return 1.0;
        const double u = std::min(1.0, static_cast<double>(l.quota.used + j - 1) /
                                           static_cast<double>(*l.quota.max_uses));
        return 1.0 - options_.match.fatigue_weight * u;
    }
    [[nodiscard]] bool distinct_levels(const lane& l) const {
        return l.quota.max_uses && options_.match.fatigue_weight > 0.0;
    }
    // Integer value of a score for a demand, plus one unit so that, between equal scores,
    // filling a demand beats leaving it empty.
    [[nodiscard]] static cost_type value_of(const demand_entry& d, double score) {
        return static_cast<cost_type>(std::llround(score * d.unit)) + 1;
    }

    bool add_pair(demand_entry& d, const match_result& r) { return add_pair(d, r, lane_of(d, r)); }
    bool add_pair(demand_entry& d, const match_result& r, std::uint32_t l) {
        if (!usable(l)) return false;
        const auto ref = lanes_[l].reference;
        const auto pos = std::lower_bound(d.pair_refs.begin(), d.pair_refs.end(), ref);
        if (pos != d.pair_refs.end() && *pos == ref) return false;
        d.pair_refs.insert(pos, ref);
        d.pairs.push_back({l, r});
        ++lanes_[l].degree;
        return true;
    }

    // --- The network ----------------------------------------------------------------------------

    // The value of the first new use of pair p for demand d: the most the pair can be worth.
    [[nodiscard]] cost_type first_use_value(const demand_entry& d, const pair_entry& p) const {
        return value_of(d, p.match.base_score * factor(lanes_[p.lane], 1));
    }

    // A demand wanting one reference whose most valuable pair is the only pair of its reference
    // (of its lane, without a per-reference cap) takes that pair in an optimum: moving it there
    // from any other pair, or from the bypass, never lowers the total and only frees a use. Such
    // a demand is settled outside the network, which then holds only the contested rest
    // (docs/assignment.md, section 3; pricing re-checks the settled demands' other pairs).
    void settle() {
        std::vector<std::uint32_t> reference_pairs;
        if (options_.per_reference) {
            reference_pairs.assign(references_.size(), 0);
            for (const auto& l : lanes_) reference_pairs[l.reference] += l.degree;
        }
        for (auto& l : lanes_) {
            l.in_network = 0;
            l.settled = false;
        }
        for (auto& d : demands_) {
            d.settled = none;
            if (d.may_settle && d.count == 1 && !d.pairs.empty()) {
                std::uint32_t best = 0;
                cost_type best_value = first_use_value(d, d.pairs[0]);
                for (std::uint32_t p = 1; p < d.pairs.size(); ++p)
                    if (const auto v = first_use_value(d, d.pairs[p]); v > best_value) {
                        best = p;
                        best_value = v;
                    }
                auto& l = lanes_[d.pairs[best].lane];
                if (l.degree == 1 &&
                    (!options_.per_reference || reference_pairs[l.reference] == 1)) {
                    d.settled = best;
                    l.settled = true;
                    continue;
                }
            }
            for (const auto& p : d.pairs) ++lanes_[p.lane].in_network;
        }
    }

    // Nodes: 0 source, 1 sink, demands, per-pair nodes of demands wanting several references
    // (so that a demand takes a reference once), per-reference cap nodes, lane levels. A limited
    // lane with fatigue has one node per use it can still take (capacity 1, its own factor);
    // other lanes one node with their whole headroom.
    void build_and_solve() {
        read_reference_headroom();
        settle();
        int total = 0;
        for (const auto& d : demands_)
            if (d.settled == none) total += static_cast<int>(d.count);
        network_.emplace(2);
        auto& net = *network_;
        for (auto& d : demands_) {
            if (d.settled != none) continue;
            d.node = net.add_node();
            net.add_arc(0, d.node, static_cast<int>(d.count), 0);
        }
        net.add_arc(0, 1, total + 2, 0);  // unfilled demand: always carries at least one unit
        for (auto& r : references_) r.cap_node = 0;
        caps_first_node_ = net.nodes();
        if (options_.per_reference) {
            for (const auto& l : lanes_)
                if (l.in_network > 0 && references_[l.reference].cap_node == 0) {
                    auto& r = references_[l.reference];
                    r.cap_node = net.add_node();
                    net.add_arc(r.cap_node, 1,
                                static_cast<int>(std::min<std::uint32_t>(r.headroom, 1u << 30)), 0);
                }
        }
        levels_first_node_ = net.nodes();
        for (auto& l : lanes_) {
            l.levels = 0;
            l.offered = 0;
            if (l.in_network == 0) continue;
            // A lane never takes more uses than it has demands, nor than its reference's cap.
            const std::uint32_t uses = std::min(room(l), l.in_network);
            l.offered = uses;
            const std::size_t next =
                references_[l.reference].cap_node ? references_[l.reference].cap_node : 1;
            l.first_node = net.nodes();
            l.levels = distinct_levels(l) ? uses : 1;
            const int level_capacity = distinct_levels(l) ? 1 : static_cast<int>(uses);
            for (std::uint32_t j = 0; j < l.levels; ++j)
                net.add_arc(net.add_node(), next, level_capacity, 0);
        }
        levels_end_node_ = net.nodes();
        assignment_arcs_.clear();
        for (std::size_t i = 0; i < demands_.size(); ++i) {
            auto& d = demands_[i];
            if (d.settled != none) continue;
            for (std::size_t p = 0; p < d.pairs.size(); ++p) {
                const auto& l = lanes_[d.pairs[p].lane];
                std::size_t from = d.node;
                // A demand must not take two uses of one lane: through a node of its own when
                // the lane has several levels (one level's arc has capacity 1 already).
                if (d.count > 1 && l.levels > 1) {
                    from = net.add_node();
                    net.add_arc(d.node, from, 1, 0);
                }
                for (std::uint32_t j = 0; j < l.levels; ++j) {
                    const double score = d.pairs[p].match.base_score * factor(l, j + 1);
                    const auto a = net.add_arc(from, l.first_node + j, 1, -value_of(d, score));
                    assignment_arcs_.push_back({i, p, a});
                }
            }
        }
        net.solve(0, 1, total + 1);
        lower_prices();
    }

    // Lowers the potentials of cap and level nodes to the least the dual allows (the most
    // generous prices for arcs not yet in the network), then records the prices.
    void lower_prices() {
        auto& net = *network_;
        const auto lower = [&](std::size_t from_node, std::size_t to_node) {
            constexpr cost_type low = std::numeric_limits<cost_type>::min();
            std::vector<cost_type> bound(to_node - from_node, low);
            for (std::size_t a = 0; a < net.arcs(); ++a) {
                const auto u = net.tail(a), v = net.head(a);
                if (u >= from_node && u < to_node && net.flow(a) < net.capacity(a))
                    bound[u - from_node] =
                        std::max(bound[u - from_node], net.potential(v) - net.cost(a));
                if (v >= from_node && v < to_node && net.flow(a) > 0)
                    bound[v - from_node] =
                        std::max(bound[v - from_node], net.potential(u) + net.cost(a));
            }
            for (std::size_t v = from_node; v < to_node; ++v)
                if (bound[v - from_node] != low && bound[v - from_node] < net.potential(v))
                    net.set_potential(v, bound[v - from_node]);
        };
        if (options_.per_reference) lower(caps_first_node_, levels_first_node_);
        lower(levels_first_node_, levels_end_node_);
        for (auto& r : references_) r.price = r.cap_node ? -net.potential(r.cap_node) : 0;
        for (auto& l : lanes_) {
            if (l.settled) {
                // Its one use went to the settled demand, whose dual is that use's value: the
                // use is priced 0; further uses as a lane outside the network.
                l.levels = 1;
                l.offered = 1;
                l.price.assign(1, 0);
                l.theta = 0;
                continue;
            }
            const cost_type beyond = references_[l.reference].price;
            l.price.resize(l.levels);
            l.theta = room(l) > l.offered ? beyond : std::numeric_limits<cost_type>::max();
            for (std::uint32_t j = 0; j < l.levels; ++j) {
                l.price[j] = -net.potential(l.first_node + j);
                l.theta = std::min(l.theta, l.price[j]);
            }
        }
    }

    // --- Pricing --------------------------------------------------------------------------------

    // Would pair (d, r) lower the cost? True when some use it could take has a negative reduced
    // cost: value > y(d) + price of that use.
    [[nodiscard]] bool violates(const demand_entry& d, cost_type y, std::uint32_t l,
                                double base) const {
        const lane& ln = lanes_[l];
        if (!usable(l)) return false;
        for (std::uint32_t j = 0; j < ln.levels; ++j)
            if (value_of(d, base * factor(ln, j + 1)) > y + ln.price[j]) return true;
        // A use beyond those the network offers, priced by the reference's cap alone.
        if (room(ln) > ln.offered &&
            value_of(d, base * factor(ln, ln.offered + 1)) > y + references_[ln.reference].price)
            return true;
        return false;
    }

    // Adds the pairs that could improve the result and takes back the settlements that could;
    // false when there is nothing of either, so the last solve is optimal.
    bool price() {
        std::size_t added = 0, unsettled = 0;
        const auto& net = *network_;
        for (auto& d : demands_) {
            cost_type y = 0;
            if (d.settled != none) {
                // A settled demand's dual is its pair's value; its other pairs, outside the
                // network with it, are checked like left-out pairs.
                y = first_use_value(d, d.pairs[d.settled]);
                for (std::uint32_t p = 0; p < d.pairs.size(); ++p)
                    if (p != d.settled &&
                        violates(d, y, d.pairs[p].lane, d.pairs[p].match.base_score)) {
                        d.may_settle = false;
                        ++unsettled;
                        break;
                    }
                if (!d.may_settle) continue;
            } else {
                y = net.potential(d.node);
            }
            if (d.exhausted) continue;  // every eligible reference is among its pairs already
            if (value_of(d, d.bound) <= y) continue;  // no reference left out can beat y
            added += price_demand(d, y);
        }
        stats_.priced_in += added;
        return added + unsettled > 0;
    }

    // Asks the engine for the references left out of d's pairs that could violate, best first,
    // deeper until the rest are bounded.
    std::size_t price_demand(demand_entry& d, cost_type y) {
        std::unordered_set<std::uint32_t> checked;
        cost_type gap = value_of(d, d.bound) - y;
        const auto act = activity_key(d);
        std::size_t k = options_.candidates;
        std::size_t added = 0;
        match_options o = query_options_;
        const double threshold = d.unit > 0.0 ? static_cast<double>(y - 1) / d.unit : 0.0;
        if (threshold > 0.0)
            o.min_score = std::max(o.min_score.value_or(0.0), threshold * (1.0 - 1e-9));
        const auto& user = options_.match.predicate;
        o.predicate = [&](const reference_customer& r) {
            if (user && !user(r)) return false;
            const auto ref = find_reference(r.id);
            if (ref == none) return true;
            if (checked.count(ref)) return false;
            if (std::binary_search(d.pair_refs.begin(), d.pair_refs.end(), ref)) return false;
            if (references_[ref].headroom == 0) return false;
            const auto l = find_lane(ref, act);
            if (l == none) return references_[ref].price < gap;
            return usable(l) && lanes_[l].theta < gap;
        };
        for (;;) {
            ++stats_.pricing_queries;
            const auto found = engine_.match(d.request, k, o);
            for (const auto& r : found) {
                const auto l = lane_of(d, r);
                read_reference_headroom();
                checked.insert(lanes_[l].reference);
                if (violates(d, y, l, r.base_score) && add_pair(d, r)) ++added;
            }
            // The best few violators are enough for this round: the next solve re-prices
            // the rest (pricing ends only when a whole round finds none).
            if (added >= add_limit_) break;
            if (found.size() < k) break;
            gap = value_of(d, found.back().final_score) - y;
            if (gap <= 0) break;
            k *= 4;  // each query scans every reference: few, deep ones beat many shallow
        }
        return added;
    }

    // --- Reading the result ---------------------------------------------------------------------

    assigned_reference make_assigned(const demand_entry& d, const pair_entry& p,
                                     std::uint32_t use) const {
        assigned_reference a;
        a.match = p.match;
        a.use = use;
        a.marginal_score = p.match.base_score * factor(lanes_[p.lane], use);
        a.value = a.marginal_score * d.weight;
        return a;
    }

    std::vector<demand_assignment> read_solution() {
        const auto& net = *network_;
        // Per lane, the demands that use it; the best (× weight) takes the first use, and so on
        // (any optimum can be reordered so, and this order is never worse).
        std::vector<std::vector<std::pair<std::size_t, std::size_t>>> by_lane(lanes_.size());
        for (const auto& arc : assignment_arcs_)
            if (net.flow(arc.arc) > 0)
                by_lane[demands_[arc.demand].pairs[arc.pair].lane].push_back(
                    {arc.demand, arc.pair});
        for (std::size_t i = 0; i < demands_.size(); ++i)
            if (const auto p = demands_[i].settled; p != none)
                by_lane[demands_[i].pairs[p].lane].push_back({i, p});
        std::vector<demand_assignment> out(demands_.size());
        for (std::size_t l = 0; l < by_lane.size(); ++l) {
            auto& users = by_lane[l];
            std::stable_sort(users.begin(), users.end(), [&](const auto& a, const auto& b) {
                const auto& da = demands_[a.first];
                const auto& db = demands_[b.first];
                return da.pairs[a.second].match.base_score * da.weight >
                       db.pairs[b.second].match.base_score * db.weight;
            });
            for (std::uint32_t j = 0; j < users.size(); ++j) {
                const auto& d = demands_[users[j].first];
                out[users[j].first].references.push_back(
                    make_assigned(d, d.pairs[users[j].second], j + 1));
            }
        }
        finish(out,
               [&](std::size_t i) -> const std::vector<pair_entry>& { return demands_[i].pairs; });
        return out;
    }

    // The best eligible reference with headroom that demand d did not get, from the engine
    // (references in `skip` left out); none when there is no such reference.
    std::optional<match_result> best_missed(const demand_entry& d,
                                            const std::vector<std::uint32_t>& skip) {
        const auto act = activity_key(d);
        match_options o = query_options_;
        o.explain = false;
        const auto& user = options_.match.predicate;
        o.predicate = [&](const reference_customer& r) {
            if (user && !user(r)) return false;
            const auto ref = find_reference(r.id);
            if (ref == none) return true;
            if (std::find(skip.begin(), skip.end(), ref) != skip.end()) return false;
            if (references_[ref].headroom == 0) return false;
            const auto l = find_lane(ref, act);
            return l == none || usable(l);
        };
        for (;;) {
            const auto found = engine_.match(d.request, 4, o);
            for (const auto& r : found) (void)lane_of(d, r);
            read_reference_headroom();
            for (const auto& r : found)
                if (usable(lane_of(d, r))) return r;
            if (found.size() < 4) return std::nullopt;
        }
    }

    // Orders each demand's references and gives the unfilled ones their reason.
    template <class CandidatesOf>
    void finish(std::vector<demand_assignment>& out, CandidatesOf candidates_of) {
        std::unordered_map<std::string_view, std::vector<std::size_t>> holders;
        for (std::size_t i = 0; i < out.size(); ++i)
            for (const auto& a : out[i].references) holders[a.match.reference_id].push_back(i);
        for (std::size_t i = 0; i < out.size(); ++i) {
            auto& o = out[i];
            std::stable_sort(
                o.references.begin(), o.references.end(),
                [](const auto& a, const auto& b) { return a.marginal_score > b.marginal_score; });
            if (o.references.size() >= demands_[i].count) continue;
            // The best usable candidate it did not get, if any.
            const pair_entry* best = nullptr;
            for (const auto& p : candidates_of(i)) {
                if (!usable(p.lane)) continue;
                const bool got = std::any_of(
                    o.references.begin(), o.references.end(), [&](const assigned_reference& a) {
                        return a.match.reference_id == p.match.reference_id;
                    });
                if (!got && (!best || p.match.final_score > best->match.final_score)) best = &p;
            }
            std::string contested;
            if (best) {
                contested = best->match.reference_id;
            } else if (!demands_[i].exhausted) {
                std::vector<std::uint32_t> skip;
                for (const auto& a : o.references)
                    skip.push_back(find_reference(a.match.reference_id));
                if (const auto r = best_missed(demands_[i], skip)) contested = r->reference_id;
            }
            if (contested.empty()) {
                o.reason = unfilled_reason::no_eligible_reference;
                continue;
            }
            o.reason = unfilled_reason::taken_by_other_demands;
            o.contested_reference = contested;
            if (const auto it = holders.find(o.contested_reference); it != holders.end())
                o.taken_by = it->second;
        }
    }

public:
    std::vector<demand_assignment> greedy();
    [[nodiscard]] assignment_totals totals(const std::vector<demand_assignment>& result) const;

private:
    struct assignment_arc {
        std::size_t demand, pair, arc;
    };

    const engine& engine_;
    const assignment_options& options_;
    date now_;
    match_options query_options_;
    detail::string_map<std::vector<std::pair<activity_id, date>>> holds_;
    std::vector<demand_entry> demands_;
    std::size_t depth_ = 0;
    std::size_t add_limit_ = 0;  // violators one demand adds per pricing round
    std::vector<reference_entry> references_;
    detail::string_map<std::uint32_t> reference_ids_;
    std::vector<lane> lanes_;
    std::vector<std::uint32_t> pending_headroom_;
    std::optional<detail::flow_network> network_;
    std::size_t caps_first_node_ = 0, levels_first_node_ = 0, levels_end_node_ = 0;
    std::vector<assignment_arc> assignment_arcs_;
    assignment_stats stats_;
};

// Demands in due-date order; each takes, one at a time, the reference with the best marginal
// score at the current state. The cached top-m list answers when its best beats the score bound
// of everything outside it; otherwise the engine is asked again, for references with headroom
// left only, deeper until the answer is certain.
std::vector<demand_assignment> solver::greedy() {
    std::vector<std::size_t> order(demands_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return demands_[a].request.needed_by.value_or(date::max()) <
               demands_[b].request.needed_by.value_or(date::max());
    });
    std::vector<std::uint32_t> lane_used, reference_used;
    const auto available = [&](std::uint32_t l) {
        lane_used.resize(lanes_.size(), 0);
        reference_used.resize(references_.size(), 0);
        const auto ref = lanes_[l].reference;
        return usable(l) && lane_used[l] < lanes_[l].quota.headroom &&
               reference_used[ref] < references_[ref].headroom;
    };
    std::vector<demand_assignment> out(demands_.size());
    std::vector<std::vector<pair_entry>> considered(demands_.size());
    for (const auto i : order) {
        auto& d = demands_[i];
        std::vector<std::uint32_t> taken;
        const auto pick = [&](const std::vector<match_result>& list) {
            const match_result* best = nullptr;
            double best_score = -1.0;
            std::uint32_t best_lane = none;
            for (const auto& r : list) {
                const auto l = lane_of(d, r);
                read_reference_headroom();
                if (!available(l)) continue;
                if (std::find(taken.begin(), taken.end(), lanes_[l].reference) != taken.end())
                    continue;
                const double score = r.base_score * factor(lanes_[l], lane_used[l] + 1);
                if (score > best_score) {
                    best = &r;
                    best_score = score;
                    best_lane = l;
                }
            }
            return std::tuple{best, best_score, best_lane};
        };
        for (std::uint32_t c = 0; c < d.count; ++c) {
            auto [best, score, l] = pick(d.ranked);
            std::vector<match_result> deeper;
            if (!d.exhausted && !(best && score >= d.bound)) {
                const auto act = activity_key(d);
                match_options o = query_options_;
                const auto& user = options_.match.predicate;
                o.predicate = [&](const reference_customer& r) {
                    if (user && !user(r)) return false;
                    const auto ref = find_reference(r.id);
                    if (ref == none) return true;
                    if (std::find(taken.begin(), taken.end(), ref) != taken.end()) return false;
                    const auto ln = find_lane(ref, act);
                    if (ln == none) {
                        reference_used.resize(references_.size(), 0);
                        return reference_used[ref] < references_[ref].headroom;
                    }
                    return available(ln);
                };
                for (std::size_t k = options_.candidates;; k *= 2) {
                    deeper = engine_.match(d.request, k, o);
                    std::tie(best, score, l) = pick(deeper);
                    if (deeper.size() < k || (best && score >= deeper.back().final_score)) break;
                }
            }
            if (!best) break;
            considered[i].push_back({l, *best});
            out[i].references.push_back(make_assigned(d, {l, *best}, ++lane_used[l]));
            ++reference_used[lanes_[l].reference];
            taken.push_back(lanes_[l].reference);
        }
        for (const auto& r : d.ranked) considered[i].push_back({lane_of(d, r), r});
    }
    finish(out, [&](std::size_t i) -> const std::vector<pair_entry>& { return considered[i]; });
    return out;
}

assignment_totals solver::totals(const std::vector<demand_assignment>& result) const {
    assignment_totals t;
    std::unordered_map<std::string_view, std::uint32_t> load;
    for (std::size_t i = 0; i < result.size(); ++i) {
        const auto& got = result[i].references;
        for (const auto& a : got) {
            t.score += a.marginal_score;
            t.value += a.value;
            ++t.assigned;
            ++load[a.match.reference_id];
        }
        if (got.size() >= demands_[i].count) {
            ++t.filled;
            t.value_covered += demands_[i].request.deal_value;
        } else if (!got.empty()) {
            ++t.partial;
        }
    }
    std::vector<std::uint32_t> loads;
    loads.reserve(load.size());
    for (const auto& [id, n] : load) loads.push_back(n);
    std::sort(loads.begin(), loads.end());
    if (!loads.empty()) t.max_load = loads.back();
    // Gini over all active references, the ones without load included (they sort first).
    const double n = static_cast<double>(std::max(engine_.stats().references, loads.size()));
    const double zeros = n - static_cast<double>(loads.size());
    double weighted = 0.0, sum = 0.0;
    for (std::size_t j = 0; j < loads.size(); ++j) {
        const double rank = zeros + static_cast<double>(j) + 1.0;
        weighted += (2.0 * rank - n - 1.0) * loads[j];
        sum += loads[j];
    }
    if (sum > 0.0) t.load_gini = weighted / (n * sum);
    return t;
}

}  // namespace

assignment_result assign(const engine& e, std::span<const assignment_demand> demands,
                         const assignment_options& options) {
    solver s(e, demands, options);
    s.seed();
    auto out = s.optimise();
    if (options.baseline) {
        out.greedy = s.greedy();
        out.greedy_totals = s.totals(out.greedy);
    }
    return out;
}

assignment_result assign_greedy(const engine& e, std::span<const assignment_demand> demands,
                                const assignment_options& options) {
    solver s(e, demands, options);
    s.seed();
    assignment_result out;
    out.demands = s.greedy();
    out.totals = s.totals(out.demands);
    return out;
}

}  // namespace refmatch
