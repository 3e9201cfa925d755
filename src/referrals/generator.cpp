// The synthetic referral program. Organisation names are made-up words of four syllables
// (a scrambled counter, so no two are equal), an industry word and a legal form.

#include <refmatch/referrals/generator.hpp>

#include <array>
#include <cmath>
#include <random>

namespace refmatch::referrals {
namespace {

constexpr std::array<std::string_view, 20> onsets{"b",  "d",  "f",  "g",  "k",  "l", "m",
                                                  "n",  "p",  "r",  "s",  "t",  "v", "z",
                                                  "br", "tr", "st", "kl", "gr", "pl"};
constexpr std::array<std::string_view, 5> vowels{"a", "e", "i", "o", "u"};
constexpr std::array<std::string_view, 12> industries{"Systems", "Logistics", "Foods", "Analytics",
                                                      "Health",  "Energy",    "Labs",  "Textiles",
                                                      "Capital", "Robotics",  "Media", "Freight"};
constexpr std::array<std::string_view, 6> forms{"Inc.", "Ltd", "GmbH", "S.A.", "LLC", "AG"};
constexpr std::array<std::string_view, 5> channels{"email", "portal", "event", "partner", "social"};
constexpr std::array<std::string_view, 4> campaigns{"spring", "summer", "autumn", "winter"};

// The n-th made-up word: n scrambled (an odd multiplier mod 100^4 is a bijection), then read as
// four syllables of base 100.
std::string word(std::uint64_t n) {
    constexpr std::uint64_t space = 100ULL * 100 * 100 * 100;
    std::uint64_t x = (n * 2654435761ULL + 12345) % space;
    std::string out;
    for (int i = 0; i < 4; ++i) {
        const auto s = x % 100;
        x /= 100;
        out += onsets[s / 5];
        out += vowels[s % 5];
    }
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

struct organisation {
    std::string name, domain;
};

}  // namespace

generated_referrals generate_referrals(const referral_generator_options& o) {
    generated_referrals g;
    auto& p = g.program;
    std::mt19937_64 rng(o.seed);
    const auto uniform = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const auto chance = [&](double q) { return std::uniform_real_distribution<>(0, 1)(rng) < q; };
    std::uint64_t next_word = 0;
    const auto fresh = [&] {
        const auto w = word(next_word++);
        std::string lower = w;
        lower[0] = static_cast<char>(lower[0] - 'A' + 'a');
        return organisation{w + " " + std::string(industries[uniform(industries.size())]) + " " +
                                std::string(forms[uniform(forms.size())]),
                            lower + (chance(0.5) ? ".com" : ".io")};
    };
    std::lognormal_distribution<> value(std::log(40000.0), 0.6);

    for (std::size_t i = 0; i < o.customers + o.opportunities; ++i) {
        const auto org = fresh();
        account a;
        a.id = (i < o.customers ? "C-" : "O-") + std::to_string(i + 1);
        a.name = org.name;
        a.domain = org.domain;
        a.kind = i < o.customers ? account_kind::customer : account_kind::opportunity;
        if (a.kind == account_kind::customer) {
            a.since = o.start - std::chrono::days(static_cast<int>(uniform(1000)) + 1);
            a.first_year_value = std::round(value(rng));
        }
        p.accounts.push_back(std::move(a));
    }

    std::size_t number = 0;
    const auto next_id = [&] { return "F-" + std::to_string(++number); };
    const auto day = [&] { return o.start + std::chrono::days(static_cast<int>(uniform(o.days))); };
    const auto random_referrer = [&] { return p.accounts[uniform(o.customers)].id; };
    const auto base = [&](const std::string& referrer, const organisation& org, date on) {
        referral r;
        r.id = next_id();
        r.referrer_id = referrer;
        r.referred.name = org.name;
        r.referred.domain = org.domain;
        r.referred.email = "buyer@";
        r.referred.email += org.domain;
        r.channel = std::string(channels[uniform(channels.size())]);
        r.campaign = std::string(campaigns[uniform(campaigns.size())]);
        r.variant = chance(0.5) ? "A" : "B";
        r.referred_on = on;
        return r;
    };

    // The ordinary referrals, some converting (variant B a little more often).
    const std::size_t planted = o.duplicates + o.self_referrals + o.bursts * 8 + o.disposable;
    const std::size_t ordinary = o.referrals > planted ? o.referrals - planted : 0;
    for (std::size_t i = 0; i < ordinary; ++i) {
        auto r = base(random_referrer(), fresh(), day());
        const double rate = r.variant == "B" ? 0.24 : 0.20;
        if (chance(0.5)) {
            r.qualified_on = r.referred_on + std::chrono::days(static_cast<int>(uniform(20)) + 1);
            r.status = referral_status::qualified;
            if (chance(rate / 0.5)) {
                r.converted_on = *r.qualified_on + std::chrono::days(static_cast<int>(uniform(50)));
                r.status = referral_status::converted;
                r.deal_value = std::round(value(rng));
                r.opportunity_id = "P-" + r.id.substr(2);
            } else if (chance(0.3)) {
                r.status = referral_status::lost;
            }
        }
        p.referrals.push_back(std::move(r));
    }

    // Duplicates: an earlier referral's organisation, again, by another customer, within the
    // window: half by the same domain, half by a name alike (a letter dropped or another legal
    // form) with a free-mail contact and no domain.
    const std::size_t originals = p.referrals.size();
    for (std::size_t i = 0; i < o.duplicates && originals > 0; ++i) {
        const auto first = p.referrals[uniform(originals)];
        organisation org{first.referred.name, first.referred.domain};
        auto r = base(random_referrer(), org,
                      first.referred_on + std::chrono::days(static_cast<int>(uniform(80)) + 1));
        if (i % 2 == 1) {
            r.referred.domain.clear();
            r.referred.email = "buyer" + std::to_string(i) + "@gmail.com";
            if (i % 4 == 1) {
                auto& n = r.referred.name;  // the first word's last letter dropped
                n.erase(n.find(' ') - 1, 1);
            } else {
                r.referred.name =
                    r.referred.name.substr(0, r.referred.name.rfind(' ')) + " Limited";
            }
        }
        g.duplicates.insert(r.id);
        p.referrals.push_back(std::move(r));
    }
    // Self-referrals: the referrer's own domain.
    for (std::size_t i = 0; i < o.self_referrals; ++i) {
        const auto& a = p.accounts[uniform(o.customers)];
        auto r = base(a.id, organisation{a.name + " Europe", a.domain}, day());
        r.referred.email = "cfo@" + a.domain;
        g.self_referrals.insert(r.id);
        p.referrals.push_back(std::move(r));
    }
    // Bursts: 8 referrals by one customer on one day.
    for (std::size_t i = 0; i < o.bursts; ++i) {
        const auto referrer = random_referrer();
        const auto on = day();
        for (int k = 0; k < 8; ++k) {
            auto r = base(referrer, fresh(), on);
            if (k >= 5) g.bursts.insert(r.id);  // the ones past 5 a day
            p.referrals.push_back(std::move(r));
        }
    }
    // Disposable contacts, without a domain.
    for (std::size_t i = 0; i < o.disposable; ++i) {
        auto r = base(random_referrer(), fresh(), day());
        r.referred.domain.clear();
        r.referred.email = "x" + std::to_string(i) + "@mailinator.com";
        g.disposable.insert(r.id);
        p.referrals.push_back(std::move(r));
    }
    // Rings: customers c1 → c2 → ... → c1, each referring the next one's organisation.
    for (std::size_t i = 0; i < o.rings; ++i) {
        const std::size_t size = 2 + i % 3;
        const std::size_t first = (i * 4) % std::max<std::size_t>(1, o.customers - 4);
        for (std::size_t k = 0; k < size; ++k) {
            const auto& from = p.accounts[first + k];
            const auto& to = p.accounts[first + (k + 1) % size];
            auto r = base(from.id, organisation{to.name, to.domain}, day());
            g.rings.insert(r.id);
            p.referrals.push_back(std::move(r));
        }
    }

    // Customers that came from converted referrals, worth a little more in their first year.
    for (const auto& r : p.referrals) {
        if (r.status != referral_status::converted) continue;
        account a;
        a.id = "C-R" + r.id.substr(2);
        a.name = r.referred.name;
        a.domain = r.referred.domain;
        a.kind = account_kind::customer;
        a.since = r.converted_on;
        a.first_year_value = std::round(value(rng) * 1.15);
        a.referral_id = r.id;
        p.accounts.push_back(std::move(a));
    }
    // Rewards as the rules earn them on conversion (no cap in the default rules, so each
    // referral is judged alone: against the rules only, not the growing list of rewards).
    const referral_program rules_only{p.rules, {}, {}, {}, {}};
    for (const auto& r : p.referrals)
        if (r.status == referral_status::converted)
            for (auto& w : rewards_for(rules_only, r, *r.converted_on))
                p.rewards.push_back(std::move(w));
    return g;
}

}  // namespace refmatch::referrals
