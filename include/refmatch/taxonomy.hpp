#pragma once
/// @file taxonomy.hpp
/// A rooted tree of codes (NAICS industries, M49 geography) with constant-time lowest common
/// ancestor and Wu–Palmer similarity.

#include <refmatch/detail/text.hpp>
#include <refmatch/error.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace refmatch {

/// One row of a taxonomy file: `code,title,parent` (`parent` empty for a top-level code).
/// `line` is the row's line in its file, used only in error messages (0 when unknown).
struct taxonomy_entry {
    std::string code;
    std::string title;
    std::string parent;
    std::size_t line = 0;
};

/// One hit of `taxonomy::search`: a node, its code and title, and how well its title matched
/// (in (0, 1], 1 being every word of the query found as it is in a top-level title of only
/// those words).
struct taxonomy_match {
    std::uint32_t node = 0;
    std::string code;
    std::string title;
    double score = 0.0;
};

/// A rooted tree of codes. The root is a virtual node of depth 0 (node id 0, see `root()`);
/// every code has depth `1 + depth(parent)`.
///
/// Node ids are dense (`0 .. size()-1`, root first) and stable for the taxonomy's life. Nodes are
/// also numbered in depth-first pre-order, so that the subtree of a node is the contiguous range
/// `[preorder(n), preorder(n) + subtree_size(n))`: the stores use this to list everything under a
/// NAICS sector or an M49 region with one ordered-index range.
///
/// Lookup (`find`) accepts the code and any registered alias (a country's alpha-3 code, numeric
/// code or English name), ignoring ASCII case.
///
/// **Complexity:** construction O(n log n); `find` O(1) expected; `lca`, `similarity`,
/// `is_ancestor` O(1) (Euler tour with a sparse table for range-minimum queries).
///
/// **Thread safety:** immutable after construction except `add_alias`; all const members may be
/// called concurrently. Add aliases before sharing the taxonomy.
class taxonomy {
public:
    using node_id = std::uint32_t;
    static constexpr node_id npos = static_cast<node_id>(-1);

    taxonomy() : taxonomy("", "", std::span<const taxonomy_entry>{}) {}

    /// Builds the tree from rows given in any order. `root_code`/`root_title` name the virtual
    /// root (M49 calls it "001" World; NAICS has none and passes ""). `source` names the input in
    /// error messages (a file name).
    /// @throws parse_error on an empty code, a duplicate code, an unknown parent or a cycle;
    ///         nothing is built then.
    taxonomy(std::string root_code, std::string root_title, std::span<const taxonomy_entry> entries,
             std::string_view source = {});

    [[nodiscard]] node_id root() const noexcept { return 0; }
    [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }

    /// The node with this code or alias (ASCII case ignored), or nullopt.
    [[nodiscard]] std::optional<node_id> find(std::string_view code_or_alias) const {
        return detail::with_ascii_lower(code_or_alias,
                                        [this](std::string_view key) -> std::optional<node_id> {
                                            const auto it = index_.find(key);
                                            if (it == index_.end()) return std::nullopt;
                                            return it->second;
                                        });
    }
    /// Like `find`, but throws not_found_error naming the taxonomy.
    [[nodiscard]] node_id at(std::string_view code_or_alias) const {
        if (auto id = find(code_or_alias)) return *id;
        throw not_found_error("no code '" + std::string(code_or_alias) + "' in taxonomy '" + name_ +
                              "'");
    }

    /// Registers another name for a node (ASCII case ignored). An alias never replaces a code or
    /// an earlier alias; returns false when the key was taken.
    bool add_alias(std::string_view alias, node_id id) {
        return index_.emplace(detail::ascii_lower(alias), id).second;
    }

    /// Every alias (lower-case, as looked up) with its node, in no particular order; the nodes'
    /// own codes excepted. O(codes + aliases).
    [[nodiscard]] std::vector<std::pair<std::string, node_id>> aliases() const {
        std::vector<std::pair<std::string, node_id>> out;
        for (const auto& [key, n] : index_)
            if (key != detail::ascii_lower(nodes_[n].code)) out.emplace_back(key, n);
        return out;
    }

    /// The name given to the taxonomy ("NAICS 2022", "UN M49"), used in messages.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    void set_name(std::string name) { name_ = std::move(name); }

    [[nodiscard]] const std::string& code(node_id n) const { return nodes_[n].code; }
    [[nodiscard]] const std::string& title(node_id n) const { return nodes_[n].title; }
    /// The parent node; npos for the root.
    [[nodiscard]] node_id parent(node_id n) const { return nodes_[n].parent; }
    [[nodiscard]] std::uint32_t depth(node_id n) const { return nodes_[n].depth; }
    [[nodiscard]] std::uint32_t preorder(node_id n) const { return nodes_[n].preorder; }
    [[nodiscard]] std::uint32_t subtree_size(node_id n) const { return nodes_[n].subtree_size; }
    /// The node with pre-order number `i` (the inverse of `preorder`): the subtree of `n` is
    /// `node_at_preorder(preorder(n) + j)` for `j < subtree_size(n)`.
    [[nodiscard]] node_id node_at_preorder(std::uint32_t i) const { return by_preorder_[i]; }
    [[nodiscard]] std::span<const node_id> children(node_id n) const {
        return {children_.data() + nodes_[n].first_child, nodes_[n].child_count};
    }
    /// The nodes whose titles best match free text, best first, at most `count` of them: for
    /// suggestions when a value is no code ("Financial Services" finds 52 Finance and Insurance
    /// and 5239 Other Financial Investment Activities). Words are compared without case or
    /// accents; a word matches exactly, or partly when it shares a stem of five letters or is the
    /// start of a title's word ("tech" in "Technology"). Rare words weigh more than common ones
    /// (inverse document frequency); titles with fewer other words, and shallower nodes, rank
    /// higher. A node whose
    /// title repeats its parent's is left out (the parent stands for it). Ties go to the
    /// shallower node, then to pre-order.
    ///
    /// **Complexity:** O(size() × words) per call (about 0.2 ms on NAICS 2022); cache the answer
    /// when asking for the same text many times.
    [[nodiscard]] std::vector<taxonomy_match> search(std::string_view text,
                                                     std::size_t count = 5) const;

    /// The deepest depth of any node.
    [[nodiscard]] std::uint32_t max_depth() const noexcept { return max_depth_; }

    /// The ancestors of `n` from its parent up to and including the root.
    [[nodiscard]] std::vector<node_id> ancestors(node_id n) const {
        std::vector<node_id> out;
        for (node_id p = parent(n); p != npos; p = parent(p)) out.push_back(p);
        return out;
    }
    /// The ancestor of `n` at depth `d` (`n` itself when `d == depth(n)`); npos if `d > depth(n)`.
    [[nodiscard]] node_id ancestor_at_depth(node_id n, std::uint32_t d) const {
        if (d > depth(n)) return npos;
        while (depth(n) > d) n = parent(n);
        return n;
    }

    /// True if `a` is `d` or one of its ancestors.
    [[nodiscard]] bool is_ancestor(node_id a, node_id d) const {
        return preorder(a) <= preorder(d) && preorder(d) < preorder(a) + subtree_size(a);
    }

    /// Lowest common ancestor of two nodes, O(1).
    [[nodiscard]] node_id lca(node_id a, node_id b) const {
        std::size_t lo = euler_first_[a];
        std::size_t hi = euler_first_[b];
        if (lo > hi) std::swap(lo, hi);
        const auto level = static_cast<unsigned>(std::bit_width(hi - lo + 1) - 1);
        const node_id x = sparse_[level][lo];
        const node_id y = sparse_[level][hi + 1 - (std::size_t{1} << level)];
        return depth(x) <= depth(y) ? x : y;
    }

    /// Wu–Palmer similarity `2·depth(lca) / (depth(a) + depth(b))`; 1 for the same node, 0 when
    /// either side is npos (a missing or unknown code).
    [[nodiscard]] double similarity(node_id a, node_id b) const {
        if (a == npos || b == npos) return 0.0;
        if (a == b) return 1.0;
        return wu_palmer(depth(lca(a, b)), depth(a), depth(b));
    }

    /// The Wu–Palmer formula on depths, the one place it is written down.
    [[nodiscard]] static double wu_palmer(std::uint32_t lca_depth, std::uint32_t depth_a,
                                          std::uint32_t depth_b) {
        return 2.0 * lca_depth / static_cast<double>(depth_a + depth_b);
    }

private:
    struct node {
        std::string code;
        std::string title;
        node_id parent = npos;
        std::uint32_t depth = 0;
        std::uint32_t preorder = 0;
        std::uint32_t subtree_size = 1;
        std::uint32_t first_child = 0;
        std::uint32_t child_count = 0;
    };

    std::string name_;
    std::vector<node> nodes_;
    std::vector<node_id> children_;      // grouped by parent, in input order
    detail::string_map<node_id> index_;  // lower-case code or alias -> node
    std::vector<node_id> by_preorder_;
    std::vector<std::uint32_t> euler_first_;
    std::vector<std::vector<node_id>> sparse_;  // sparse_[j][i]: shallowest of euler[i .. i+2^j)
    std::uint32_t max_depth_ = 0;
};

namespace detail {

// Depth-first visitor recording pre-order, depths and the Euler tour (a node on discovery, and
// its parent again after each child is finished).
struct taxonomy_tour_visitor : boost::default_dfs_visitor {
    std::vector<taxonomy::node_id>* euler;
    std::vector<taxonomy::node_id>* order;
    const std::vector<taxonomy::node_id>* parent;

    template <class Vertex, class Graph>
    void discover_vertex(Vertex v, const Graph&) const {
        order->push_back(static_cast<taxonomy::node_id>(v));
        euler->push_back(static_cast<taxonomy::node_id>(v));
    }
    template <class Vertex, class Graph>
    void finish_vertex(Vertex v, const Graph&) const {
        const auto p = (*parent)[v];
        if (p != taxonomy::npos) euler->push_back(p);
    }
};

}  // namespace detail

inline taxonomy::taxonomy(std::string root_code, std::string root_title,
                          std::span<const taxonomy_entry> entries, std::string_view source) {
    const std::string file(source);
    nodes_.reserve(entries.size() + 1);
    nodes_.push_back(node{std::move(root_code), std::move(root_title)});
    std::unordered_map<std::string_view, node_id> by_code;
    std::vector<std::size_t> lines(1, 0);
    if (!nodes_[0].code.empty()) by_code.emplace(nodes_[0].code, 0);
    for (const auto& e : entries) {
        if (e.code.empty()) throw parse_error(file, e.line, "code", "a non-empty code", e.code);
        const auto id = static_cast<node_id>(nodes_.size());
        if (const auto [it, fresh] = by_code.emplace(e.code, id); !fresh) {
            const std::size_t first = lines[it->second];
            throw parse_error(file, e.line, "code",
                              "a code not defined before" +
                                  (first ? " (first defined on line " + std::to_string(first) + ")"
                                         : std::string(" (it names the root)")),
                              e.code);
        }
        nodes_.push_back(node{e.code, e.title});
        lines.push_back(e.line);
    }
    // Codes are stored in nodes_, so re-point the keys at the stored strings.
    by_code.clear();
    for (node_id i = 0; i < nodes_.size(); ++i)
        if (i != 0 || !nodes_[0].code.empty()) by_code.emplace(nodes_[i].code, i);

    std::vector<node_id> parent(nodes_.size(), npos);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        if (e.parent.empty()) {
            parent[i + 1] = 0;
            continue;
        }
        const auto it = by_code.find(e.parent);
        if (it == by_code.end())
            throw parse_error(file, e.line, "parent", "a code defined in the taxonomy", e.parent);
        parent[i + 1] = it->second;
    }

    using graph_type = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    graph_type tree(nodes_.size());
    for (node_id v = 1; v < nodes_.size(); ++v) boost::add_edge(parent[v], v, tree);

    std::vector<node_id> euler;
    std::vector<node_id> order;
    euler.reserve(2 * nodes_.size());
    order.reserve(nodes_.size());
    std::vector<boost::default_color_type> colour(nodes_.size(), boost::white_color);
    boost::depth_first_visit(
        tree, 0, detail::taxonomy_tour_visitor{{}, &euler, &order, &parent},
        boost::make_iterator_property_map(colour.begin(), boost::get(boost::vertex_index, tree)));

    if (order.size() != nodes_.size()) {
        // Every node has one parent, so a node the walk from the root never reached lies on, or
        // hangs below, a cycle of parents. Report the cycle itself.
        node_id v = 0;
        while (colour[v] != boost::white_color) ++v;
        std::vector<int> seen(nodes_.size(), -1);
        std::vector<node_id> path;
        while (seen[v] < 0) {
            seen[v] = static_cast<int>(path.size());
            path.push_back(v);
            v = parent[v];
        }
        std::string cycle;
        for (std::size_t i = static_cast<std::size_t>(seen[v]); i < path.size(); ++i)
            cycle += nodes_[path[i]].code + " -> ";
        cycle += nodes_[v].code;
        throw parse_error(file, lines[v], "parent", "a tree (every code reachable from the root)",
                          "a cycle " + cycle);
    }

    for (node_id v = 0; v < nodes_.size(); ++v) nodes_[v].parent = parent[v];
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        const node_id v = order[i];
        nodes_[v].preorder = i;
        if (v != 0) nodes_[v].depth = nodes_[parent[v]].depth + 1;
        max_depth_ = std::max(max_depth_, nodes_[v].depth);
    }
    by_preorder_ = order;
    for (auto it = order.rbegin(); it != order.rend(); ++it)
        if (parent[*it] != npos) nodes_[parent[*it]].subtree_size += nodes_[*it].subtree_size;

    // Children, grouped by parent in input order.
    for (node_id v = 1; v < nodes_.size(); ++v) ++nodes_[parent[v]].child_count;
    std::uint32_t offset = 0;
    for (auto& n : nodes_) {
        n.first_child = offset;
        offset += n.child_count;
        n.child_count = 0;
    }
    children_.resize(offset);
    for (node_id v = 1; v < nodes_.size(); ++v) {
        auto& p = nodes_[parent[v]];
        children_[p.first_child + p.child_count++] = v;
    }

    euler_first_.assign(nodes_.size(), 0);
    for (std::size_t i = euler.size(); i-- > 0;)
        euler_first_[euler[i]] = static_cast<std::uint32_t>(i);
    sparse_.push_back(euler);
    for (std::size_t span = 2; span <= euler.size(); span *= 2) {
        const auto& prev = sparse_.back();
        std::vector<node_id> next(euler.size() - span + 1);
        for (std::size_t i = 0; i < next.size(); ++i) {
            const node_id x = prev[i];
            const node_id y = prev[i + span / 2];
            next[i] = nodes_[x].depth <= nodes_[y].depth ? x : y;
        }
        sparse_.push_back(std::move(next));
    }

    for (node_id v = 0; v < nodes_.size(); ++v)
        if (v != 0 || !nodes_[0].code.empty())
            index_.emplace(detail::ascii_lower(nodes_[v].code), v);
}

inline std::vector<taxonomy_match> taxonomy::search(std::string_view text,
                                                    std::size_t count) const {
    static constexpr std::string_view stop_words[] = {
        "a", "an", "and", "the", "of", "for", "in", "on", "or", "to", "all", "except", "other"};
    const auto is_stop = [](const std::string& w) {
        return std::find(std::begin(stop_words), std::end(stop_words), w) != std::end(stop_words);
    };
    std::vector<std::string> query;
    for (auto& w : detail::search_words(text))
        if (!is_stop(w) && std::find(query.begin(), query.end(), w) == query.end())
            query.push_back(std::move(w));
    if (query.empty() || count == 0) return {};

    // 2: the same word; 1: the same stem or a prefix of the title's word; 0: no match.
    const auto match = [](const std::string& q, const std::string& t) -> int {
        if (q == t) return 2;
        std::size_t common = 0;
        while (common < q.size() && common < t.size() && q[common] == t[common]) ++common;
        if (common >= 5) return 1;
        if (q.size() >= 4 && common == q.size()) return 1;
        if (common + 1 == std::max(q.size(), t.size()) && (q.back() == 's' || t.back() == 's') &&
            common >= 3)
            return 1;  // plural of a short word
        return 0;
    };

    struct candidate {
        node_id node;
        std::vector<int> best;  // per query word
        std::size_t words = 0;  // title words, stop words left out
        std::size_t matched = 0;
    };
    std::vector<candidate> candidates;
    std::vector<std::size_t> frequency(query.size(), 0);
    std::size_t documents = 0;
    for (node_id n = 1; n < nodes_.size(); ++n) {
        const auto p = nodes_[n].parent;
        if (p != npos && p != 0 &&
            detail::ascii_lower(nodes_[p].title) == detail::ascii_lower(nodes_[n].title))
            continue;
        ++documents;
        candidate c{n, std::vector<int>(query.size(), 0)};
        for (const auto& t : detail::search_words(nodes_[n].title)) {
            if (is_stop(t)) continue;
            ++c.words;
            bool any = false;
            for (std::size_t i = 0; i < query.size(); ++i) {
                const int m = match(query[i], t);
                if (m > c.best[i]) c.best[i] = m;
                any = any || m > 0;
            }
            if (any) ++c.matched;
        }
        bool hit = false;
        for (std::size_t i = 0; i < query.size(); ++i)
            if (c.best[i] > 0) {
                ++frequency[i];
                hit = true;
            }
        if (hit) candidates.push_back(std::move(c));
    }
    std::vector<double> weight(query.size());
    double total = 0.0;
    for (std::size_t i = 0; i < query.size(); ++i) {
        weight[i] =
            std::log(1.0 + static_cast<double>(documents) / static_cast<double>(1 + frequency[i]));
        total += weight[i];
    }
    std::vector<taxonomy_match> out;
    out.reserve(candidates.size());
    for (const auto& c : candidates) {
        double covered = 0.0;
        for (std::size_t i = 0; i < query.size(); ++i)
            covered += weight[i] * (c.best[i] == 2 ? 1.0 : c.best[i] == 1 ? 0.8 : 0.0);
        const double focus =
            c.words ? static_cast<double>(c.matched) / static_cast<double>(c.words) : 0.0;
        // Broader nodes first among similar titles: a suggestion should not be narrower than
        // the text asked for.
        const double breadth = 1.0 / (1.0 + 0.1 * (depth(c.node) - 1.0));
        out.push_back({c.node, nodes_[c.node].code, nodes_[c.node].title,
                       covered / total * (0.6 + 0.4 * focus) * breadth});
    }
    std::sort(out.begin(), out.end(), [&](const taxonomy_match& a, const taxonomy_match& b) {
        if (a.score != b.score) return a.score > b.score;
        if (depth(a.node) != depth(b.node)) return depth(a.node) < depth(b.node);
        return preorder(a.node) < preorder(b.node);
    });
    if (out.size() > count) out.resize(count);
    return out;
}

}  // namespace refmatch
