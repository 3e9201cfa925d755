#pragma once
/// @file content/library.hpp
/// Matching the materials library to a prospect, and its gaps. A content item is scored exactly
/// as a reference with the item's tags as its profile (scoring.md, without an activity: no quota
/// rules), by the program's engine: the same score, the same explanations. Only items usable on
/// the day (approved or published, publication day reached, not expired) take part, and never an
/// item featuring a reference the prospect excludes.

#include <refmatch/content/content_item.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/program.hpp>
#include <refmatch/program_tables.hpp>

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace refmatch::content {

/// Checks a library against its program: ids unique, every featured reference in the program,
/// tags known to its vocabulary. @throws validation_error naming the item and field.
inline void check_content(std::span<const content_item> items, const program& p) {
    std::unordered_set<std::string_view> seen;
    for (const auto& c : items) {
        const std::string subject = "content '" + c.id + "'";
        if (c.id.empty()) throw validation_error("content", "id", "a non-empty content id", "");
        if (!seen.insert(c.id).second)
            throw validation_error(subject, "id", "an id not used before", c.id);
        if (!c.reference_id.empty() && !p.references.contains(c.reference_id))
            throw validation_error(subject, "reference_id", "a reference id of the program",
                                   c.reference_id);
        (void)p.vocab->resolve(subject, c.industry, c.country, c.products, c.size);
    }
}

/// One item proposed for a prospect: the engine's result (ids are content ids) and the item.
struct content_match {
    const content_item* item = nullptr;
    match_result match;
};

/// The usable part of a library on one day, ready to match.
///
/// **Complexity:** construction O(n log n) for n items (a program and an engine over them);
/// `match` as `engine::match`. **Thread safety:** const members may be called concurrently;
/// the items must outlive the matcher.
class content_matcher {
public:
    /// @throws validation_error as `check_content`.
    content_matcher(const program& p, std::span<const content_item> items, date now) : now_(now) {
        check_content(items, p);
        program_tables t;
        t.vocab = p.vocab;
        t.quotas = p.quotas;
        for (const auto& c : items) {
            if (!c.usable_on(now)) continue;
            reference_customer r;
            r.id = c.id;
            r.name = c.title;
            r.industry = c.industry;
            r.products = c.products;
            r.country = c.country;
            r.size = c.size;
            r.status = reference_status::active;
            t.references.push_back(std::move(r));
            item_of_.emplace(c.id, &c);
        }
        library_ = std::move(t).assemble();
        engine_ = std::make_unique<engine>(*library_);
    }

    /// Items usable on the day.
    [[nodiscard]] std::size_t size() const noexcept { return item_of_.size(); }

    /// The best `k` usable items for `p`, with explanations. `options`' weights, hard filters
    /// and `min_score` apply; its activity does not (content has no quota).
    [[nodiscard]] std::vector<content_match> match(const prospect& p, std::size_t k,
                                                   const match_options& options = {}) const {
        const auto results = engine_->match(p, k, for_content(p, options));
        std::vector<content_match> out;
        out.reserve(results.size());
        for (const auto& r : results) out.push_back({item_of_.at(r.reference_id), r});
        return out;
    }

    /// Gap analysis of the library: prospects with fewer than `min_references` usable items
    /// scoring at least the threshold (see `analyse_gaps`).
    [[nodiscard]] gap_report gaps(std::span<const prospect> pipeline, gap_options options,
                                  const batch_options& batch = {}) const {
        std::vector<prospect> stripped(pipeline.begin(), pipeline.end());
        for (auto& p : stripped) {
            excluded_items(p);
            p.activity.reset();
        }
        options.match.activity.reset();
        options.match.use_prospect_activity = false;
        return analyse_gaps(*engine_, stripped, options, batch);
    }

private:
    // A prospect's excluded references, as the items that feature them.
    void excluded_items(prospect& p) const {
        std::vector<std::string> items;
        for (const auto& [id, c] : item_of_)
            for (const auto& x : p.exclusions)
                if (c->reference_id == x) items.push_back(id);
        p.exclusions = std::move(items);
    }
    match_options for_content(const prospect& p, match_options o) const {
        o.activity.reset();
        o.use_prospect_activity = false;
        o.now = now_;
        for (const auto& [id, c] : item_of_)
            for (const auto& x : p.exclusions)
                if (c->reference_id == x) o.exclusions.push_back(id);
        return o;
    }

    date now_;
    std::unique_ptr<program> library_;
    std::unique_ptr<engine> engine_;
    std::unordered_map<std::string, const content_item*> item_of_;
};

}  // namespace refmatch::content
