// The operations on a referral program: each checks everything first, then changes the program
// and returns the rows it changed (which the file and database stores write).

#include <refmatch/error.hpp>
#include <refmatch/referrals/program.hpp>

#include <algorithm>
#include <cstdio>

namespace refmatch::referrals {
namespace {

std::string amount_text(double v) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
    return buffer;
}

referral& find_or_throw(referral_program& p, std::string_view id) {
    for (auto& r : p.referrals)
        if (r.id == id) return r;
    throw not_found_error("no referral '" + std::string(id) + "' in the program");
}

std::vector<reward*> rewards_of(referral_program& p, std::string_view referral_id) {
    std::vector<reward*> out;
    for (auto& w : p.rewards)
        if (w.referral_id == referral_id) out.push_back(&w);
    return out;
}

// The status a referral has from its dates (used when a person lifts a rejection).
referral_status status_from_dates(const referral& r) {
    if (r.converted_on) return referral_status::converted;
    if (r.qualified_on) return referral_status::qualified;
    return referral_status::new_;
}

bool reached(const reward_rules& rules, referral_status s) {
    return s == referral_status::converted ||
           (s == referral_status::qualified &&
            rules.qualifying_event == referral_status::qualified);
}

// Applies one level to a referral and its rewards; records what changed.
void apply_level(referral_program& p, referral& r, check_level level, program_change& change) {
    bool referral_changed = false;
    if (level == check_level::reject && r.status != referral_status::rejected &&
        r.status != referral_status::converted && r.status != referral_status::lost) {
        r.status = referral_status::rejected;
        referral_changed = true;
    }
    if (level != check_level::reject && r.status == referral_status::rejected) {
        r.status = status_from_dates(r);
        referral_changed = true;
    }
    if (referral_changed) change.referrals.push_back(r);
    for (auto* w : rewards_of(p, r.id)) {
        const auto before = w->state;
        if (w->state == reward_state::issued) continue;
        if (level == check_level::reject)
            w->state = reward_state::void_;
        else if (level == check_level::review && w->state == reward_state::pending)
            w->state = reward_state::held;
        else if (level == check_level::pass &&
                 (w->state == reward_state::held || w->state == reward_state::void_))
            w->state = reward_state::pending;
        if (w->state != before) change.rewards.push_back(*w);
    }
}

// Earns the rewards of `r` on `day` when it reached the qualifying event and has none yet.
void earn(referral_program& p, const referral& r, date day, const check_report* checks,
          program_change& change) {
    if (!reached(p.rules, r.status)) return;
    if (!rewards_of(p, r.id).empty()) return;
    auto earned = rewards_for(p, r, day);
    check_level level = check_level::pass;
    if (checks) {
        for (std::size_t i = 0; i < p.referrals.size() && i < checks->levels.size(); ++i)
            if (p.referrals[i].id == r.id) level = checks->levels[i];
    }
    for (auto& w : earned) {
        if (level == check_level::review) w.state = reward_state::held;
        if (level == check_level::reject) w.state = reward_state::void_;
        p.rewards.push_back(w);
        change.rewards.push_back(std::move(w));
    }
}

}  // namespace

const referral* referral_program::find_referral(std::string_view id) const {
    for (const auto& r : referrals)
        if (r.id == id) return &r;
    return nullptr;
}

const account* referral_program::find_account(std::string_view id) const {
    for (const auto& a : accounts)
        if (a.id == id) return &a;
    return nullptr;
}

std::vector<reward> rewards_for(const referral_program& p, const referral& r, date day,
                                std::string* why_not) {
    const auto& rules = p.rules;
    const auto no = [&](std::string why) {
        if (why_not) *why_not = std::move(why);
        return std::vector<reward>{};
    };
    for (const auto& w : p.rewards)
        if (w.referral_id == r.id) return no("the referral " + r.id + " has its rewards already");
    if (rules.qualifying_event == referral_status::converted &&
        r.deal_value < rules.minimum_deal_value)
        return no("the deal value " + amount_text(r.deal_value) + " is under the minimum " +
                  amount_text(rules.minimum_deal_value));
    const auto days = (day - r.referred_on).count();
    if (days > static_cast<long>(rules.attribution_window_days))
        return no("the qualifying event came " + std::to_string(days) +
                  " days after the referral, past the " +
                  std::to_string(rules.attribution_window_days) + "-day attribution window");
    if (rules.cap_per_period > 0) {
        const auto from = day - std::chrono::days(rules.cap_period_days);
        std::uint32_t earned = 0;
        for (const auto& w : p.rewards)
            if (w.side == reward_side::referrer && w.recipient == r.referrer_id &&
                w.state != reward_state::void_ && w.earned_on > from && w.earned_on <= day)
                ++earned;
        if (earned >= rules.cap_per_period)
            return no(r.referrer_id + " has earned " + std::to_string(earned) + " rewards in the " +
                      std::to_string(rules.cap_period_days) + " days to " + format_date(day) +
                      ", the cap");
    }
    reward referrer{
        r.id + "/referrer",    r.id, reward_side::referrer, r.referrer_id, rules.referrer,
        reward_state::pending, day};
    reward referred{
        r.id + "/referred",    r.id, reward_side::referred, r.referred.name, rules.referred,
        reward_state::pending, day};
    return {std::move(referrer), std::move(referred)};
}

program_change add_referral(referral_program& p, referral r) {
    const std::string subject = "referral " + (r.id.empty() ? std::string("(no id)") : r.id);
    if (r.id.empty()) throw validation_error(subject, "id", "a referral id", "");
    if (p.find_referral(r.id)) throw validation_error(subject, "id", "a new referral id", r.id);
    const auto* referrer = p.find_account(r.referrer_id);
    if (!referrer || referrer->kind != account_kind::customer)
        throw validation_error(subject, "referrer_id", "the id of a customer account",
                               r.referrer_id);
    if (r.referred.name.empty() && r.referred.domain.empty())
        throw validation_error(subject, "name", "the referred organisation's name or domain", "");
    if (r.qualified_on && *r.qualified_on < r.referred_on)
        throw validation_error(subject, "qualified_on",
                               "a day on or after referred_on " + format_date(r.referred_on),
                               format_date(*r.qualified_on));
    if (r.converted_on && *r.converted_on < r.referred_on)
        throw validation_error(subject, "converted_on",
                               "a day on or after referred_on " + format_date(r.referred_on),
                               format_date(*r.converted_on));
    if (!(r.deal_value >= 0))
        throw validation_error(subject, "deal_value", "a number >= 0", amount_text(r.deal_value));
    if (r.status == referral_status::converted && !r.converted_on)
        throw validation_error(subject, "converted_on", "the day of the conversion", "");
    r.referred.domain = normalise_domain(r.referred.domain);
    program_change change;
    p.referrals.push_back(r);
    change.referrals.push_back(r);
    if (reached(p.rules, r.status))
        earn(p, p.referrals.back(),
             r.status == referral_status::converted &&
                     p.rules.qualifying_event == referral_status::converted
                 ? *r.converted_on
                 : r.qualified_on.value_or(r.converted_on.value_or(r.referred_on)),
             nullptr, change);
    return change;
}

program_change advance_referral(referral_program& p, std::string_view id, referral_status to,
                                date day, std::string_view opportunity_id, double deal_value,
                                const check_report* checks) {
    referral& r = find_or_throw(p, id);
    const std::string subject = "referral " + r.id;
    const bool open = r.status == referral_status::new_ || r.status == referral_status::qualified;
    const bool forward = to == referral_status::converted || to == referral_status::lost ||
                         (to == referral_status::qualified && r.status == referral_status::new_);
    if (!open || !forward)
        throw validation_error(
            subject, "status",
            "a move forward from new or qualified (to qualified, converted or "
            "lost)",
            std::string(to_string(r.status)) + " -> " + std::string(to_string(to)));
    if (day < r.referred_on)
        throw validation_error(subject, "day",
                               "a day on or after referred_on " + format_date(r.referred_on),
                               format_date(day));
    if (!(deal_value >= 0))
        throw validation_error(subject, "deal_value", "a number >= 0", amount_text(deal_value));
    program_change change;
    if (to == referral_status::qualified || to == referral_status::converted)
        if (!r.qualified_on) r.qualified_on = day;
    if (to == referral_status::converted) {
        r.converted_on = day;
        r.opportunity_id = std::string(opportunity_id);
        r.deal_value = deal_value;
    }
    r.status = to;
    change.referrals.push_back(r);
    const referral copy = r;
    const date qualifying = p.rules.qualifying_event == referral_status::qualified
                                ? copy.qualified_on.value_or(day)
                                : day;
    earn(p, copy, qualifying, checks, change);
    return change;
}

program_change apply_checks(referral_program& p, const check_report& checks) {
    program_change change;
    for (std::size_t i = 0; i < p.referrals.size() && i < checks.levels.size(); ++i)
        apply_level(p, p.referrals[i], checks.levels[i], change);
    return change;
}

program_change override_checks(referral_program& p, check_override o) {
    referral& r = find_or_throw(p, o.referral_id);
    const std::string subject = "override of referral " + r.id;
    if (o.by.empty()) throw validation_error(subject, "by", "who decided", "");
    if (o.reason.empty()) throw validation_error(subject, "reason", "why they decided so", "");
    program_change change;
    p.overrides.push_back(o);
    change.overrides.push_back(std::move(o));
    apply_level(p, r, change.overrides.back().level, change);
    return change;
}

program_change move_reward(referral_program& p, std::string_view reward_id, reward_state to) {
    for (auto& w : p.rewards) {
        if (w.id != reward_id) continue;
        const bool ok = (w.state == reward_state::pending && to == reward_state::approved) ||
                        (w.state == reward_state::approved && to == reward_state::issued);
        if (!ok)
            throw validation_error(
                "reward " + w.id, "state",
                w.state == reward_state::held
                    ? std::string("a decision on the referral's review first (the reward is held)")
                    : std::string("pending -> approved or approved -> issued"),
                std::string(to_string(w.state)) + " -> " + std::string(to_string(to)));
        w.state = to;
        return {{}, {w}, {}};
    }
    throw not_found_error("no reward '" + std::string(reward_id) + "' in the program");
}

}  // namespace refmatch::referrals
