// Replaying a period's requests day by day under policies (docs/assignment.md, "Replaying a
// policy"). Each policy works on its own copy of the program: the assignment solver and the
// greedy baseline choose, the shared quota rule judges, and uses go into the copy's ledger
// through program::record_usage, so nothing here re-implements a quota or a score.

#include <refmatch/assignment/assignment.hpp>
#include <refmatch/assignment/simulation.hpp>
#include <refmatch/detail/text.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/program.hpp>
#include <refmatch/quota_state.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace refmatch {

std::string_view to_string(assignment_method m) {
    return m == assignment_method::greedy ? "greedy" : "optimal";
}

void simulation_options::validate() const {
    const auto probability = [](const char* field, double p) {
        if (!(p >= 0.0 && p <= 1.0))
            throw validation_error("simulation options", field, "a probability in [0, 1]",
                                   score_weights::format_number(p));
    };
    probability("decline_base", decline_base);
    probability("decline_fatigue", decline_fatigue);
    match.validate();
}

namespace {

template <class T>
using by_id = detail::string_map<T>;

// A customer's answer is a pure function of (seed, request, reference): FNV-1a over the ids,
// finished by splitmix64, the same on every platform and in every policy.
double decline_draw(std::uint64_t seed, std::string_view request, std::string_view reference) {
    std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
    const auto feed = [&](std::string_view s) {
        for (const unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
        h = (h ^ 0xFF) * 0x100000001b3ull;  // a separator, so ("ab","c") differs from ("a","bc")
    };
    feed(request);
    feed(reference);
    std::uint64_t z = h + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::uint32_t scaled(std::uint32_t uses, double scale) {
    const double x = std::round(static_cast<double>(uses) * scale);
    return x < 1.0 ? 1u : x > 4e9 ? 4000000000u : static_cast<std::uint32_t>(x);
}

void check_policy(const simulation_policy& p, std::unordered_set<std::string>& names) {
    const std::string subject = "simulation policy '" + p.name + "'";
    if (p.name.empty())
        throw validation_error("simulation policy", "name", "a name", "an empty name");
    if (!names.insert(p.name).second)
        throw validation_error(subject, "name", "a name no other policy has", p.name);
    if (!(p.quota_scale > 0.0) || !std::isfinite(p.quota_scale))
        throw validation_error(subject, "quota_scale", "a finite number > 0",
                               score_weights::format_number(p.quota_scale));
    for (const auto& [a, limit] : p.quota_overrides) limit.validate();
    assignment_options o;
    o.match.weights = p.weights;
    o.match.fatigue_weight = p.fatigue_weight;
    o.candidates = p.candidates;
    o.per_reference = p.per_reference;
    o.validate();
}

// What every policy starts from: the requests checked and resolved, the ledger's earlier uses.
struct replay_input {
    const program& source;
    std::span<const dated_request> requests;
    std::vector<prospect> prospects;   // of each request
    std::vector<std::size_t> order;    // requests by day, ties in input order
    std::vector<usage_event> history;  // uses dated before the first day
    date first, last;
};

replay_input prepare(const program& p, std::span<const dated_request> requests) {
    replay_input in{p, requests, {}, {}, {}, date::max(), date::min()};
    std::unordered_set<std::string_view> ids;
    const std::size_t activities = p.vocab->activities.size();
    for (const auto& r : requests) {
        const std::string subject = "request '" + r.id + "'";
        if (r.id.empty()) throw validation_error("request", "id", "an id", "an empty id");
        if (!ids.insert(r.id).second)
            throw validation_error(subject, "id", "an id no other request has", r.id);
        if (r.count == 0) throw validation_error(subject, "count", "at least 1 reference", "0");
        if (r.due < r.day)
            throw validation_error(subject, "due", "a day on or after " + format_date(r.day),
                                   format_date(r.due));
        if (!(r.value >= 0.0) || !std::isfinite(r.value))
            throw validation_error(subject, "value", "a finite value >= 0",
                                   score_weights::format_number(r.value));
        if (r.activity.value >= activities)
            throw validation_error(subject, "activity", "a registered activity type",
                                   std::to_string(r.activity.value));
        auto found = p.prospects.find(r.prospect_id);
        if (!found)
            throw not_found_error(subject + ": prospect '" + r.prospect_id +
                                  "' is not in the program");
        in.prospects.push_back(std::move(*found));
        in.first = std::min(in.first, r.day);
        in.last = std::max(in.last, r.due);
    }
    in.order.resize(requests.size());
    std::iota(in.order.begin(), in.order.end(), std::size_t{0});
    std::stable_sort(in.order.begin(), in.order.end(), [&](std::size_t a, std::size_t b) {
        return requests[a].day < requests[b].day;
    });
    if (!requests.empty()) {
        auto events = p.usage.events();
        // Later uses are what the replay plays again; uses of references no longer in the
        // program cannot be recorded in the copy (and no match could ask them).
        std::erase_if(events, [&](const usage_event& e) {
            return !(e.day < in.first) || !p.references.contains(e.reference_id);
        });
        in.history = std::move(events);
    }
    return in;
}

// A promised reference, until its activity happens.
struct promise {
    std::size_t request;
    std::uint32_t reference;  // index into the replay's references
    activity_id activity;
    date day;
};

class replay {
public:
    replay(const replay_input& in, const simulation_policy& policy,
           const simulation_options& options)
        : in_(in), policy_(policy), options_(options) {
        const auto& source = in.source;
        work_ = std::make_unique<program>(source.vocab);
        // The policy's limits: defaults scaled, then overridden; references' own limits scaled.
        const std::size_t activities =
            std::max(source.quotas.size(), source.vocab->activities.size());
        work_->quotas = source.quotas;
        if (policy.quota_scale != 1.0)
            for (std::size_t a = 0; a < activities; ++a) {
                const activity_id id{static_cast<std::uint16_t>(a)};
                auto limit = source.quotas.limit(id);
                if (!limit.max_uses) continue;
                limit.max_uses = scaled(*limit.max_uses, policy.quota_scale);
                work_->quotas.set(id, limit);
            }
        for (const auto& [a, limit] : policy.quota_overrides) work_->quotas.set(a, limit);
        customers_ = source.references.all();
        auto mine = customers_;
        if (policy.quota_scale != 1.0)
            for (auto& r : mine)
                for (auto& c : r.consents)
                    if (c.limit && c.limit->max_uses)
                        c.limit->max_uses = scaled(*c.limit->max_uses, policy.quota_scale);
        for (std::uint32_t i = 0; i < customers_.size(); ++i)
            reference_index_.emplace(customers_[i].id, i);
        work_->references.add_all(mine);
        mine_ = std::move(mine);
        work_->record_usage_all(in.history);
        engine_ = std::make_unique<engine>(*work_);

        const std::size_t n = in.requests.size();
        remaining_.resize(n);
        for (std::size_t i = 0; i < n; ++i) remaining_[i] = in.requests[i].count;
        refused_.resize(n);
        out_.policy = policy;
        out_.requests.resize(n);
        for (std::size_t i = 0; i < n; ++i) out_.requests[i].request_id = in.requests[i].id;
        asked_.assign(customers_.size(), 0);
        used_.assign(customers_.size(), 0);
    }

    policy_replay run() {
        auto next = in_.order.begin();
        std::vector<std::size_t> open;
        for (date day = in_.first; !in_.requests.empty() && day <= in_.last;
             day += std::chrono::days(1)) {
            replay_day today;
            today.day = day;
            for (; next != in_.order.end() && in_.requests[*next].day == day; ++next) {
                open.push_back(*next);
                ++today.opened;
            }
            std::erase_if(open, [&](std::size_t i) {
                if (in_.requests[i].due >= day) return false;
                ++today.expired;
                return true;
            });
            if (!open.empty()) assign_day(day, open, today);
            std::erase_if(open, [&](std::size_t i) { return remaining_[i] == 0; });
            happen(day, today);
            out_.days.push_back(today);
        }
        finish();
        return std::move(out_);
    }

private:
    // Today's open requests get their references; each customer asked may decline.
    void assign_day(date day, const std::vector<std::size_t>& open, replay_day& today) {
        std::vector<assignment_demand> demands;
        demands.reserve(open.size());
        for (const auto i : open) {
            const auto& r = in_.requests[i];
            prospect p = in_.prospects[i];
            p.needed_by = r.due;  // the request's, which the greedy order reads
            for (const auto& id : out_.requests[i].references) p.exclusions.push_back(id);
            for (const auto& id : refused_[i]) p.exclusions.push_back(id);
            demands.push_back({std::move(p), r.activity, remaining_[i], r.value});
        }
        assignment_options o;
        o.match = options_.match;
        o.match.now = day;
        o.match.activity.reset();
        o.match.use_prospect_activity = true;
        o.match.weights = policy_.weights;
        o.match.fatigue_weight = policy_.fatigue_weight;
        o.candidates = policy_.candidates;
        o.weighted = policy_.weighted;
        o.per_reference = policy_.per_reference;
        o.threads = options_.threads;
        if (policy_.holds)
            for (const auto& [due, list] : live_)
                for (const auto& h : list)
                    o.holds.push_back({customers_[h.reference].id, h.activity, h.day});
        assignment_result result;
        if (policy_.method == assignment_method::greedy) {
            result = assign_greedy(*engine_, demands, o);
        } else {
            o.baseline = policy_.baseline;
            result = assign(*engine_, demands, o);
        }
        today.open = open.size();
        today.value = result.totals.value;
        today.greedy_value = o.baseline ? result.greedy_totals.value : 0.0;

        for (std::size_t k = 0; k < open.size(); ++k) {
            const auto i = open[k];
            const auto& r = in_.requests[i];
            auto& outcome = out_.requests[i];
            for (const auto& a : result.demands[k].references) {
                const auto ref = reference_index_.at(a.match.reference_id);
                ++today.asked;
                ++asked_[ref];
                if (declines(i, ref, day)) {
                    ++today.declined;
                    ++outcome.declines;
                    refused_[i].push_back(a.match.reference_id);
                    continue;
                }
                outcome.references.push_back(a.match.reference_id);
                outcome.score += a.marginal_score;
                live_[r.due].push_back({i, ref, r.activity, r.due});
                ++promised_;
                if (--remaining_[i] == 0) {
                    outcome.filled_on = day;
                    ++today.filled;
                }
            }
        }
    }

    // The customer's answer: its utilisation under the program's own limits, uses and promised
    // slots counted (holds or not, the customer knows what it agreed to).
    bool declines(std::size_t request, std::uint32_t ref, date day) {
        const auto& r = in_.requests[request];
        double p = options_.decline_base;
        if (options_.decline_fatigue > 0.0) {
            std::vector<date> promised;
            for (const auto& [due, list] : live_)
                for (const auto& h : list)
                    if (h.reference == ref && h.activity == r.activity) promised.push_back(h.day);
            const auto reader = work_->usage.read();
            const auto q = evaluate_quota(customers_[ref], r.activity, in_.source.quotas, reader,
                                          day, promised);
            p += options_.decline_fatigue * q.utilisation;
        }
        return decline_draw(options_.seed, r.id, customers_[ref].id) < p;
    }

    // The activities planned for today happen: each use goes into the ledger, after the quota
    // rule (the policy's limits, no holds) says whether it breaks a limit or a cooldown.
    void happen(date day, replay_day& today) {
        const auto it = live_.find(day);
        if (it == live_.end()) return;
        const auto list = std::move(it->second);
        live_.erase(it);
        for (const auto& h : list) {
            {
                const auto reader = work_->usage.read();
                const auto q =
                    evaluate_quota(mine_[h.reference], h.activity, work_->quotas, reader, day);
                if (q.at_limit) ++over_limit_;
                if (q.cooling_down) ++cooldown_;
            }
            work_->record_usage(
                {customers_[h.reference].id, h.activity, in_.requests[h.request].id, day});
            ++used_[h.reference];
            ++today.used;
        }
    }

    void finish() {
        auto& t = out_.totals;
        t.requests = in_.requests.size();
        double days_to_fill = 0.0;
        for (std::size_t i = 0; i < in_.requests.size(); ++i) {
            const auto& r = in_.requests[i];
            const auto& o = out_.requests[i];
            t.value += r.value;
            t.score += o.score;
            t.declines += o.declines;
            if (o.filled_on) {
                ++t.filled_on_time;
                t.value_covered += r.value;
                days_to_fill += static_cast<double>((*o.filled_on - r.day).count());
            }
        }
        if (t.filled_on_time) days_to_fill /= static_cast<double>(t.filled_on_time);
        t.mean_days_to_fill = days_to_fill;
        t.promised = promised_;
        t.over_limit_uses = over_limit_;
        t.cooldown_uses = cooldown_;
        // Concentration over the active references (the only ones a match can ask).
        std::vector<std::uint32_t> uses;
        for (std::uint32_t i = 0; i < customers_.size(); ++i) {
            if (customers_[i].status != reference_status::active) continue;
            ++t.references;
            if (asked_[i] == 0) ++t.never_asked;
            uses.push_back(used_[i]);
            t.asks += asked_[i];
            t.uses += used_[i];
        }
        std::sort(uses.begin(), uses.end(), std::greater<>());
        const std::size_t top = std::max<std::size_t>(1, (uses.size() * 5 + 99) / 100);
        std::size_t top_uses = 0;
        for (std::size_t i = 0; i < std::min(top, uses.size()); ++i) top_uses += uses[i];
        if (t.uses) t.top5_share = static_cast<double>(top_uses) / static_cast<double>(t.uses);
    }

    const replay_input& in_;
    const simulation_policy& policy_;
    const simulation_options& options_;
    std::unique_ptr<program> work_;
    std::unique_ptr<engine> engine_;
    std::vector<reference_customer> customers_;  // as the program has them (declines)
    std::vector<reference_customer> mine_;       // with the policy's limits (breaches)
    by_id<std::uint32_t> reference_index_;
    std::vector<std::uint32_t> remaining_;
    std::vector<std::vector<std::string>> refused_;
    std::map<date, std::vector<promise>> live_;  // by the day the activity happens
    std::vector<std::uint32_t> asked_, used_;
    std::size_t promised_ = 0, over_limit_ = 0, cooldown_ = 0;
    policy_replay out_;
};

}  // namespace

simulation_result simulate(const program& p, std::span<const dated_request> requests,
                           std::span<const simulation_policy> policies,
                           const simulation_options& options) {
    options.validate();
    std::unordered_set<std::string> names;
    for (const auto& policy : policies) check_policy(policy, names);
    const auto in = prepare(p, requests);
    simulation_result out;
    for (const auto& policy : policies) out.policies.push_back(replay(in, policy, options).run());
    return out;
}

}  // namespace refmatch
