#include <refmatch/detail/text.hpp>
#include <refmatch/taxonomy.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

using refmatch::taxonomy;
using refmatch::taxonomy_entry;

namespace {

// root ─ A ─ A1 ─ A11
//        │    └ A12
//        └ A2
//      B ─ B1
taxonomy small_tree() {
    const std::vector<taxonomy_entry> rows = {
        {"A11", "a11", "A1", 4}, {"A", "a", "", 2}, {"A1", "a1", "A", 3}, {"A12", "a12", "A1", 5},
        {"A2", "a2", "A", 6},    {"B", "b", "", 7}, {"B1", "b1", "B", 8}};
    return taxonomy("", "", rows, "small.csv");
}

// Brute-force LCA by walking parents: the oracle for the O(1) version.
taxonomy::node_id walk_lca(const taxonomy& t, taxonomy::node_id a, taxonomy::node_id b) {
    while (t.depth(a) > t.depth(b)) a = t.parent(a);
    while (t.depth(b) > t.depth(a)) b = t.parent(b);
    while (a != b) {
        a = t.parent(a);
        b = t.parent(b);
    }
    return a;
}

}  // namespace

TEST(Taxonomy, DepthsParentsAndCodes) {
    const auto t = small_tree();
    EXPECT_EQ(t.size(), 8u);
    EXPECT_EQ(t.depth(t.root()), 0u);
    EXPECT_EQ(t.depth(t.at("A")), 1u);
    EXPECT_EQ(t.depth(t.at("A11")), 3u);
    EXPECT_EQ(t.code(t.parent(t.at("A11"))), "A1");
    EXPECT_EQ(t.parent(t.root()), taxonomy::npos);
    EXPECT_EQ(t.max_depth(), 3u);
    EXPECT_EQ(t.find("a11"), t.find("A11"));  // ASCII case ignored
    EXPECT_FALSE(t.find("C"));
    EXPECT_THROW((void)t.at("C"), refmatch::not_found_error);
}

TEST(Taxonomy, WuPalmerHandWorked) {
    const auto t = small_tree();
    // lca(A11, A12) = A1 at depth 2: 2·2 / (3 + 3)
    EXPECT_DOUBLE_EQ(t.similarity(t.at("A11"), t.at("A12")), 4.0 / 6.0);
    // lca(A11, A2) = A at depth 1: 2·1 / (3 + 2)
    EXPECT_DOUBLE_EQ(t.similarity(t.at("A11"), t.at("A2")), 2.0 / 5.0);
    // A11 under A: 2·1/(3+1)
    EXPECT_DOUBLE_EQ(t.similarity(t.at("A11"), t.at("A")), 0.5);
    EXPECT_DOUBLE_EQ(t.similarity(t.at("A11"), t.at("B1")), 0.0);
    EXPECT_DOUBLE_EQ(t.similarity(t.at("B1"), t.at("B1")), 1.0);
    EXPECT_DOUBLE_EQ(t.similarity(t.at("B1"), taxonomy::npos), 0.0);
    EXPECT_DOUBLE_EQ(t.similarity(taxonomy::npos, taxonomy::npos), 0.0);
}

TEST(Taxonomy, SubtreesAreContiguousPreorderRanges) {
    const auto t = small_tree();
    const auto a = t.at("A");
    EXPECT_EQ(t.subtree_size(a), 5u);
    for (taxonomy::node_id n = 0; n < t.size(); ++n) {
        bool under = false;
        for (auto p = n; p != taxonomy::npos; p = t.parent(p)) under = under || p == a;
        EXPECT_EQ(t.is_ancestor(a, n), under) << t.code(n);
    }
    EXPECT_EQ(t.ancestors(t.at("A11")), (std::vector<taxonomy::node_id>{t.at("A1"), a, 0}));
    EXPECT_EQ(t.children(a).size(), 2u);
    for (taxonomy::node_id n = 0; n < t.size(); ++n)
        EXPECT_EQ(t.node_at_preorder(t.preorder(n)), n);
}

TEST(Taxonomy, LcaMatchesParentWalkOnRandomTrees) {
    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
        const int n = 1 + static_cast<int>(rng() % 300);
        std::vector<taxonomy_entry> rows;
        for (int i = 0; i < n; ++i) {
            const int parent = static_cast<int>(rng() % static_cast<unsigned>(i + 1)) - 1;
            rows.push_back({"c" + std::to_string(i), "",
                            parent < 0 ? "" : "c" + std::to_string(parent),
                            static_cast<std::size_t>(i + 2)});
        }
        std::shuffle(rows.begin(), rows.end(), rng);  // parents may come after children
        const taxonomy t("", "", rows);
        for (taxonomy::node_id a = 0; a < t.size(); ++a)
            for (taxonomy::node_id b = 0; b < t.size(); b += 7)
                ASSERT_EQ(t.lca(a, b), walk_lca(t, a, b));
    }
}

TEST(Taxonomy, RejectsDuplicateCode) {
    const std::vector<taxonomy_entry> rows = {{"A", "a", "", 2}, {"A", "again", "", 3}};
    try {
        taxonomy t("", "", rows, "dup.csv");
        FAIL() << "no error";
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(e.what(),
                     "dup.csv:3: field 'code': expected a code not defined before (first defined "
                     "on line 2), got 'A'");
        EXPECT_EQ(e.line(), 3u);
        EXPECT_EQ(e.field(), "code");
    }
}

TEST(Taxonomy, RejectsUnknownParent) {
    const std::vector<taxonomy_entry> rows = {{"A", "a", "", 2}, {"B", "b", "Z", 3}};
    try {
        taxonomy t("", "", rows, "t.csv");
        FAIL() << "no error";
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(e.what(),
                     "t.csv:3: field 'parent': expected a code defined in the taxonomy, got 'Z'");
    }
}

TEST(Taxonomy, RejectsEmptyCode) {
    const std::vector<taxonomy_entry> rows = {{"", "a", "", 2}};
    EXPECT_THROW(taxonomy("", "", rows, "t.csv"), refmatch::parse_error);
}

TEST(Taxonomy, RejectsCycle) {
    const std::vector<taxonomy_entry> rows = {
        {"A", "a", "", 2}, {"X", "x", "Y", 3}, {"Y", "y", "Z", 4}, {"Z", "z", "X", 5}};
    try {
        taxonomy t("", "", rows, "t.csv");
        FAIL() << "no error";
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(e.what(),
                     "t.csv:3: field 'parent': expected a tree (every code reachable from "
                     "the root), got 'a cycle X -> Y -> Z -> X'");
    }
}

TEST(Taxonomy, AliasesResolveButNeverReplaceCodes) {
    auto t = small_tree();
    EXPECT_TRUE(t.add_alias("Alpha", t.at("A")));
    EXPECT_EQ(t.at("ALPHA"), t.at("A"));
    EXPECT_FALSE(t.add_alias("B", t.at("A")));
    EXPECT_EQ(t.code(t.at("B")), "B");
}

// Lookups lower-case their key on the stack up to 64 characters and in a string beyond: both
// find what was registered, in any case.
TEST(Taxonomy, LongAndShortKeysIgnoreCase) {
    auto t = small_tree();
    for (const std::size_t n :
         {std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{200}}) {
        std::string alias(n, 'x');
        alias.back() = 'Q';
        ASSERT_TRUE(t.add_alias(alias, t.at("B"))) << n;
        std::string upper(n, 'X');
        upper.back() = 'q';
        EXPECT_EQ(t.find(upper), t.at("B")) << n;
        EXPECT_EQ(refmatch::detail::with_ascii_lower(
                      upper, [](std::string_view s) { return std::string(s); }),
                  refmatch::detail::ascii_lower(upper));
        EXPECT_FALSE(t.find(upper + "y")) << n;
    }
}
