// A deterministic generator of realistic reference programs.

#include <refmatch/generator.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {
namespace {

// splitmix64: small, fast, and the same on every platform (std:: distributions are not).
class random_source {
public:
    explicit random_source(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [0, n).
    std::size_t below(std::size_t n) {
        return static_cast<std::size_t>(uniform() * static_cast<double>(n));
    }
    bool chance(double p) { return uniform() < p; }

private:
    std::uint64_t state_;
};

// A discrete distribution from weights (binary search over the cumulative sums).
class weighted {
public:
    explicit weighted(std::span<const double> weights) {
        double sum = 0;
        for (const double w : weights) cumulative_.push_back(sum += w);
    }
    std::size_t operator()(random_source& rng) const {
        const double x = rng.uniform() * cumulative_.back();
        const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
        return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
    }

private:
    std::vector<double> cumulative_;
};

template <class T>
const T& pick(random_source& rng, std::span<const T> items) {
    return items[rng.below(items.size())];
}

struct family {
    std::string_view id;
    std::string_view title;
    double weight;
};
constexpr std::array<family, 8> families = {{{"crm", "Customer", 30},
                                             {"erp", "Enterprise", 20},
                                             {"analytics", "Insight", 15},
                                             {"security", "Shield", 10},
                                             {"cloud", "Cloud", 10},
                                             {"hr", "People", 7},
                                             {"commerce", "Commerce", 5},
                                             {"collab", "Teams", 3}}};
constexpr std::array<std::string_view, 12> modules = {"Core",    "Cloud",    "Analytics", "Mobile",
                                                      "Connect", "Insights", "Automate",  "Studio",
                                                      "Edge",    "Vault",    "Flow",      "Assist"};

// Sectors a B2B software vendor sells to, most frequent first (weights in percent, roughly).
constexpr std::array<std::pair<std::string_view, double>, 20> sector_weights = {
    {{"52", 18}, {"51", 15}, {"54", 14}, {"31-33", 12}, {"62", 8},   {"44-45", 6}, {"48-49", 4},
     {"42", 4},  {"22", 3},  {"92", 3},  {"61", 3},     {"53", 2},   {"56", 2},    {"23", 2},
     {"21", 1},  {"72", 1},  {"71", 1},  {"81", 1},     {"11", 0.5}, {"55", 0.5}}};

// Where the customers are: Northern America and Europe lead, then Asia-Pacific.
constexpr std::array<std::pair<std::string_view, double>, 27> country_weights = {
    {{"US", 30}, {"CA", 4},   {"GB", 8},   {"DE", 8}, {"FR", 6}, {"NL", 3}, {"SE", 2},
     {"CH", 2},  {"IT", 2},   {"ES", 2},   {"JP", 4}, {"AU", 3}, {"IN", 3}, {"SG", 2},
     {"BR", 2},  {"MX", 1.5}, {"CN", 1.5}, {"KR", 1}, {"ZA", 1}, {"AE", 1}, {"IE", 1.5},
     {"DK", 1},  {"NO", 1},   {"FI", 1},   {"BE", 1}, {"AT", 1}, {"PL", 1}}};

constexpr std::array<std::string_view, 32> name_heads = {
    "Nordwind", "Bluefield", "Granite",  "Silverline",  "Grünwald", "Nørdlys", "Élan",
    "Keystone", "Harbor",    "Summit",   "Redwood",     "Øresund",  "Aurora",  "Pinecrest",
    "Meridian", "Cobalt",    "Lakeside", "Ironbridge",  "Zürcher",  "Sunrise", "Vertex",
    "Highland", "Crescent",  "Atlas",    "Brightwater", "Łąkowa",   "Orchid",  "Falcon",
    "Westgate", "Evergreen", "Sakura",   "Rivera"};
constexpr std::array<std::string_view, 24> name_tails = {
    "Bank",     "Insurance", "Logistics", "Health",   "Energy",    "Foods",
    "Systems",  "Capital",   "Motors",    "Pharma",   "Retail",    "Telecom",
    "Partners", "Holdings",  "Labs",      "Clinics",  "Airlines",  "Steel",
    "Software", "Utilities", "Media",     "Textiles", "Chemicals", "Group"};
constexpr std::array<std::string_view, 24> people = {
    "Ana Souza",   "Ben Carter", "Chloé Martin", "David Kim",     "Eva Lindqvist", "Farah Khan",
    "Gustav Berg", "Hana Sato",  "Ian Murphy",   "Júlia Costa",   "Kai Müller",    "Lena Novak",
    "Marco Rossi", "Nia Okafor", "Omar Haddad",  "Priya Nair",    "Quinn Walsh",   "Rosa Díaz",
    "Sven Olsen",  "Tomás Ruiz", "Uma Patel",    "Victor Dubois", "Wen Li",        "Zoë Fischer"};
constexpr std::array<std::string_view, 5> stages = {"discovery", "qualification", "proposal",
                                                    "negotiation", "closing"};

std::string legal_form(std::string_view country, random_source& rng) {
    if (country == "DE" || country == "AT" || country == "CH")
        return rng.chance(0.7) ? " GmbH" : " AG";
    if (country == "FR") return rng.chance(0.5) ? " SA" : " SAS";
    if (country == "GB" || country == "IE") return " Ltd";
    if (country == "US" || country == "CA") return rng.chance(0.6) ? " Inc." : " LLC";
    if (country == "JP") return " K.K.";
    if (country == "BR") return " Ltda.";
    if (country == "NL" || country == "BE") return " B.V.";
    if (country == "SE" || country == "NO" || country == "DK" || country == "FI") return " AB";
    return rng.chance(0.5) ? " Ltd" : "";
}

std::string padded(std::string_view prefix, std::size_t n, std::size_t width) {
    std::string digits = std::to_string(n);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return std::string(prefix) + digits;
}

std::size_t width_for(std::size_t count) {
    return std::max<std::size_t>(4, std::to_string(count).size());
}

// Everything drawn from the vocabulary once.
struct context {
    const vocabulary& v;
    random_source rng;
    weighted sector_pick;
    std::vector<taxonomy::node_id> sectors;
    weighted country_pick;
    std::vector<std::string> weighted_countries;
    std::vector<std::string> all_countries;
    std::vector<taxonomy::node_id> regions;  // depth 1 and 2 geography nodes (for prospects)
    weighted family_pick;
    std::vector<std::vector<std::string>> family_products;  // product ids per family
    weighted size_pick;
    weighted status_pick;
    weighted level_pick;

    context(const vocabulary& vocab, std::uint64_t seed, std::span<const double> sector_w,
            std::span<const double> country_w, std::span<const double> family_w)
        : v(vocab),
          rng(seed),
          sector_pick(sector_w),
          country_pick(country_w),
          family_pick(family_w),
          size_pick(std::array<double, 6>{10, 20, 25, 22, 14, 9}),
          status_pick(std::array<double, 4>{10, 75, 10, 5}),
          // missing, sector, subsector, industry group, NAICS industry, national industry
          level_pick(std::array<double, 6>{3, 7, 10, 15, 15, 50}) {}

    std::string industry(bool coarse) {
        const auto level = level_pick(rng);
        if (level == 0) return {};
        const std::size_t depth = coarse ? std::min<std::size_t>(level, 1 + rng.below(3)) : level;
        taxonomy::node_id n = sectors[sector_pick(rng)];
        for (std::size_t d = 1; d < depth; ++d) {
            const auto kids = v.industries.children(n);
            if (kids.empty()) break;
            n = kids[rng.below(kids.size())];
        }
        return v.industries.code(n);
    }

    std::string country() {
        if (rng.chance(0.03)) return {};
        if (rng.chance(0.08)) return all_countries[rng.below(all_countries.size())];
        return weighted_countries[country_pick(rng)];
    }

    size_band size() {
        if (rng.chance(0.03)) return std::nullopt;
        return static_cast<std::uint8_t>(size_pick(rng));
    }

    // Products in use: mostly one family (its core product first), sometimes a second family.
    std::vector<std::string> products(std::size_t max_extra) {
        std::vector<std::string> out;
        const auto f = family_pick(rng);
        const auto& own = family_products[f];
        if (own.empty()) return out;
        if (rng.chance(0.9)) out.push_back(own.front());
        std::size_t extra = 0;
        while (extra < max_extra && (out.empty() || rng.chance(0.5))) {
            ++extra;
            const auto& from = rng.chance(0.8) ? own : family_products[family_pick(rng)];
            if (from.empty()) continue;
            const auto& p = from[rng.below(from.size())];
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        }
        return out;
    }

    std::string company(std::string_view country) {
        std::string name(pick<std::string_view>(rng, name_heads));
        name += ' ';
        name += pick<std::string_view>(rng, name_tails);
        name += legal_form(country, rng);
        return name;
    }
};

// Chance that a reference consents to each standard activity, and its uses per year when
// consenting (before the reference's popularity multiplies it).
constexpr std::array<double, activity::standard_count> consent_chance = {
    0.80, 0.85, 0.60, 0.40, 0.35, 0.30, 0.10, 0.65, 0.20, 0.15, 0.12, 0.08};
constexpr std::array<double, activity::standard_count> uses_per_year = {
    0.6, 0.8, 0.5, 0.5, 0.25, 0.2, 0.08, 1.2, 0.2, 0.15, 0.08, 0.08};

// The activities prospects ask for, and how often (the last weight: no activity).
constexpr std::array<double, 9> requested = {50, 10, 10, 10, 5, 3, 3, 4, 15};
constexpr std::array<activity_id, 8> requested_ids = {
    activity::sales_call,     activity::case_study,   activity::quote,
    activity::rfp_text,       activity::site_visit,   activity::analyst_interview,
    activity::roi_case_study, activity::success_story};

}  // namespace

std::unique_ptr<program> generate_program(const generator_options& options) {
    if (options.products == 0) throw validation_error("generator: expected at least 1 product");

    // The catalogue: products spread over families, the first of each family its core.
    product_catalog catalogue;
    std::vector<std::vector<std::string>> family_products(families.size());
    std::vector<std::size_t> per_family(families.size(), 0);
    for (std::size_t i = 0; i < options.products; ++i) {
        const std::size_t f = i % families.size();
        const std::size_t k = per_family[f]++;
        std::string id = std::string(families[f].id) + "-" + padded("", k + 1, 2);
        std::string name =
            std::string(families[f].title) + " " + std::string(modules[k % modules.size()]);
        if (k >= modules.size()) name += " " + std::to_string(k / modules.size() + 1);
        family_products[f].push_back(id);
        catalogue.add({std::move(id), std::move(name), std::string(families[f].id)});
    }
    activity_catalog activities;
    const activity_id webinar = activities.add("webinar");
    const auto vocab = standard_vocabulary(std::move(catalogue), std::move(activities));
    auto out = std::make_unique<program>(vocab);
    out->quotas.set(webinar, quota_limit{4, 365, 30});

    std::vector<double> sector_w, country_w, family_w;
    for (const auto& s : sector_weights) sector_w.push_back(s.second);
    for (const auto& c : country_weights) country_w.push_back(c.second);
    for (const auto& f : families) family_w.push_back(f.weight);
    context ctx(*vocab, options.seed, sector_w, country_w, family_w);
    for (const auto& s : sector_weights) ctx.sectors.push_back(vocab->industries.at(s.first));
    for (const auto& c : country_weights) ctx.weighted_countries.emplace_back(c.first);
    const auto& geo = vocab->geography;
    for (taxonomy::node_id n = 1; n < geo.size(); ++n) {
        const auto& code = geo.code(n);
        if (code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z')
            ctx.all_countries.push_back(code);
        else if (geo.depth(n) <= 2)
            ctx.regions.push_back(n);
    }
    ctx.family_products = family_products;
    auto& rng = ctx.rng;

    // References.
    const std::size_t rw = width_for(options.references);
    std::vector<reference_customer> refs;
    refs.reserve(options.references);
    for (std::size_t i = 0; i < options.references; ++i) {
        reference_customer r;
        r.id = padded("R-", i + 1, rw);
        r.country = ctx.country();
        r.name = ctx.company(r.country);
        r.industry = ctx.industry(false);
        r.products = ctx.products(4);
        r.size = ctx.size();
        r.status = static_cast<reference_status>(ctx.status_pick(rng));
        for (std::uint16_t a = 0; a < activity::standard_count; ++a) {
            if (!rng.chance(consent_chance[a])) continue;
            activity_consent c{activity_id{a}, std::nullopt};
            // A few references set their own, usually stricter, limit on costly activities.
            const auto def = out->quotas.limit(c.activity);
            if (def.max_uses && rng.chance(0.06))
                c.limit =
                    quota_limit{std::max<std::uint32_t>(1, *def.max_uses / 2), def.window_days,
                                std::max<std::uint32_t>(def.cooldown_days, 14)};
            r.consents.push_back(c);
        }
        if (rng.chance(0.2)) r.consents.push_back({webinar, std::nullopt});
        if (!rng.chance(0.1)) {
            // Promoters mostly (references are the happy customers), some passives.
            const double x = rng.uniform();
            r.signals.nps = static_cast<std::uint8_t>(x < 0.55   ? 10
                                                      : x < 0.85 ? 9
                                                      : x < 0.95 ? 8
                                                                 : 6 + rng.below(2));
        }
        if (!rng.chance(0.2))
            r.signals.csat = std::round((70.0 + 30.0 * std::sqrt(rng.uniform())) * 10) / 10;
        if (!rng.chance(0.15)) r.signals.health = static_cast<double>(40 + rng.below(61));
        r.owner = std::string(pick<std::string_view>(rng, people));
        if (!rng.chance(0.1))
            r.last_contact = options.now - std::chrono::days(static_cast<int>(rng.below(180)));
        refs.push_back(std::move(r));
    }

    // Usage history: popularity is heavy-tailed, so a few references take most uses and some
    // reach their quota; uses respect the limits and cooldowns in force.
    std::vector<usage_event> events;
    events.reserve(refs.size() * 5);
    const double years = options.history_days / 365.0;
    std::vector<int> days;
    for (const auto& r : refs) {
        if (r.status == reference_status::candidate) continue;
        const double popularity = std::min(20.0, 1.0 / std::sqrt(1.0 - rng.uniform()));
        for (const auto& c : r.consents) {
            const double rate =
                c.activity.value < activity::standard_count ? uses_per_year[c.activity.value] : 0.5;
            const double lambda = rate * popularity * years;
            auto n = static_cast<std::size_t>(lambda);
            if (rng.chance(lambda - static_cast<double>(n))) ++n;
            if (n == 0) continue;
            days.clear();
            for (std::size_t k = 0; k < n; ++k)
                days.push_back(static_cast<int>(rng.below(options.history_days)));
            std::sort(days.begin(), days.end(), std::greater<>());  // oldest first (days ago)
            const auto limit = r.effective_limit(c.activity, out->quotas);
            std::deque<int> window;  // accepted uses, as days ago
            std::optional<int> last;
            for (const int ago : days) {
                while (!window.empty() &&
                       window.front() - ago >= static_cast<int>(limit.window_days))
                    window.pop_front();
                if (limit.max_uses && window.size() >= *limit.max_uses) continue;
                if (last &&
                    *last - ago < static_cast<int>(std::max<std::uint32_t>(limit.cooldown_days, 1)))
                    continue;
                window.push_back(ago);
                last = ago;
                const bool with_opportunity =
                    c.activity != activity::logo_use && c.activity != activity::name_drop;
                events.push_back({r.id, c.activity,
                                  with_opportunity ? padded("O-", 1 + rng.below(999999), 6) : "",
                                  options.now - std::chrono::days(ago)});
            }
        }
    }

    // Prospects: open opportunities.
    const std::size_t pw = width_for(options.prospects);
    std::vector<prospect> prospects;
    prospects.reserve(options.prospects);
    const weighted request_pick(requested);
    const weighted stage_pick(std::array<double, 5>{15, 25, 30, 20, 10});
    for (std::size_t i = 0; i < options.prospects; ++i) {
        prospect p;
        p.id = padded("P-", i + 1, pw);
        const double g = rng.uniform();
        if (g < 0.05 && !ctx.regions.empty()) {
            p.country = geo.title(ctx.regions[rng.below(ctx.regions.size())]);  // "Western Europe"
        } else {
            p.country = ctx.country();
        }
        p.name = ctx.company(p.country);
        p.industry = ctx.industry(rng.chance(0.25));
        p.products = ctx.products(2);
        p.size = ctx.size();
        double base = 20000.0;
        for (int b = 0; b < p.size.value_or(2); ++b) base *= 2.2;
        p.deal_value = std::round(base * (0.5 + 1.5 * rng.uniform()) / 100.0) * 100.0;
        p.stage = std::string(stages[stage_pick(rng)]);
        if (const auto a = request_pick(rng); a < requested_ids.size())
            p.activity = requested_ids[a];
        // Most are due within three months; a few within two days (the hard case).
        const int due =
            rng.chance(0.05) ? static_cast<int>(rng.below(3)) : 3 + static_cast<int>(rng.below(88));
        p.needed_by = options.now + std::chrono::days(due);
        if (rng.chance(0.05) && !refs.empty()) {
            const std::size_t k = 1 + rng.below(3);
            for (std::size_t e = 0; e < k; ++e)
                p.exclusions.push_back(refs[rng.below(refs.size())].id);
        }
        p.owner = std::string(pick<std::string_view>(rng, people));
        prospects.push_back(std::move(p));
    }

    out->references.add_all(std::move(refs));
    out->prospects.add_all(std::move(prospects));
    usage_batch batch;
    for (const auto& e : events) batch.add(e);
    out->usage.record_all(std::move(batch));
    return out;
}

std::vector<dated_request> generate_request_year(const program& p,
                                                 const request_year_options& options) {
    if (options.days == 0) throw validation_error("request year", "days", "at least 1 day", "0");
    std::vector<dated_request> out;
    if (options.requests == 0) return out;
    const auto prospects = p.prospects.all();
    if (prospects.empty())
        throw validation_error("request year", "prospects", "a program with prospects",
                               "no prospects");
    random_source rng(options.seed);
    // Weekdays three times as likely as weekend days.
    std::vector<double> day_w(options.days);
    for (std::uint32_t d = 0; d < options.days; ++d) {
        const std::chrono::weekday w{options.start + std::chrono::days(d)};
        day_w[d] = (w == std::chrono::Saturday || w == std::chrono::Sunday) ? 1.0 : 3.0;
    }
    const weighted day_pick(day_w);
    const weighted request_pick(std::span<const double>(requested).first(requested_ids.size()));
    const weighted count_pick(std::array<double, 3>{85, 12, 3});
    struct drawn {
        std::uint32_t day;
        std::size_t draw;  // position in drawing order: ties keep it
        dated_request r;
    };
    std::vector<drawn> all;
    all.reserve(options.requests);
    for (std::size_t i = 0; i < options.requests; ++i) {
        const auto d = static_cast<std::uint32_t>(day_pick(rng));
        const auto& pr = prospects[rng.below(prospects.size())];
        dated_request r;
        r.day = options.start + std::chrono::days(d);
        r.prospect_id = pr.id;
        r.activity =
            pr.activity && !rng.chance(0.2) ? *pr.activity : requested_ids[request_pick(rng)];
        r.count = static_cast<std::uint32_t>(1 + count_pick(rng));
        const int lead =
            rng.chance(0.05) ? static_cast<int>(rng.below(3)) : 3 + static_cast<int>(rng.below(40));
        r.due = r.day + std::chrono::days(lead);
        r.value = pr.deal_value;
        all.push_back({d, i, std::move(r)});
    }
    std::sort(all.begin(), all.end(), [](const drawn& a, const drawn& b) {
        return a.day != b.day ? a.day < b.day : a.draw < b.draw;
    });
    const std::size_t w = width_for(options.requests);
    out.reserve(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i].r.id = padded("Q-", i + 1, w);
        out.push_back(std::move(all[i].r));
    }
    return out;
}

}  // namespace refmatch
