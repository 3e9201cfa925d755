#include <refmatch/measurement/generator.hpp>
#include <refmatch/measurement/statistics.hpp>

#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>

namespace refmatch::measurement {
namespace {

// Uniform in [0, 1) from the top 53 bits: the same on every platform.
double uniform(splitmix64& rng) {
    return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
}

std::string padded(std::string_view prefix, std::size_t n, std::size_t width) {
    auto digits = std::to_string(n);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return std::string(prefix) + digits;
}

// As the program generator draws deal values: 20,000 × 2.2^band × U(0.5, 2), to the hundred.
double amount_for(size_band size, splitmix64& rng) {
    double base = 20000.0;
    for (int b = 0; b < size.value_or(2); ++b) base *= 2.2;
    return std::round(base * (0.5 + 1.5 * uniform(rng)) / 100.0) * 100.0;
}

constexpr std::array<std::string_view, 4> open_stages = {"discovery", "qualification", "proposal",
                                                         "negotiation"};

}  // namespace

std::vector<opportunity_outcome> generate_outcomes(const program& p,
                                                   const outcome_generator_options& options) {
    splitmix64 rng(options.seed);
    std::unordered_map<std::string, reference_customer> refs;
    for (auto& r : p.references.all()) refs.emplace(r.id, std::move(r));
    struct span_of_uses {
        std::string first_reference;
        date first, last;
    };
    std::vector<std::string> order;
    std::unordered_map<std::string, span_of_uses> deals;
    for (const auto& e : p.usage.events()) {
        if (e.opportunity_id.empty()) continue;
        const auto [it, fresh] =
            deals.try_emplace(e.opportunity_id, span_of_uses{e.reference_id, e.day, e.day});
        if (fresh) {
            order.push_back(e.opportunity_id);
            continue;
        }
        if (e.day < it->second.first) {
            it->second.first = e.day;
            it->second.first_reference = e.reference_id;
        }
        if (e.day > it->second.last) it->second.last = e.day;
    }
    std::vector<opportunity_outcome> out;
    const auto profile = [&](opportunity_outcome& o, const reference_customer& r) {
        o.industry = r.industry;
        o.country = r.country;
        o.size = r.size;
    };
    for (const auto& id : order) {
        const auto& d = deals.at(id);
        opportunity_outcome o;
        o.opportunity_id = id;
        profile(o, refs.at(d.first_reference));
        o.amount = amount_for(o.size, rng);
        o.created = d.first - std::chrono::days(10 + rng.below(111));
        const date close = d.last + std::chrono::days(rng.below(61));
        const bool won = uniform(rng) < options.win_rate_with;
        if (close > options.now) {
            o.status = deal_status::open;
            o.stage = std::string(open_stages[rng.below(open_stages.size())]);
        } else {
            o.status = won ? deal_status::won : deal_status::lost;
            o.stage = won ? "Closed Won" : "Closed Lost";
            o.closed = close;
        }
        out.push_back(std::move(o));
    }
    std::vector<const reference_customer*> pool;
    for (const auto& r : p.references.all()) pool.push_back(&refs.at(r.id));  // id order
    const auto extra = static_cast<std::size_t>(
        std::llround(static_cast<double>(order.size()) * options.unreferenced_per_referenced));
    for (std::size_t i = 0; i < extra && !pool.empty(); ++i) {
        opportunity_outcome o;
        o.opportunity_id = padded("N-", i + 1, 6);
        profile(o, *pool[rng.below(pool.size())]);
        o.amount = amount_for(o.size, rng);
        const date close = options.now - std::chrono::days(rng.below(365));
        o.created = close - std::chrono::days(20 + rng.below(161));
        const bool won = uniform(rng) < options.win_rate_without;
        o.status = won ? deal_status::won : deal_status::lost;
        o.stage = won ? "Closed Won" : "Closed Lost";
        o.closed = close;
        out.push_back(std::move(o));
    }
    return out;
}

std::vector<content::content_item> generate_content(const program& p,
                                                    const outcome_generator_options& options) {
    using content::content_status;
    using content::content_type;
    splitmix64 rng(options.seed ^ 0xc0ffee);
    const std::array<std::pair<activity_id, content_type>, 5> kinds = {
        {{activity::case_study, content_type::case_study},
         {activity::success_story, content_type::success_story},
         {activity::roi_case_study, content_type::roi_study},
         {activity::video_testimonial, content_type::video},
         {activity::quote, content_type::quote}}};
    std::vector<content::content_item> out;
    for (const auto& r : p.references.with_status(reference_status::active)) {
        if (uniform(rng) >= options.content_per_reference) continue;
        std::vector<content_type> types;
        for (const auto& [a, t] : kinds)
            if (r.consents_to(a)) types.push_back(t);
        if (types.empty()) continue;
        content::content_item c;
        c.id = padded("C-", out.size() + 1, 4);
        c.type = types[rng.below(types.size())];
        c.title = std::string(content::to_string(c.type)) + ": " + r.name;
        c.reference_id = r.id;
        c.industry = r.industry;
        c.products = r.products;
        c.country = r.country;
        c.size = r.size;
        const double u = uniform(rng);
        c.status = u < 0.70   ? content_status::published
                   : u < 0.85 ? content_status::approved
                              : content_status::draft;
        if (c.status != content_status::draft) {
            const double when = uniform(rng);
            if (when < 0.05) {  // scheduled
                c.published = options.now + std::chrono::days(1 + rng.below(30));
            } else {
                c.published = options.now - std::chrono::days(rng.below(700));
                c.expires = *c.published + std::chrono::days(730);
                if (when < 0.12) c.expires = options.now - std::chrono::days(rng.below(60));
                if (*c.expires <= *c.published) c.expires = *c.published + std::chrono::days(1);
            }
            if (c.status == content_status::published) c.uses = rng.below(40);
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace refmatch::measurement
