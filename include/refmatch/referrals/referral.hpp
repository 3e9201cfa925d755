#pragma once
/// @file referrals/referral.hpp
/// The referral program's model (link refmatch::referrals): the accounts of the program
/// (customers, who refer, and open opportunities), referrals, the reward rules, rewards and the
/// manual overrides of check results. Plain values with text ids, as users write them;
/// docs/referrals.md describes the program.

#include <refmatch/date.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::referrals {

/// Whether an account is a customer (who may refer) or an open opportunity.
enum class account_kind { customer, opportunity };

/// An organisation the vendor already knows: a customer (reference or not) or an open
/// opportunity. Referrers are customers; the checks compare referred organisations against all
/// accounts.
struct account {
    std::string id;
    std::string name;
    std::string domain;  ///< web domain, `acme.com` (lower case; empty when unknown)
    std::string country;
    account_kind kind = account_kind::customer;
    std::optional<date> since;               ///< customer since
    std::optional<double> first_year_value;  ///< revenue of its first year as a customer
    std::string referral_id;                 ///< the referral it came from (empty: not referred)
    bool operator==(const account&) const = default;
};

/// Where a referral stands. `rejected` is set by the integrity checks (or a person) and ends it.
enum class referral_status { new_, qualified, converted, lost, rejected };

/// The organisation a customer referred.
struct referred_organisation {
    std::string name;
    std::string domain;  ///< web domain (lower case)
    std::string email;   ///< the contact's e-mail
    std::string country;
    bool operator==(const referred_organisation&) const = default;
};

/// One referral: who referred which organisation, through which channel and campaign, with
/// which reward variant (for A/B tests), and how far it went.
struct referral {
    std::string id;
    std::string referrer_id;  ///< an account of kind customer
    referred_organisation referred;
    std::string channel;   ///< source channel (`email`, `portal`, `event`, ...)
    std::string campaign;  ///< campaign (free text)
    std::string variant;   ///< the reward variant offered (`A`, `B`, ...)
    date referred_on{};
    std::optional<date> qualified_on;
    std::optional<date> converted_on;
    std::string opportunity_id;  ///< the opportunity it became
    double deal_value = 0;       ///< the opportunity's value
    referral_status status = referral_status::new_;
    bool operator==(const referral&) const = default;
};

/// What an organisation-level reward is.
enum class reward_kind { discount, credit, donation, tier };

/// One side of a double-sided reward.
struct reward_offer {
    reward_kind kind = reward_kind::credit;
    double amount = 0;  ///< currency units (a discount or tier is valued at its cost)
    bool operator==(const reward_offer&) const = default;
};

/// The program's reward rules (rules.json in a program directory).
struct reward_rules {
    reward_offer referrer{reward_kind::credit, 500};    ///< to the referring organisation
    reward_offer referred{reward_kind::discount, 250};  ///< incentive to the referred one
    /// The event that earns the rewards: conversion, or qualification (an earlier stage).
    referral_status qualifying_event = referral_status::converted;
    double minimum_deal_value = 0;  ///< a smaller deal earns nothing
    /// At most `cap_per_period` rewarded referrals per referrer in any `cap_period_days`
    /// (counted by qualifying day); 0: no cap.
    std::uint32_t cap_per_period = 0;
    std::uint32_t cap_period_days = 365;
    /// A referral earns only when its qualifying event comes within this many days of the
    /// referral; an organisation referred again within it belongs to the first referrer.
    std::uint32_t attribution_window_days = 90;
    bool operator==(const reward_rules&) const = default;
};

/// pending → approved → issued; `held` while the referral's checks say review (until a person
/// decides); `void` when the referral was rejected.
enum class reward_state { pending, approved, issued, held, void_ };

/// Which side of the double-sided reward.
enum class reward_side { referrer, referred };

/// One reward owed for a referral.
struct reward {
    std::string id;  ///< `<referral id>/referrer` or `<referral id>/referred`
    std::string referral_id;
    reward_side side = reward_side::referrer;
    std::string recipient;  ///< the referrer's account id, or the referred organisation's name
    reward_offer offer;
    reward_state state = reward_state::pending;
    date earned_on{};  ///< the qualifying day
    bool operator==(const reward&) const = default;
};

/// The result of an integrity check, worst last.
enum class check_level { pass, review, reject };

/// A person's decision on a referral's checks: the level they set, who and why.
struct check_override {
    std::string referral_id;
    check_level level = check_level::pass;
    std::string by;
    std::string reason;
    date on{};
    bool operator==(const check_override&) const = default;
};

// Names as the files write them.
[[nodiscard]] std::string_view to_string(account_kind k) noexcept;
[[nodiscard]] std::string_view to_string(referral_status s) noexcept;
[[nodiscard]] std::string_view to_string(reward_kind k) noexcept;
[[nodiscard]] std::string_view to_string(reward_state s) noexcept;
[[nodiscard]] std::string_view to_string(reward_side s) noexcept;
[[nodiscard]] std::string_view to_string(check_level l) noexcept;
/// The inverses; nullopt for an unknown name.
[[nodiscard]] std::optional<account_kind> parse_account_kind(std::string_view s) noexcept;
[[nodiscard]] std::optional<referral_status> parse_referral_status(std::string_view s) noexcept;
[[nodiscard]] std::optional<reward_kind> parse_reward_kind(std::string_view s) noexcept;
[[nodiscard]] std::optional<reward_state> parse_reward_state(std::string_view s) noexcept;
[[nodiscard]] std::optional<reward_side> parse_reward_side(std::string_view s) noexcept;
[[nodiscard]] std::optional<check_level> parse_check_level(std::string_view s) noexcept;

/// The domain of an e-mail address, lower case (`Ana@Acme.COM` → `acme.com`); empty without `@`.
[[nodiscard]] std::string email_domain(std::string_view email);
/// A web domain as compared: lower case, without a scheme, `www.` or a path
/// (`https://www.Acme.com/about` → `acme.com`).
[[nodiscard]] std::string normalise_domain(std::string_view domain);

}  // namespace refmatch::referrals
