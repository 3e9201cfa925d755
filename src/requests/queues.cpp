// The morning queues and the service figures of the request workflow, read off the requests as
// stored (docs/requests.md defines each).

#include <refmatch/engine.hpp>
#include <refmatch/requests/request_book.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace refmatch {
namespace {

using std::chrono::sys_seconds;

double hours_between(sys_seconds from, sys_seconds to) {
    return static_cast<double>((to - from).count()) / 3600.0;
}

// A request is due at the end of its needed-by day.
sys_seconds due_at(const request& r) {
    return sys_seconds{r.needed_by + std::chrono::days(1)};
}

std::string joined(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ";") + id;
    return out;
}

queue_entry entry_of(const request& r, double hours, std::vector<std::string> references = {}) {
    if (references.empty())
        for (const auto& a : r.references)
            if (a.state == attachment_state::attached || a.state == attachment_state::held)
                references.push_back(a.reference_id);
    return {r.id,  r.opportunity_id,  r.activity, std::string(to_string(r.status)), r.needed_by,
            hours, joined(references)};
}

bool waiting_for_references(const request& r) {
    return r.status == request_status::requested || r.status == request_status::proposed ||
           r.status == request_status::owner_declined ||
           r.status == request_status::customer_declined;
}

std::optional<sys_seconds> fulfilled_at(const request& r) {
    for (const auto& t : r.trail)
        if (t.to == request_status::fulfilled) return t.at;
    return std::nullopt;
}

}  // namespace

request_queues request_book::queues(sys_seconds now, const engine& e,
                                    const queue_options& options) const {
    const auto requests = list();
    request_queues out;
    const double due_window = static_cast<double>(options.due_within.count());
    const double approval_window = static_cast<double>(options.approval_waiting.count());
    const double expiry_window = static_cast<double>(options.expiring_within.count());
    std::map<std::string, std::set<std::string>> declined;  // opportunity -> who declined it
    for (const auto& r : requests)
        for (const auto& a : r.references)
            if (a.state == attachment_state::customer_declined ||
                a.state == attachment_state::owner_declined)
                declined[r.opportunity_id].insert(a.reference_id);
    std::shared_ptr<const hold_index> holds;
    const date today = day_of(now);
    for (const auto& r : requests) {
        if (is_closed(r.status) || today >= r.expires_on) continue;
        const double until_due = hours_between(now, due_at(r));
        if (until_due <= 0.0)
            out.overdue.push_back(entry_of(r, until_due));
        else if (until_due <= due_window)
            out.due_soon.push_back(entry_of(r, until_due));
        if (r.status == request_status::approval_asked) {
            const double waited = hours_between(r.status_at, now);
            if (waited > approval_window) out.awaiting_approval.push_back(entry_of(r, waited));
        }
        std::vector<std::string> held;
        for (const auto& a : r.references)
            if (a.state == attachment_state::held) held.push_back(a.reference_id);
        const double left = hours_between(now, sys_seconds{r.expires_on});
        if (!held.empty() && left <= expiry_window)
            out.holds_expiring.push_back(entry_of(r, left, held));
        if (waiting_for_references(r)) {
            if (!holds) holds = hold_index_at(now);
            match_options o;
            o.activity = r.activity;
            o.now = today;
            o.holds = holds;
            o.explain = false;
            const auto& d = declined[r.opportunity_id];
            o.exclusions.assign(d.begin(), d.end());
            for (const auto& a : r.references) o.exclusions.push_back(a.reference_id);
            if (e.match(r.opportunity_id, 1, o).empty())
                out.no_candidate.push_back(entry_of(r, until_due));
        }
    }
    const auto by_hours = [](const queue_entry& a, const queue_entry& b) {
        return a.hours < b.hours || (a.hours == b.hours && a.request_id < b.request_id);
    };
    const auto by_hours_desc = [](const queue_entry& a, const queue_entry& b) {
        return a.hours > b.hours || (a.hours == b.hours && a.request_id < b.request_id);
    };
    std::sort(out.due_soon.begin(), out.due_soon.end(), by_hours);
    std::sort(out.overdue.begin(), out.overdue.end(), by_hours);
    std::sort(out.awaiting_approval.begin(), out.awaiting_approval.end(), by_hours_desc);
    std::sort(out.no_candidate.begin(), out.no_candidate.end(), by_hours);
    std::sort(out.holds_expiring.begin(), out.holds_expiring.end(), by_hours);
    return out;
}

service_figures request_book::service(sys_seconds now) const {
    const auto requests = list();
    const auto p = current_program();
    service_figures out;
    std::map<std::uint16_t, std::vector<double>> times;
    std::map<std::uint16_t, on_time_share> on_time;
    std::map<std::string, decline_rate> by_reference, by_activity;
    std::map<std::string, outreach_rate> by_channel, by_owner;
    const auto owner_of = [&](const std::string& id) -> std::string {
        const auto r = p->references.find(id);
        return r ? r->owner : std::string();
    };
    for (const auto& r : requests) {
        const auto fulfilled = fulfilled_at(r);
        if (fulfilled && r.status == request_status::fulfilled)
            times[r.activity.value].push_back(hours_between(r.created_at, *fulfilled));
        if (is_closed(r.status) || now >= due_at(r)) {
            auto& s = on_time[r.activity.value];
            s.activity = r.activity;
            ++s.settled;
            if (r.status == request_status::fulfilled &&
                std::all_of(r.references.begin(), r.references.end(), [&](const auto& a) {
                    return a.state != attachment_state::used ||
                           (a.hold_day && *a.hold_day <= r.needed_by);
                }))
                ++s.on_time;
        }
        const bool self_serve = policy().is_self_serve(r.activity);
        const std::string activity = p->vocab->activities.name(r.activity);
        for (const auto& a : r.references) {
            for (auto* rate : {&by_reference[a.reference_id], &by_activity[activity]}) {
                if (!self_serve) ++rate->owner_asked;
                if (a.state == attachment_state::owner_declined) ++rate->owner_declined;
                if (a.customer_asked) ++rate->customer_asked;
                if (a.state == attachment_state::customer_declined) ++rate->customer_declined;
            }
        }
        std::set<std::string> request_owners;
        for (const auto& a : r.references)
            if (auto owner = owner_of(a.reference_id); !owner.empty())
                request_owners.insert(std::move(owner));
        for (const auto& o : r.outreach) {
            std::vector<outreach_rate*> rates{&by_channel[std::string(to_string(o.channel))]};
            for (const auto& owner : request_owners) rates.push_back(&by_owner[owner]);
            for (auto* rate : rates) {
                ++rate->attempts;
                if (o.outcome != outreach_outcome::no_answer) ++rate->responses;
                if (o.outcome == outreach_outcome::accepted) ++rate->accepted;
            }
        }
    }
    for (auto& [a, hours] : times)
        out.time_to_fulfil.push_back(
            {activity_id{a}, hours.size(), nearest_rank(hours, 0.5), nearest_rank(hours, 0.9)});
    for (auto& [a, s] : on_time) out.on_time.push_back(s);
    const auto keyed = [](auto& map, auto& into) {
        for (auto& [key, rate] : map) {
            rate.key = key;
            into.push_back(rate);
        }
    };
    keyed(by_reference, out.by_reference);
    keyed(by_activity, out.by_activity);
    keyed(by_channel, out.by_channel);
    keyed(by_owner, out.by_owner);
    return out;
}

}  // namespace refmatch
