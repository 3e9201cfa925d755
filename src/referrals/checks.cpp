// The integrity checks: per-referral checks (self-referral, existing accounts, e-mail domains)
// on worker threads, then duplicates and velocity in date order, then rings on the referral
// graph (Boost.Graph strongly connected components).

#include "referrals/embedded.hpp"

#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/similarity.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <deque>
#include <functional>
#include <numeric>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace refmatch::referrals {
namespace {

std::unordered_set<std::string> domain_list(std::string_view text) {
    std::unordered_set<std::string> out;
    while (!text.empty()) {
        const auto end = std::min(text.find('\n'), text.size());
        auto line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (!line.empty() && line.front() != '#') out.emplace(line);
    }
    return out;
}

std::string two_digits(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
    return buffer;
}

// What the per-referral phase works out once, for the later phases too.
struct prepared {
    std::string name;    // normalised referred name
    std::string domain;  // the organisation's domain: its web domain, else a business e-mail's
    std::size_t referrer = static_cast<std::size_t>(-1);  // account index
    std::size_t target = static_cast<std::size_t>(-1);    // the account referred, if any
};

constexpr auto npos = static_cast<std::size_t>(-1);

// Hashes of the first word of a normalised name and of each of its one-deletion variants: two
// first words within one edit (substitution, insertion, deletion, adjacent transposition) share
// one. Words under four letters give only themselves (their deletions would match too much).
void first_word_keys(std::string_view name, std::vector<std::uint64_t>& keys) {
    keys.clear();
    const auto word = name.substr(0, std::min(name.find(' '), name.size()));
    if (word.empty()) return;
    const std::hash<std::string_view> hash;
    keys.push_back(hash(word));
    if (word.size() < 4 || word.size() > 32) return;
    char buffer[32];
    for (std::size_t skip = 0; skip < word.size(); ++skip) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < word.size(); ++i)
            if (i != skip) buffer[n++] = word[i];
        // Deleting either of two equal neighbours gives the same variant: hash it once.
        if (skip > 0 && word[skip] == word[skip - 1]) continue;
        keys.push_back(hash(std::string_view(buffer, n)));
    }
    for (auto& k : keys) k &= ~std::uint64_t{1};
}

// Text keys → the first record holding each, in one open-addressing table of (hash, index)
// slots: a lookup is one probe sequence and one comparison, with no node to chase.
class flat_index {
public:
    template <class KeyOf>
    flat_index(std::size_t n, const KeyOf& key_of) {
        std::size_t capacity = 16;
        while (capacity < 2 * n) capacity *= 2;
        slots_.assign(capacity, {0, empty});
        mask_ = capacity - 1;
        for (std::size_t i = 0; i < n; ++i) {
            const std::string_view key = key_of(i);
            if (key.empty()) continue;
            const auto h = std::hash<std::string_view>()(key);
            for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
                if (slots_[s].second == empty) {
                    slots_[s] = {h, static_cast<std::uint32_t>(i)};
                    break;
                }
                if (slots_[s].first == h && key_of(slots_[s].second) == key) break;  // first wins
            }
        }
    }
    /// The index of the record with `key`, or npos.
    template <class KeyOf>
    [[nodiscard]] std::size_t find(std::string_view key, const KeyOf& key_of) const {
        if (key.empty()) return static_cast<std::size_t>(-1);
        const auto h = std::hash<std::string_view>()(key);
        for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
            if (slots_[s].second == empty) return static_cast<std::size_t>(-1);
            if (slots_[s].first == h && key_of(slots_[s].second) == key) return slots_[s].second;
        }
    }

private:
    static constexpr std::uint32_t empty = 0xffffffffU;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> slots_;
    std::size_t mask_ = 0;
};

// Runs body(i) for i in [0, n) on `threads` threads, in contiguous chunks.
template <class Body>
void parallel_for(std::size_t n, unsigned threads, const Body& body) {
    if (n < 4096) threads = 1;
    const std::size_t chunk = (n + threads - 1) / std::max(1U, threads);
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (std::size_t i = t * chunk; i < std::min(n, (t + 1) * chunk); ++i) body(i, t);
        });
    for (std::size_t i = 0; i < std::min(n, chunk); ++i) body(i, 0U);
    for (auto& th : pool) th.join();
}

// A blocking key of one referral: which referral, when (day, then input order), and the key
// (domain keys have the lowest bit set, name keys clear).
struct key_entry {
    std::uint64_t key;
    std::uint64_t when;  // (day + 2^31) << 32 | index
    bool operator<(const key_entry& o) const { return key != o.key ? key < o.key : when < o.when; }
};

std::uint64_t when_of(date d, std::size_t index) {
    const auto day = static_cast<std::int64_t>(d.time_since_epoch().count()) + (1LL << 31);
    return (static_cast<std::uint64_t>(day) << 32) | static_cast<std::uint64_t>(index);
}
std::size_t index_of(std::uint64_t when) {
    return static_cast<std::size_t>(when & 0xffffffffU);
}
std::int64_t day_of(std::uint64_t when) {
    return static_cast<std::int64_t>(when >> 32);
}

}  // namespace

std::string_view to_string(check_kind k) noexcept {
    switch (k) {
        case check_kind::self_referral:
            return "self_referral";
        case check_kind::existing_account:
            return "existing_account";
        case check_kind::duplicate:
            return "duplicate";
        case check_kind::velocity:
            return "velocity";
        case check_kind::ring:
            return "ring";
        case check_kind::email_domain:
            return "email_domain";
        case check_kind::unknown_referrer:
            return "unknown_referrer";
    }
    return "?";
}

const email_domain_lists& email_domain_lists::shipped() {
    static const email_domain_lists lists{domain_list(detail::referrals_disposable_domains_txt()),
                                          domain_list(detail::referrals_free_mail_domains_txt())};
    return lists;
}

std::size_t check_report::count(check_level l) const {
    return static_cast<std::size_t>(std::count(levels.begin(), levels.end(), l));
}

check_report check_referrals(std::span<const referral> referrals, std::span<const account> accounts,
                             std::span<const check_override> overrides,
                             const check_options& options, const email_domain_lists& lists) {
    const std::size_t n = referrals.size();
    // The accounts, normalised once, and looked up by id, domain and name.
    std::vector<std::string> account_names(accounts.size()), account_domains(accounts.size());
    unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
    threads = std::clamp<unsigned>(threads, 1, 64);
    parallel_for(accounts.size(), threads, [&](std::size_t a, unsigned) {
        account_names[a] = normalise_company_name(accounts[a].name);
        account_domains[a] = normalise_domain(accounts[a].domain);
    });
    const auto id_of = [&](std::size_t a) -> std::string_view { return accounts[a].id; };
    const auto domain_of = [&](std::size_t a) -> std::string_view { return account_domains[a]; };
    const auto name_of = [&](std::size_t a) -> std::string_view { return account_names[a]; };
    const auto origin_of = [&](std::size_t a) -> std::string_view {
        return accounts[a].referral_id;
    };
    const flat_index by_id(accounts.size(), id_of), by_domain(accounts.size(), domain_of),
        by_name(accounts.size(), name_of), by_referral(accounts.size(), origin_of);
    const auto account_label = [&](std::size_t a) {
        return accounts[a].id + " (" + accounts[a].name + ")";
    };

    // Both mail-domain lists in one table: disposable ones first.
    std::vector<std::string_view> listed_domains;
    listed_domains.reserve(lists.disposable.size() + lists.free_mail.size());
    for (const auto& d : lists.disposable) listed_domains.push_back(d);
    for (const auto& d : lists.free_mail)
        if (!lists.disposable.contains(d)) listed_domains.push_back(d);
    const auto mail_domain_of = [&](std::size_t k) { return listed_domains[k]; };
    const flat_index mail_domains(listed_domains.size(), mail_domain_of);

    std::vector<std::vector<check_finding>> found(n);
    std::vector<prepared> prep(n);

    // --- Per referral: referrer, self-referral, existing accounts, e-mail domain --------------
    const auto check_one = [&](std::size_t i) {
        const referral& r = referrals[i];
        auto& out = found[i];
        auto& p = prep[i];
        p.name = normalise_company_name(r.referred.name);
        const auto web = normalise_domain(r.referred.domain);
        const auto mail = email_domain(r.referred.email);
        const std::size_t listed = mail_domains.find(mail, mail_domain_of);
        const bool disposable = listed != npos && listed < lists.disposable.size();
        const bool free_mail = listed != npos && !disposable;
        p.domain = !web.empty() ? web : (disposable || free_mail ? std::string() : mail);

        if (disposable)
            out.push_back({r.id,
                           check_kind::email_domain,
                           check_level::reject,
                           "the contact's e-mail domain '" + mail +
                               "' is a disposable (throw-away) mail service",
                           {mail}});
        else if (free_mail)
            out.push_back(
                {r.id,
                 check_kind::email_domain,
                 check_level::review,
                 "the contact's e-mail domain '" + mail + "' is free mail, not the business's own",
                 {mail}});

        const auto referrer = by_id.find(r.referrer_id, id_of);
        if (referrer == npos || accounts[referrer].kind != account_kind::customer) {
            out.push_back({r.id,
                           check_kind::unknown_referrer,
                           check_level::reject,
                           "the referrer '" + r.referrer_id + "' is not a customer of the program",
                           {r.referrer_id}});
        } else {
            p.referrer = referrer;
            const auto& own = account_domains[p.referrer];
            if (!own.empty() && (web == own || mail == own)) {
                out.push_back({r.id,
                               check_kind::self_referral,
                               check_level::reject,
                               "the referred " +
                                   std::string(web == own ? "domain" : "e-mail domain") + " '" +
                                   own + "' is the referrer's own, " + account_label(p.referrer),
                               {accounts[p.referrer].id}});
            } else if (!p.name.empty() && !account_names[p.referrer].empty()) {
                const double s = jaro_winkler(p.name, account_names[p.referrer]);
                if (s >= options.name_threshold)
                    out.push_back({r.id,
                                   check_kind::self_referral,
                                   check_level::review,
                                   "the referred name '" + r.referred.name +
                                       "' is alike the referrer's, " + account_label(p.referrer) +
                                       " (Jaro-Winkler " + two_digits(s) +
                                       " >= " + two_digits(options.name_threshold) + ")",
                                   {accounts[p.referrer].id}});
            }
        }

        // Already known: by domain, else by the normalised name. An account that came from
        // this referral (it converted) is its result, not a reason to doubt it.
        const std::size_t known_by_domain = by_domain.find(p.domain, domain_of);
        std::size_t known = known_by_domain;
        if (known == npos) known = by_name.find(p.name, name_of);
        // The account the referred organisation is, for the referral graph: the one that came
        // from this referral, else the one with its domain.
        p.target = by_referral.find(r.id, origin_of);
        if (p.target == npos) p.target = known_by_domain;
        if (known != npos && known != p.referrer && accounts[known].referral_id != r.id) {
            const bool customer = accounts[known].kind == account_kind::customer;
            out.push_back({r.id,
                           check_kind::existing_account,
                           customer ? check_level::reject : check_level::review,
                           "the referred organisation is already " +
                               std::string(customer ? "a customer" : "an open opportunity") + ", " +
                               account_label(known),
                           {accounts[known].id}});
        }
    };
    // The blocking keys of every referral, made on the same threads: its domain, and the first
    // word of its name with that word's one-deletion variants.
    std::vector<std::vector<key_entry>> thread_keys(threads);
    for (auto& k : thread_keys) k.reserve(n / threads * 11 + 16);
    parallel_for(n, threads, [&](std::size_t i, unsigned t) {
        check_one(i);
        thread_local std::vector<std::uint64_t> keys;
        const auto when = when_of(referrals[i].referred_on, i);
        auto& out = thread_keys[t];
        if (!prep[i].domain.empty())
            out.push_back({std::hash<std::string_view>()(prep[i].domain) | 1U, when});
        first_word_keys(prep[i].name, keys);
        for (const auto k : keys) out.push_back({k, when});
    });

    // Referral indices in date order (ties: input order).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return referrals[a].referred_on < referrals[b].referred_on;
    });

    // --- Duplicates: the first referral of an organisation holds it for the window -------------
    // Each organisation is held by an attributed referral (one that is not a duplicate); a
    // later referral of it within the window is a duplicate of the earliest one holding it.
    // Candidates are pairs sharing a blocking key within the window (keys sorted, two halves on
    // two threads); then, in date order, each referral takes the earliest held candidate that
    // matches (the same domain, or names alike).
    {
        const auto window = static_cast<std::int64_t>(options.window_days);
        std::vector<key_entry> entries;
        {
            std::size_t total = 0;
            for (const auto& tk : thread_keys) total += tk.size();
            entries.reserve(total);
            for (auto& tk : thread_keys) {
                entries.insert(entries.end(), tk.begin(), tk.end());
                tk = {};
            }
        }
        // Name keys, then domain keys (the lowest bit), each half sorted on its own thread.
        const auto middle = std::partition(entries.begin(), entries.end(),
                                           [](const key_entry& e) { return (e.key & 1U) == 0; });
        if (threads > 1) {
            std::thread other([&] { std::sort(middle, entries.end()); });
            std::sort(entries.begin(), middle);
            other.join();
        } else {
            std::sort(entries.begin(), middle);
            std::sort(middle, entries.end());
        }
        struct candidate {
            std::uint32_t later, earlier;
            bool domain;
        };
        std::vector<candidate> candidates;
        {
            const auto& e = entries;
            for (std::size_t q = 1; q < e.size(); ++q)
                for (std::size_t b = q; b-- > 0 && e[b].key == e[q].key;) {
                    if (day_of(e[b].when) < day_of(e[q].when) - window) break;
                    candidates.push_back({static_cast<std::uint32_t>(index_of(e[q].when)),
                                          static_cast<std::uint32_t>(index_of(e[b].when)),
                                          (e[q].key & 1U) != 0});
                }
        }
        entries = {};
        std::vector<std::size_t> rank(n);
        for (std::size_t k = 0; k < n; ++k) rank[order[k]] = k;
        std::sort(candidates.begin(), candidates.end(),
                  [&](const candidate& a, const candidate& b) {
                      return rank[a.later] != rank[b.later] ? rank[a.later] < rank[b.later]
                                                            : rank[a.earlier] < rank[b.earlier];
                  });
        std::vector<bool> duplicate(n, false);
        for (std::size_t c = 0; c < candidates.size();) {
            const std::size_t j = candidates[c].later;
            std::size_t first = npos;
            bool by_domain_match = false;
            double similarity = 0;
            // The candidates of j, earliest first: the first that is held and matches wins.
            for (; c < candidates.size() && candidates[c].later == j; ++c) {
                const std::size_t i = candidates[c].earlier;
                // An earlier holder wins; for the same holder a domain match reads better.
                if (duplicate[i] ||
                    (first != npos && (rank[i] > rank[first] ||
                                       (i == first && (by_domain_match || !candidates[c].domain)))))
                    continue;
                if (candidates[c].domain) {
                    if (prep[i].domain != prep[j].domain) continue;  // a hash collision
                    first = i;
                    by_domain_match = true;
                    similarity = 1;
                    continue;
                }
                if (prep[i].name.empty()) continue;
                const double sim = jaro_winkler(prep[j].name, prep[i].name);
                if (sim < options.name_threshold) continue;
                first = i;
                by_domain_match = false;
                similarity = sim;
            }
            if (first == npos) continue;
            duplicate[j] = true;
            const referral& r = referrals[j];
            const referral& f = referrals[first];
            const auto days = (r.referred_on - f.referred_on).count();
            std::string what = by_domain_match
                                   ? "'" + prep[j].domain + "'"
                                   : "'" + r.referred.name + "' (alike '" + f.referred.name +
                                         "', Jaro-Winkler " + two_digits(similarity) + ")";
            found[j].push_back({r.id,
                                check_kind::duplicate,
                                check_level::reject,
                                what + " was referred by " + f.referrer_id + " in " + f.id +
                                    " on " + format_date(f.referred_on) + ", " +
                                    std::to_string(days) + " days earlier, within the " +
                                    std::to_string(options.window_days) +
                                    "-day window: the first referrer wins",
                                {f.id}});
        }
    }

    // --- Velocity: per referrer, referrals per calendar day and per 7 days ---------------------
    {
        // Referrals of known referrers, by referrer then date (`order` is by date).
        std::vector<std::pair<std::size_t, std::size_t>> by_referrer;
        by_referrer.reserve(n);
        for (const std::size_t i : order)
            if (prep[i].referrer != npos) by_referrer.emplace_back(prep[i].referrer, i);
        std::stable_sort(by_referrer.begin(), by_referrer.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::size_t> list;
        for (std::size_t g = 0; g < by_referrer.size();) {
            list.clear();
            const auto who = by_referrer[g].first;
            for (; g < by_referrer.size() && by_referrer[g].first == who; ++g)
                list.push_back(by_referrer[g].second);
            const std::string_view referrer = accounts[who].id;
            if (list.size() <= std::min(options.max_per_day, options.max_per_week)) continue;
            std::size_t day_start = 0, week_start = 0;
            for (std::size_t k = 0; k < list.size(); ++k) {
                const auto day = referrals[list[k]].referred_on;
                while (referrals[list[day_start]].referred_on < day) ++day_start;
                while (referrals[list[week_start]].referred_on <= day - std::chrono::days(7))
                    ++week_start;
                const std::size_t on_day = k - day_start + 1, in_week = k - week_start + 1;
                const bool daily = on_day > options.max_per_day;
                if (!daily && in_week <= options.max_per_week) continue;
                std::vector<std::string> evidence;
                const std::size_t from = daily ? day_start : week_start;
                for (std::size_t e = from; e <= k; ++e) evidence.push_back(referrals[list[e]].id);
                found[list[k]].push_back(
                    {referrals[list[k]].id, check_kind::velocity, check_level::review,
                     daily ? std::string(referrer) + " made " + std::to_string(on_day) +
                                 " referrals on " + format_date(day) + ", more than " +
                                 std::to_string(options.max_per_day) + " a day"
                           : std::string(referrer) + " made " + std::to_string(in_week) +
                                 " referrals in the 7 days to " + format_date(day) +
                                 ", more than " + std::to_string(options.max_per_week) + " a week",
                     std::move(evidence)});
            }
        }
    }

    // --- Rings: strongly connected components of referrer → referred account ----------------
    {
        using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
        graph g(accounts.size());
        std::vector<std::pair<std::size_t, std::size_t>> arc_of(n, {npos, npos});
        for (std::size_t i = 0; i < n; ++i) {
            if (prep[i].referrer == npos) continue;
            const std::size_t target = prep[i].target;
            if (target == npos || target == prep[i].referrer) continue;
            boost::add_edge(prep[i].referrer, target, g);
            arc_of[i] = {prep[i].referrer, target};
        }
        std::vector<std::size_t> component(accounts.size());
        const auto count =
            boost::strong_components(g, boost::make_iterator_property_map(
                                            component.begin(), boost::get(boost::vertex_index, g)));
        std::vector<std::size_t> size(count, 0);
        for (const auto c : component) ++size[c];
        // One cycle per ring: the shortest from the component's first account back to itself
        // (breadth-first inside the component).
        std::unordered_map<std::size_t, std::string> cycle_text;
        std::unordered_map<std::size_t, std::vector<std::string>> cycle_ids;
        const auto cycle_of = [&](std::size_t c) {
            if (const auto it = cycle_text.find(c); it != cycle_text.end()) return;
            std::size_t start = npos;
            for (std::size_t a = 0; a < accounts.size() && start == npos; ++a)
                if (component[a] == c) start = a;
            std::unordered_map<std::size_t, std::size_t> parent;
            std::deque<std::size_t> queue{start};
            std::size_t last = npos;
            while (!queue.empty() && last == npos) {
                const auto u = queue.front();
                queue.pop_front();
                for (auto [e, end] = boost::out_edges(u, g); e != end; ++e) {
                    const auto v = boost::target(*e, g);
                    if (component[v] != c) continue;
                    if (v == start) {
                        last = u;
                        break;
                    }
                    if (parent.emplace(v, u).second) queue.push_back(v);
                }
            }
            std::vector<std::string> ids{accounts[start].id};
            for (auto v = last; v != start; v = parent.at(v)) ids.push_back(accounts[v].id);
            std::reverse(ids.begin() + 1, ids.end());
            ids.push_back(accounts[start].id);
            std::string text;
            for (const auto& id : ids) text += (text.empty() ? "" : " -> ") + id;
            cycle_text.emplace(c, text);
            cycle_ids.emplace(c, ids);
        };
        for (std::size_t i = 0; i < n; ++i) {
            const auto [from, to] = arc_of[i];
            if (from == npos || component[from] != component[to]) continue;
            const auto c = component[from];
            if (size[c] < 2) continue;
            cycle_of(c);
            found[i].push_back(
                {referrals[i].id, check_kind::ring, check_level::review,
                 std::to_string(size[c]) +
                     " customers refer each other's organisations (a ring): " + cycle_text[c],
                 cycle_ids[c]});
        }
    }

    // --- Levels: the worst finding, unless a person decided ------------------------------------
    check_report report;
    report.levels.assign(n, check_level::pass);
    std::unordered_map<std::string_view, check_level> decided;
    for (const auto& o : overrides) decided[o.referral_id] = o.level;
    std::size_t total = 0;
    for (const auto& f : found) total += f.size();
    report.findings.reserve(total);
    for (std::size_t i = 0; i < n; ++i) {
        auto& f = found[i];
        std::stable_sort(f.begin(), f.end(),
                         [](const auto& a, const auto& b) { return a.kind < b.kind; });
        for (auto& x : f) {
            report.levels[i] = std::max(report.levels[i], x.level);
            report.findings.push_back(std::move(x));
        }
        if (const auto d = decided.find(referrals[i].id); d != decided.end())
            report.levels[i] = d->second;
    }
    return report;
}

}  // namespace refmatch::referrals
