#pragma once
// A min-cost flow network solved by LEMON's network simplex, with the dual that pricing needs:
// node potentials p with reduced costs c(u,v) + p(u) − p(v) ≥ 0 on every residual arc, chosen
// as shortest residual distances from the sink (the largest p(v) − p(sink) any optimal dual
// allows, for every node at once). docs/assignment.md explains why that choice matters.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace refmatch::detail {

class flow_network {
public:
    using cost_type = long long;

    explicit flow_network(std::size_t nodes) : nodes_(nodes) {}

    std::size_t add_node() { return nodes_++; }
    /// Adds an arc and returns its index.
    std::size_t add_arc(std::size_t from, std::size_t to, int capacity, cost_type cost) {
        tail_.push_back(static_cast<int>(from));
        head_.push_back(static_cast<int>(to));
        capacity_.push_back(capacity);
        cost_.push_back(cost);
        return tail_.size() - 1;
    }
    [[nodiscard]] std::size_t nodes() const { return nodes_; }
    [[nodiscard]] std::size_t arcs() const { return tail_.size(); }
    [[nodiscard]] std::size_t tail(std::size_t a) const {
        return static_cast<std::size_t>(tail_[a]);
    }
    [[nodiscard]] std::size_t head(std::size_t a) const {
        return static_cast<std::size_t>(head_[a]);
    }
    [[nodiscard]] int capacity(std::size_t a) const { return capacity_[a]; }
    [[nodiscard]] cost_type cost(std::size_t a) const { return cost_[a]; }

    /// Sends `supply` units from `source` to `sink` at minimum cost (the network must admit
    /// them: callers add a bypass arc); then fills flow() and potential().
    void solve(std::size_t source, std::size_t sink, int supply);

    [[nodiscard]] int flow(std::size_t a) const { return flow_[a]; }
    [[nodiscard]] cost_type potential(std::size_t v) const { return potential_[v]; }
    /// Replaces a potential (callers lower nodes within what the dual allows).
    void set_potential(std::size_t v, cost_type p) { potential_[v] = p; }

private:
    void sink_distances(std::size_t sink);

    std::size_t nodes_;
    std::vector<int> tail_, head_, capacity_;
    std::vector<cost_type> cost_;
    std::vector<int> flow_;
    std::vector<cost_type> potential_;
};

}  // namespace refmatch::detail
