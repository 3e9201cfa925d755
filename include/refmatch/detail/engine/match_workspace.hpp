#pragma once
// The per-match workspace of lookup tables and the running top-k entry (namespace
// refmatch::detail; used by the engine).

#include <refmatch/detail/engine/match_snapshot.hpp>
#include <refmatch/quota_state.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace refmatch::detail {

// The quota states a batch has evaluated, by activity and snapshot position. A reference's state
// depends on the activity, `now`, the live holds and the ledger, never on the prospect, and a
// batch matches all its prospects with one set of options: so within a batch (`match_batch`
// turns it on for its own workspaces, and off before handing them back) each is evaluated once
// instead of once per prospect whose scan reaches it.
struct quota_memo {
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    bool active = false;
    std::vector<std::vector<std::uint32_t>> slot;  // [activity][position] → index into states
    std::vector<quota_state> states;

    void stop() {
        active = false;
        slot.clear();
        states.clear();
    }
};

// Per-prospect tables and buffers, reused from one match to the next by the same thread.
struct match_workspace {
    // Quantised upper-bound contributions; `reject` folds hard filters into the sum.
    static constexpr std::int32_t scale = 1 << 20;
    static constexpr std::int32_t reject = -(1 << 28);

    std::vector<std::int32_t> industry_q, geography_q, product_q;
    std::vector<std::int32_t> size_q;
    // Component values and the hard-filter verdict per local code.
    std::vector<double> industry_c, geography_c, size_c;
    std::vector<std::uint8_t> industry_lca, geography_lca;  // depth of the common ancestor
    std::vector<char> industry_ok, geography_ok, size_ok;
    std::vector<std::uint32_t> product_count;  // |P ∩ set| per set; zero between matches
    std::vector<std::uint32_t> touched_sets;
    std::vector<std::uint32_t> set_order;        // touched sets in the order the scan visits them
    std::vector<std::uint32_t> set_order_first;  // counting sort of set_order by products covered
    std::vector<std::uint32_t> excluded;
    bool product_q_clean = true;  // product_q is all zeros
    quota_memo quotas;            // off outside a batch

    void prepare(const match_snapshot& s) {
        const auto sets = s.product_set_count();
        if (product_count.size() != sets) {
            product_count.assign(sets, 0);
            product_q.assign(sets, 0);
            product_q_clean = true;
        }
    }
};

// One entry of the running top-k: ordered by final score (higher first), then position.
struct ranked {
    double final_score;
    std::uint32_t position;
    std::uint32_t used;
    friend bool operator<(const ranked& a, const ranked& b) {
        // "a ranks before b"; with std heap functions the top is then the worst entry.
        return a.final_score > b.final_score ||
               (a.final_score == b.final_score && a.position < b.position);
    }
};

}  // namespace refmatch::detail
