// Names of the model's enumerations as the files write them, and domain normalisation.

#include <refmatch/detail/text.hpp>
#include <refmatch/referrals/referral.hpp>

#include <array>
#include <utility>

namespace refmatch::referrals {
namespace {

template <class E, std::size_t N>
std::optional<E> parse_name(const std::array<std::pair<E, std::string_view>, N>& names,
                            std::string_view s) noexcept {
    for (const auto& [value, name] : names)
        if (name == s) return value;
    return std::nullopt;
}
template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E e) noexcept {
    for (const auto& [value, name] : names)
        if (value == e) return name;
    return "?";
}

constexpr std::array<std::pair<account_kind, std::string_view>, 2> account_kinds{
    {{account_kind::customer, "customer"}, {account_kind::opportunity, "opportunity"}}};
constexpr std::array<std::pair<referral_status, std::string_view>, 5> statuses{
    {{referral_status::new_, "new"},
     {referral_status::qualified, "qualified"},
     {referral_status::converted, "converted"},
     {referral_status::lost, "lost"},
     {referral_status::rejected, "rejected"}}};
constexpr std::array<std::pair<reward_kind, std::string_view>, 4> kinds{
    {{reward_kind::discount, "discount"},
     {reward_kind::credit, "credit"},
     {reward_kind::donation, "donation"},
     {reward_kind::tier, "tier"}}};
constexpr std::array<std::pair<reward_state, std::string_view>, 5> states{
    {{reward_state::pending, "pending"},
     {reward_state::approved, "approved"},
     {reward_state::issued, "issued"},
     {reward_state::held, "held"},
     {reward_state::void_, "void"}}};
constexpr std::array<std::pair<reward_side, std::string_view>, 2> sides{
    {{reward_side::referrer, "referrer"}, {reward_side::referred, "referred"}}};
constexpr std::array<std::pair<check_level, std::string_view>, 3> levels{
    {{check_level::pass, "pass"},
     {check_level::review, "review"},
     {check_level::reject, "reject"}}};

}  // namespace

std::string_view to_string(account_kind k) noexcept {
    return name_of(account_kinds, k);
}
std::string_view to_string(referral_status s) noexcept {
    return name_of(statuses, s);
}
std::string_view to_string(reward_kind k) noexcept {
    return name_of(kinds, k);
}
std::string_view to_string(reward_state s) noexcept {
    return name_of(states, s);
}
std::string_view to_string(reward_side s) noexcept {
    return name_of(sides, s);
}
std::string_view to_string(check_level l) noexcept {
    return name_of(levels, l);
}
std::optional<account_kind> parse_account_kind(std::string_view s) noexcept {
    return parse_name(account_kinds, s);
}
std::optional<referral_status> parse_referral_status(std::string_view s) noexcept {
    return parse_name(statuses, s);
}
std::optional<reward_kind> parse_reward_kind(std::string_view s) noexcept {
    return parse_name(kinds, s);
}
std::optional<reward_state> parse_reward_state(std::string_view s) noexcept {
    return parse_name(states, s);
}
std::optional<reward_side> parse_reward_side(std::string_view s) noexcept {
    return parse_name(sides, s);
}
std::optional<check_level> parse_check_level(std::string_view s) noexcept {
    return parse_name(levels, s);
}

std::string email_domain(std::string_view email) {
    const auto at = email.rfind('@');
    if (at == std::string_view::npos) return {};
    return normalise_domain(email.substr(at + 1));
}

std::string normalise_domain(std::string_view d) {
    while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
    while (!d.empty() && (d.back() == ' ' || d.back() == '\t' || d.back() == '.'))
        d.remove_suffix(1);
    if (const auto scheme = d.find("://"); scheme != std::string_view::npos)
        d.remove_prefix(scheme + 3);
    if (const auto slash = d.find('/'); slash != std::string_view::npos) d = d.substr(0, slash);
    std::string out;
    out.reserve(d.size());
    for (const char c : d) out += refmatch::detail::ascii_lower(c);
    if (out.starts_with("www.")) out.erase(0, 4);
    return out;
}

}  // namespace refmatch::referrals
