// The referral tables' record rules: fields as text, checked on reading.

#include "referrals/rows.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace refmatch::referrals::detail {
namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string_view required(const field_reader& f, std::string_view column, const char* what) {
    const auto v = trimmed(f(column));
    if (v.empty()) throw field_problem{std::string(column), what, ""};
    return v;
}

std::optional<date> optional_day(const field_reader& f, std::string_view column) {
    const auto v = trimmed(f(column));
    if (v.empty()) return std::nullopt;
    if (const auto d = parse_date(v)) return d;
    throw field_problem{std::string(column), "a date YYYY-MM-DD", std::string(v)};
}

date required_day(const field_reader& f, std::string_view column) {
    const auto d = optional_day(f, column);
    if (!d) throw field_problem{std::string(column), "a date YYYY-MM-DD", ""};
    return *d;
}

std::optional<double> optional_number(const field_reader& f, std::string_view column) {
    const auto v = trimmed(f(column));
    if (v.empty()) return std::nullopt;
    double out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(out) || out < 0)
        throw field_problem{std::string(column), "a number >= 0", std::string(v)};
    return out;
}

template <class E>
E required_name(const field_reader& f, std::string_view column,
                std::optional<E> (*parse)(std::string_view) noexcept, const char* names,
                std::optional<E> fallback = std::nullopt) {
    const auto v = trimmed(f(column));
    if (v.empty() && fallback) return *fallback;
    if (const auto e = parse(v)) return *e;
    throw field_problem{std::string(column), std::string("one of ") + names, std::string(v)};
}

std::string day_text(const std::optional<date>& d) {
    return d ? format_date(*d) : std::string();
}

}  // namespace

std::string number_text(double v) {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    return ec == std::errc() ? std::string(buffer, end) : std::string();
}

const table& accounts_table() {
    static const table t{
        "accounts",
        {"id", "name", "domain", "country", "kind", "since", "first_year_value", "referral_id"},
        {"id", "name"}};
    return t;
}
const table& referrals_table() {
    static const table t{"referrals",
                         {"id", "referrer_id", "name", "domain", "email", "country", "channel",
                          "campaign", "variant", "referred_on", "qualified_on", "converted_on",
                          "opportunity_id", "deal_value", "status"},
                         {"id", "referrer_id", "referred_on"}};
    return t;
}
const table& rewards_table() {
    static const table t{
        "rewards",
        {"id", "referral_id", "side", "recipient", "kind", "amount", "state", "earned_on"},
        {"id", "referral_id", "side", "kind", "amount", "state", "earned_on"}};
    return t;
}
const table& overrides_table() {
    static const table t{"overrides",
                         {"referral_id", "level", "by", "reason", "on"},
                         {"referral_id", "level", "by", "reason", "on"}};
    return t;
}

std::vector<std::string> row_of(const account& a) {
    return {a.id,
            a.name,
            a.domain,
            a.country,
            std::string(to_string(a.kind)),
            day_text(a.since),
            a.first_year_value ? number_text(*a.first_year_value) : std::string(),
            a.referral_id};
}
std::vector<std::string> row_of(const referral& r) {
    return {r.id,
            r.referrer_id,
            r.referred.name,
            r.referred.domain,
            r.referred.email,
            r.referred.country,
            r.channel,
            r.campaign,
            r.variant,
            format_date(r.referred_on),
            day_text(r.qualified_on),
            day_text(r.converted_on),
            r.opportunity_id,
            number_text(r.deal_value),
            std::string(to_string(r.status))};
}
std::vector<std::string> row_of(const reward& w) {
    return {w.id,
            w.referral_id,
            std::string(to_string(w.side)),
            w.recipient,
            std::string(to_string(w.offer.kind)),
            number_text(w.offer.amount),
            std::string(to_string(w.state)),
            format_date(w.earned_on)};
}
std::vector<std::string> row_of(const check_override& o) {
    return {o.referral_id, std::string(to_string(o.level)), o.by, o.reason, format_date(o.on)};
}

account account_of(const field_reader& f) {
    account a;
    a.id = std::string(required(f, "id", "an account id"));
    a.name = std::string(f("name"));
    if (trimmed(a.name).empty()) throw field_problem{"name", "the organisation's name", ""};
    a.domain = normalise_domain(f("domain"));
    a.country = std::string(trimmed(f("country")));
    a.kind = required_name<account_kind>(f, "kind", parse_account_kind, "customer, opportunity",
                                         account_kind::customer);
    a.since = optional_day(f, "since");
    a.first_year_value = optional_number(f, "first_year_value");
    a.referral_id = std::string(trimmed(f("referral_id")));
    return a;
}

referral referral_of(const field_reader& f) {
    referral r;
    r.id = std::string(required(f, "id", "a referral id"));
    r.referrer_id = std::string(required(f, "referrer_id", "the referrer's account id"));
    r.referred.name = std::string(f("name"));
    r.referred.domain = normalise_domain(f("domain"));
    r.referred.email = std::string(trimmed(f("email")));
    r.referred.country = std::string(trimmed(f("country")));
    r.channel = std::string(trimmed(f("channel")));
    r.campaign = std::string(f("campaign"));
    r.variant = std::string(trimmed(f("variant")));
    r.referred_on = required_day(f, "referred_on");
    r.qualified_on = optional_day(f, "qualified_on");
    r.converted_on = optional_day(f, "converted_on");
    r.opportunity_id = std::string(trimmed(f("opportunity_id")));
    r.deal_value = optional_number(f, "deal_value").value_or(0);
    r.status = required_name<referral_status>(f, "status", parse_referral_status,
                                              "new, qualified, converted, lost, rejected",
                                              referral_status::new_);
    return r;
}

reward reward_of(const field_reader& f) {
    reward w;
    w.id = std::string(required(f, "id", "a reward id"));
    w.referral_id = std::string(required(f, "referral_id", "a referral id"));
    w.side = required_name<reward_side>(f, "side", parse_reward_side, "referrer, referred");
    w.recipient = std::string(f("recipient"));
    w.offer.kind = required_name<reward_kind>(f, "kind", parse_reward_kind,
                                              "discount, credit, donation, tier");
    w.offer.amount = optional_number(f, "amount").value_or(0);
    w.state = required_name<reward_state>(f, "state", parse_reward_state,
                                          "pending, approved, issued, held, void");
    w.earned_on = required_day(f, "earned_on");
    return w;
}

check_override override_of(const field_reader& f) {
    check_override o;
    o.referral_id = std::string(required(f, "referral_id", "a referral id"));
    o.level = required_name<check_level>(f, "level", parse_check_level, "pass, review, reject");
    o.by = std::string(required(f, "by", "who decided"));
    o.reason = std::string(required(f, "reason", "why"));
    o.on = required_day(f, "on");
    return o;
}

std::string format_rules(const reward_rules& r) {
    const auto offer = [](const reward_offer& o) {
        return nlohmann::ordered_json{{"kind", to_string(o.kind)}, {"amount", o.amount}};
    };
    nlohmann::ordered_json j{{"format", "refmatch-referral-rules"},
                             {"version", 1},
                             {"referrer_reward", offer(r.referrer)},
                             {"referred_incentive", offer(r.referred)},
                             {"qualifying_event", to_string(r.qualifying_event)},
                             {"minimum_deal_value", r.minimum_deal_value},
                             {"cap_per_period", r.cap_per_period},
                             {"cap_period_days", r.cap_period_days},
                             {"attribution_window_days", r.attribution_window_days}};
    return j.dump(1) + "\n";
}

reward_rules parse_rules(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw field_problem{"", "a JSON object", std::string(text.substr(0, 40))};
    const auto shown = [](const nlohmann::json& v) { return v.dump(); };
    if (j.value("format", "") != "refmatch-referral-rules")
        throw field_problem{"format", "'refmatch-referral-rules'",
                            j.contains("format") ? shown(j["format"]) : ""};
    if (!j.contains("version") || j["version"] != 1)
        throw field_problem{"version", "format version 1",
                            j.contains("version") ? shown(j["version"]) : ""};
    reward_rules r;
    static const std::array<std::string_view, 9> known{"format",
                                                       "version",
                                                       "referrer_reward",
                                                       "referred_incentive",
                                                       "qualifying_event",
                                                       "minimum_deal_value",
                                                       "cap_per_period",
                                                       "cap_period_days",
                                                       "attribution_window_days"};
    for (const auto& [key, value] : j.items())
        if (std::find(known.begin(), known.end(), key) == known.end())
            throw field_problem{key, "a known key", key};
    const auto number = [&](const char* key, double low) -> std::optional<double> {
        if (!j.contains(key) || j[key].is_null()) return std::nullopt;
        if (!j[key].is_number() || j[key].get<double>() < low)
            throw field_problem{key, "a number >= " + number_text(low), shown(j[key])};
        return j[key].get<double>();
    };
    const auto whole = [&](const char* key, double low, std::uint32_t& out) {
        if (const auto v = number(key, low)) {
            if (*v != std::floor(*v) || *v > 1e9)
                throw field_problem{key, "a whole number", shown(j[key])};
            out = static_cast<std::uint32_t>(*v);
        }
    };
    const auto offer = [&](const char* key, reward_offer& out) {
        if (!j.contains(key)) return;
        const auto& o = j[key];
        if (!o.is_object() || !o.contains("kind") || !o["kind"].is_string())
            throw field_problem{std::string(key) + ".kind",
                                "one of discount, credit, donation, tier", shown(o)};
        const auto kind = parse_reward_kind(o["kind"].get<std::string>());
        if (!kind)
            throw field_problem{std::string(key) + ".kind",
                                "one of discount, credit, donation, tier",
                                o["kind"].get<std::string>()};
        out.kind = *kind;
        if (!o.contains("amount") || !o["amount"].is_number() || o["amount"].get<double>() < 0)
            throw field_problem{std::string(key) + ".amount", "a number >= 0",
                                o.contains("amount") ? shown(o["amount"]) : ""};
        out.amount = o["amount"].get<double>();
    };
    offer("referrer_reward", r.referrer);
    offer("referred_incentive", r.referred);
    if (j.contains("qualifying_event")) {
        const auto& v = j["qualifying_event"];
        const auto s = v.is_string() ? parse_referral_status(v.get<std::string>()) : std::nullopt;
        if (!s || (*s != referral_status::qualified && *s != referral_status::converted))
            throw field_problem{"qualifying_event", "one of qualified, converted", shown(v)};
        r.qualifying_event = *s;
    }
    if (const auto v = number("minimum_deal_value", 0)) r.minimum_deal_value = *v;
    whole("cap_per_period", 0, r.cap_per_period);
    whole("cap_period_days", 1, r.cap_period_days);
    whole("attribution_window_days", 1, r.attribution_window_days);
    return r;
}

}  // namespace refmatch::referrals::detail
