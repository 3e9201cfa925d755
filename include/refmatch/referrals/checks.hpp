#pragma once
/// @file referrals/checks.hpp
/// The integrity checks of a referral program. Each check gives a level (pass, review, reject),
/// a reason a person can read and the evidence (the records it found); a referral's level is
/// its worst finding, unless a person overrode it.

#include <refmatch/referrals/referral.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace refmatch::referrals {

/// Which check found something.
enum class check_kind {
    self_referral,     ///< the referred domain/e-mail or name is the referrer's own
    existing_account,  ///< the referred organisation is already a customer or open opportunity
    duplicate,         ///< referred before within the attribution window (first referrer wins)
    velocity,          ///< too many referrals by one referrer in a day or a week
    ring,              ///< referrers who refer each other's organisations (a cycle)
    email_domain,      ///< a disposable or free-mail address for a business referral
    unknown_referrer,  ///< the referrer is not a customer of the program
};
[[nodiscard]] std::string_view to_string(check_kind k) noexcept;

/// One thing a check found about one referral.
struct check_finding {
    std::string referral_id;
    check_kind kind = check_kind::self_referral;
    check_level level = check_level::review;
    std::string reason;  ///< a sentence: what was found and why it matters
    /// The records involved: account or referral ids, a ring's cycle in order (`C-1 → C-2 → C-1`).
    std::vector<std::string> evidence;
    bool operator==(const check_finding&) const = default;
};

/// Tunable limits of the checks (defaults in docs/referrals.md).
struct check_options {
    double name_threshold = 0.92;     ///< Jaro–Winkler ≥ this over normalised names: alike
    std::uint32_t window_days = 90;   ///< duplicates: the attribution window
    std::uint32_t max_per_day = 5;    ///< velocity: more in one calendar day → review
    std::uint32_t max_per_week = 15;  ///< velocity: more in any 7 consecutive days → review
    /// Worker threads (0: the hardware's). Results do not depend on it.
    unsigned threads = 0;
};

/// E-mail domains that do not belong to a business: disposable (throw-away) services and free
/// mail. The shipped lists (src/data/referrals/, sources in docs/data-sources.md) by default.
struct email_domain_lists {
    std::unordered_set<std::string> disposable;
    std::unordered_set<std::string> free_mail;
    /// The shipped lists (embedded in the library).
    [[nodiscard]] static const email_domain_lists& shipped();
};

/// What the checks found, per referral.
struct check_report {
    std::vector<check_finding> findings;  ///< by referral (in input order), then kind
    /// The level of each referral, in input order: its worst finding, or an override.
    std::vector<check_level> levels;
    [[nodiscard]] std::size_t count(check_level l) const;
};

/// Runs every check over `referrals` against the program's `accounts`.
///
/// - self-referral: the referred domain or e-mail domain is the referrer's domain (reject); the
///   normalised names are alike, Jaro–Winkler ≥ `name_threshold` (review);
/// - existing account: the referred domain or normalised name is a customer's (reject) or an
///   open opportunity's (review), unless that account came from this very referral;
/// - duplicate: the same organisation (domain, or names alike) referred earlier within
///   `window_days` (reject: the first referrer wins). Names are compared when their first words
///   are within one edit of each other (a one-deletion neighbourhood), then by Jaro–Winkler;
/// - velocity: more than `max_per_day` referrals by one referrer on one day or more than
///   `max_per_week` in 7 days (review, the referrals past the limit);
/// - rings: the graph with an arc referrer → account for each referral of an organisation that
///   is (by domain) an account; every strongly connected component of two or more accounts
///   (Boost.Graph) is a ring, reported with one of its cycles (review);
/// - e-mail domain: disposable (reject) or free-mail (review);
/// - unknown referrer: not a customer account (reject).
///
/// Referrals already `rejected` are still checked. `overrides` (the latest per referral wins)
/// set the level of their referral. Deterministic: the same input gives the same report.
///
/// **Complexity:** O(n log n) for n referrals plus the name comparisons of candidate pairs
/// within the window; O(n) memory. **Thread safety:** reads its inputs only.
[[nodiscard]] check_report check_referrals(
    std::span<const referral> referrals, std::span<const account> accounts,
    std::span<const check_override> overrides = {}, const check_options& options = {},
    const email_domain_lists& lists = email_domain_lists::shipped());

}  // namespace refmatch::referrals
