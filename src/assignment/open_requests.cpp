// The assignment over a program database's requests: open requests in, the proposal out through
// the request book's own operations (which hold the quota check inside their transactions).

#include <refmatch/assignment/open_requests.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/program.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace refmatch {
namespace {

// The statuses from which the workflow can still attach references (a declined one after a new
// proposal).
bool awaits_references(request_status s) {
    return s == request_status::requested || s == request_status::proposed ||
           s == request_status::owner_declined || s == request_status::customer_declined;
}

bool needs_new_proposal(request_status s) {
    return s == request_status::owner_declined || s == request_status::customer_declined;
}

}  // namespace

std::string_view to_string(applied_state s) {
    switch (s) {
        case applied_state::held:
            return "held";
        case applied_state::attached:
            return "attached";
        case applied_state::fulfilled:
            return "fulfilled";
        case applied_state::lost_slot:
            return "lost_slot";
        case applied_state::changed:
            return "changed";
        case applied_state::unfilled:
            break;
    }
    return "unfilled";
}

request_demands open_request_demands(const request_book& book, const program& p,
                                     std::chrono::sys_seconds now) {
    const date today = day_of(now);
    const auto all = book.list();
    // The references declined for an opportunity, by their customer or their owner, on any of
    // its requests: the workflow never attaches them to it again.
    std::map<std::string, std::set<std::string>, std::less<>> declined;
    for (const auto& r : all)
        for (const auto& a : r.references)
            if (a.state == attachment_state::customer_declined ||
                a.state == attachment_state::owner_declined)
                declined[r.opportunity_id].insert(a.reference_id);
    request_demands out;
    for (const auto& r : all) {
        if (!awaits_references(r.status) || today >= r.expires_on) continue;
        assignment_demand d;
        d.request = p.prospects.at(r.opportunity_id);
        d.request.needed_by = r.needed_by;
        auto& excluded = d.request.exclusions;
        for (const auto& a : r.references) excluded.push_back(a.reference_id);
        if (const auto it = declined.find(r.opportunity_id); it != declined.end())
            excluded.insert(excluded.end(), it->second.begin(), it->second.end());
        std::sort(excluded.begin(), excluded.end());
        excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
        d.activity = r.activity;
        d.count = r.wanted;
        d.weight = d.request.deal_value;
        out.request_ids.push_back(r.id);
        out.demands.push_back(std::move(d));
    }
    return out;
}

std::vector<applied_request> apply_assignment(request_book& book, const engine& e,
                                              const request_demands& demands,
                                              const assignment_result& result,
                                              const request_actor& by) {
    if (result.demands.size() != demands.request_ids.size() ||
        demands.demands.size() != demands.request_ids.size())
        throw validation_error(
            "apply an assignment", "result",
            "one entry per demand (" + std::to_string(demands.request_ids.size()) + ")",
            std::to_string(result.demands.size()));
    const bool holds_when_asked = book.policy().holds_from == hold_start::approval_asked;
    std::vector<applied_request> out;
    out.reserve(demands.request_ids.size());
    for (std::size_t i = 0; i < demands.request_ids.size(); ++i) {
        applied_request a;
        a.request_id = demands.request_ids[i];
        for (const auto& r : result.demands[i].references)
            a.references.push_back(r.match.reference_id);
        if (a.references.empty()) {
            out.push_back(std::move(a));
            continue;
        }
        const auto activity = demands.demands[i].activity;
        try {
            if (needs_new_proposal(book.get(a.request_id).status))
                (void)book.propose(a.request_id, e, by);
            book.pick(a.request_id, a.references, by);
            if (activity && book.policy().is_self_serve(*activity))
                a.state = applied_state::fulfilled;
            else
                a.state = holds_when_asked ? applied_state::held : applied_state::attached;
        } catch (const hold_conflict& x) {
            a.state = applied_state::lost_slot;
            a.message = x.what();
        } catch (const illegal_transition& x) {
            a.state = applied_state::changed;
            a.message = x.what();
        } catch (const validation_error& x) {
            // A reference declined or attached meanwhile, or the request was given fewer slots.
            a.state = applied_state::changed;
            a.message = x.what();
        }
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<dated_request> dated_requests(const request_book& book, const program& p,
                                          std::optional<date> from, std::optional<date> to) {
    std::vector<dated_request> out;
    for (const auto& r : book.list()) {
        const date day = day_of(r.created_at);
        if ((from && day < *from) || (to && day > *to)) continue;
        dated_request d;
        d.id = std::to_string(r.id);
        d.day = day;
        d.prospect_id = r.opportunity_id;
        d.activity = r.activity;
        d.count = r.wanted;
        d.due = std::max(r.needed_by, day);
        d.value = p.prospects.at(r.opportunity_id).deal_value;
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace refmatch
