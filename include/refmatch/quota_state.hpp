#pragma once
/// @file quota_state.hpp
/// The quota rule of scoring.md in one place: for a reference, an activity and a day, how many
/// uses count, which limit applies, whether a cooldown runs, the utilisation that drives fatigue,
/// and whether the reference is eligible or why not. The engine's scan, the explanations of
/// results, `refmatch stats` and gap analysis all ask `evaluate_quota`.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/reference_batch.hpp>
#include <refmatch/usage_ledger.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace refmatch {

/// Whether a reference may do an activity, by the quota rules 2–4 of scoring.md, or the first of
/// them that fails.
enum class quota_verdict : std::uint8_t {
    eligible,      ///< consents, under its limit, out of cooldown
    no_consent,    ///< rule 2: it does not consent to the activity
    at_limit,      ///< rule 3: `used >= max_uses`
    cooling_down,  ///< rule 4: a use (or live hold) lies within the cooldown
};

/// "eligible", "no consent", "at its limit", "in cooldown".
[[nodiscard]] constexpr std::string_view to_string(quota_verdict v) noexcept {
    switch (v) {
        case quota_verdict::eligible:
            return "eligible";
        case quota_verdict::no_consent:
            return "no consent";
        case quota_verdict::at_limit:
            return "at its limit";
        case quota_verdict::cooling_down:
            return "in cooldown";
    }
    return "eligible";
}

/// The quota of one reference for one activity on one day, as a user reads it. A match result
/// carries the one that applied to it.
struct quota_state {
    activity_id activity;
    /// Uses in the window `(now − window_days, now]`, plus the live holds given to the evaluator.
    std::uint32_t used = 0;
    /// The limit in force (the reference's own or the program's); nullopt = no limit.
    std::optional<std::uint32_t> max_uses;
    std::uint32_t window_days = 0;
    std::uint32_t cooldown_days = 0;
    /// The latest use on or before `now`.
    std::optional<date> last_use;
    /// With a cooldown: the first day a use is allowed again after the latest use and the live
    /// holds that block `now` (in the past when the cooldown is over). nullopt without a cooldown
    /// or without such a use or hold.
    std::optional<date> cooldown_end;
    /// `u = min(1, used / max_uses)`, 0 without a limit.
    double utilisation = 0.0;
    /// Consents to the activity (rule 2).
    bool consents = false;
    /// `used >= max_uses` (rule 3).
    bool at_limit = false;
    /// A use, or a live hold, within `cooldown_days` of `now` (rule 4).
    bool cooling_down = false;

    /// The first of rules 2–4 that fails, or `eligible`.
    [[nodiscard]] quota_verdict verdict() const noexcept {
        if (!consents) return quota_verdict::no_consent;
        if (at_limit) return quota_verdict::at_limit;
        if (cooling_down) return quota_verdict::cooling_down;
        return quota_verdict::eligible;
    }
    [[nodiscard]] bool eligible() const noexcept { return verdict() == quota_verdict::eligible; }
    /// Why the reference is not eligible, readably ("used 2 of 2 in 365 days", "in cooldown until
    /// 2025-07-14"), or "eligible".
    [[nodiscard]] std::string reason() const {
        switch (verdict()) {
            case quota_verdict::no_consent:
                return "no consent";
            case quota_verdict::at_limit:
                return "used " + std::to_string(used) + " of " +
                       std::to_string(max_uses.value_or(0)) + " in " + std::to_string(window_days) +
                       " days";
            case quota_verdict::cooling_down:
                return cooldown_end ? "in cooldown until " + format_date(*cooldown_end)
                                    : std::string("in cooldown");
            case quota_verdict::eligible:
                break;
        }
        return "eligible";
    }
    bool operator==(const quota_state&) const = default;
};

namespace detail {
// What the rule reads of a reference, in either form: its id (`id_of`, reference_batch.hpp) and
// its consent to an activity.
inline std::optional<activity_consent> consent_of(const reference_customer& r, activity_id a) {
    const auto* c = r.consent(a);
    return c ? std::optional(*c) : std::nullopt;
}
inline std::optional<activity_consent> consent_of(const packed_reference& r, activity_id a) {
    return r.consent(a);
}
template <class R>
concept a_reference = std::same_as<R, reference_customer> || std::same_as<R, packed_reference>;

// The rule, with `summarise(window_days)` asking the ledger (only when the reference consents).
template <class Summarise>
quota_state evaluate_quota(const std::optional<activity_consent>& consent, activity_id a,
                           const quota_policy& policy, date now, std::span<const date> holds,
                           Summarise&& summarise) {
    quota_state q;
    q.activity = a;
    const quota_limit limit = consent && consent->limit ? *consent->limit : policy.limit(a);
    q.max_uses = limit.max_uses;
    q.window_days = limit.window_days;
    q.cooldown_days = limit.cooldown_days;
    if (!consent) return q;
    q.consents = true;
    const auto summary = summarise(limit.window_days);
    q.used = summary.used + static_cast<std::uint32_t>(holds.size());
    q.last_use = summary.last_use;
    if (limit.max_uses) {
        q.at_limit = q.used >= *limit.max_uses;
        q.utilisation =
            std::min(1.0, static_cast<double>(q.used) / static_cast<double>(*limit.max_uses));
    }
    if (limit.cooldown_days > 0) {
        const auto cooldown = std::chrono::days(limit.cooldown_days);
        std::optional<date> latest;  // the latest use or hold that blocks `now`
        if (summary.last_use && now - *summary.last_use < cooldown) latest = summary.last_use;
        for (const date h : holds)
            if ((h > now ? h - now : now - h) < cooldown && (!latest || h > *latest)) latest = h;
        q.cooling_down = latest.has_value();
        if (latest)
            q.cooldown_end = *latest + cooldown;
        else if (summary.last_use)
            q.cooldown_end = *summary.last_use + cooldown;
    }
    return q;
}
}  // namespace detail

/// Evaluates the quota of reference `r` for activity `a` at `now` (scoring.md, rules 2–4 and the
/// utilisation): the limit is the reference's own or `policy`'s; `used` counts the ledger's uses
/// in `(now − window, now]` plus `holds.size()`; a use in `(now − cooldown, now]` or a hold dated
/// less than `cooldown_days` from `now` (before or after) is a cooldown. `holds` are the days of
/// the live holds of `a` on `r` (scoring.md, "Holds"); empty without requests.
///
/// Without consent the ledger is not consulted (the state then has the program's limit and no
/// counts), so a scan that rejects on consent stays cheap.
///
/// **Complexity:** O(log m) for m uses of the pair, plus O(h) for h holds.
/// `r` is a record or a packed one (as the store and the engine keep them).
///
/// **Thread safety:** as the reader's (any number of threads, each with its own or a shared
/// reader).
template <detail::a_reference Reference>
[[nodiscard]] quota_state evaluate_quota(const Reference& r, activity_id a,
                                         const quota_policy& policy,
                                         const usage_ledger::reader& usage, date now,
                                         std::span<const date> holds = {}) {
    return detail::evaluate_quota(detail::consent_of(r, a), a, policy, now, holds,
                                  [&](std::uint32_t window_days) {
                                      return usage.summary(detail::id_of(r), a, window_days, now);
                                  });
}

/// The same with the uses of `r` already found (`reader::uses_of(r.id)`): what a pass over every
/// activity of each reference calls, one ledger lookup per reference rather than per activity.
template <detail::a_reference Reference>
[[nodiscard]] quota_state evaluate_quota(const Reference& r, activity_id a,
                                         const quota_policy& policy,
                                         const usage_ledger::reader::reference_uses& uses, date now,
                                         std::span<const date> holds = {}) {
    return detail::evaluate_quota(
        detail::consent_of(r, a), a, policy, now, holds,
        [&](std::uint32_t window_days) { return uses.summary(a, window_days, now); });
}

}  // namespace refmatch
