#include "flow_network.hpp"

#include <refmatch/error.hpp>

#include <functional>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <limits>
#include <queue>
#include <utility>

namespace refmatch::detail {

void flow_network::solve(std::size_t source, std::size_t sink, int supply) {
    lemon::SmartDigraph g;
    g.reserveNode(static_cast<int>(nodes_));
    g.reserveArc(static_cast<int>(tail_.size()));
    std::vector<lemon::SmartDigraph::Node> node(nodes_);
    for (auto& n : node) n = g.addNode();
    for (std::size_t a = 0; a < tail_.size(); ++a)
        g.addArc(node[static_cast<std::size_t>(tail_[a])],
                 node[static_cast<std::size_t>(head_[a])]);
    // SmartDigraph numbers arcs in insertion order, so arc a of this network is g's arc a.
    lemon::SmartDigraph::ArcMap<int> upper(g);
    lemon::SmartDigraph::ArcMap<cost_type> cost(g);
    for (std::size_t a = 0; a < tail_.size(); ++a) {
        upper[g.arcFromId(static_cast<int>(a))] = capacity_[a];
        cost[g.arcFromId(static_cast<int>(a))] = cost_[a];
    }
    lemon::NetworkSimplex<lemon::SmartDigraph, int, cost_type> simplex(g);
    simplex.upperMap(upper).costMap(cost).stSupply(node[source], node[sink], supply);
    if (simplex.run() != decltype(simplex)::OPTIMAL)
        throw error("assignment: the flow network has no optimal solution (internal error)");
    flow_.assign(tail_.size(), 0);
    for (std::size_t a = 0; a < tail_.size(); ++a)
        flow_[a] = simplex.flow(g.arcFromId(static_cast<int>(a)));
    potential_.assign(nodes_, 0);
    for (std::size_t v = 0; v < nodes_; ++v) potential_[v] = simplex.potential(node[v]);
    sink_distances(sink);
}

// Dijkstra from the sink over the residual network with the simplex's reduced costs (all ≥ 0 at
// an optimum); distance + the simplex potential is the true residual distance from the sink.
void flow_network::sink_distances(std::size_t sink) {
    const std::size_t n = nodes_;
    std::vector<std::size_t> start(n + 1, 0);
    const auto reduced = [&](std::size_t a) {
        return cost_[a] + potential_[static_cast<std::size_t>(tail_[a])] -
               potential_[static_cast<std::size_t>(head_[a])];
    };
    for (std::size_t a = 0; a < tail_.size(); ++a) {
        if (flow_[a] < capacity_[a]) ++start[static_cast<std::size_t>(tail_[a]) + 1];
        if (flow_[a] > 0) ++start[static_cast<std::size_t>(head_[a]) + 1];
    }
    for (std::size_t v = 0; v < n; ++v) start[v + 1] += start[v];
    std::vector<std::pair<std::size_t, cost_type>> edges(start[n]);
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::size_t a = 0; a < tail_.size(); ++a) {
        const auto u = static_cast<std::size_t>(tail_[a]);
        const auto v = static_cast<std::size_t>(head_[a]);
        const cost_type rc = reduced(a);
        if (flow_[a] < capacity_[a]) edges[fill[u]++] = {v, rc};
        if (flow_[a] > 0) edges[fill[v]++] = {u, -rc};
    }
    constexpr cost_type unreached = std::numeric_limits<cost_type>::max();
    std::vector<cost_type> dist(n, unreached);
    using item = std::pair<cost_type, std::size_t>;
    std::priority_queue<item, std::vector<item>, std::greater<>> queue;
    dist[sink] = 0;
    queue.push({0, sink});
    while (!queue.empty()) {
        const auto [d, u] = queue.top();
        queue.pop();
        if (d != dist[u]) continue;
        for (std::size_t e = start[u]; e < start[u + 1]; ++e) {
            const auto [v, w] = edges[e];
            const cost_type nd = d + w;  // w ≥ 0: reduced costs at an optimum
            if (nd < dist[v]) {
                dist[v] = nd;
                queue.push({nd, v});
            }
        }
    }
    const cost_type base = potential_[sink];
    for (std::size_t v = 0; v < n; ++v)
        if (dist[v] == unreached) {
            // Every node of the assignment network is reachable; if one were not, keep the
            // simplex's own (also optimal) dual rather than mixing two.
            for (std::size_t x = 0; x < n; ++x) potential_[x] -= base;
            return;
        }
    for (std::size_t v = 0; v < n; ++v) potential_[v] = dist[v] + potential_[v] - base;
}

}  // namespace refmatch::detail
