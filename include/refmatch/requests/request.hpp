#pragma once
/// @file requests/request.hpp
/// A reference request and its states: a rep asks for references for an opportunity, the
/// engine proposes candidates, the reference's owner approves, the customer is asked and
/// agrees, the activity is scheduled and happens, feedback comes back. docs/requests.md draws
/// the state diagram; `request_book` (request_book.hpp) moves requests through it.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// Where a request stands.
enum class request_status : std::uint8_t {
    requested,          ///< asked for, nothing proposed yet
    proposed,           ///< the engine proposed candidates (with their explanations)
    approval_asked,     ///< references attached, each one's owner asked to approve it
    approved,           ///< every attached reference's owner decided, one or more approved
    owner_declined,     ///< every attached reference's owner declined: propose again or cancel
    customer_asked,     ///< the customer was contacted
    accepted,           ///< the customer agreed
    customer_declined,  ///< the customer declined: remembered for the opportunity
    scheduled,          ///< a day is set
    fulfilled,          ///< it happened: the use is in the ledger (final)
    cancelled,          ///< called off, holds released (final)
    expired,            ///< past its expiry day, holds released (final)
};

inline constexpr std::size_t request_status_count = 12;

/// The status as files, the command line and Python spell it ("approval_asked").
[[nodiscard]] std::string_view to_string(request_status s) noexcept;
/// The status named `name`, nullopt for any other name.
[[nodiscard]] std::optional<request_status> parse_request_status(std::string_view name) noexcept;

/// Fulfilled, cancelled and expired requests are closed: no transition leaves them.
[[nodiscard]] constexpr bool is_closed(request_status s) noexcept {
    return s == request_status::fulfilled || s == request_status::cancelled ||
           s == request_status::expired;
}

/// Whether the state diagram has an arrow `from → to` (docs/requests.md). Every operation of
/// `request_book` is one such arrow; any other is an `illegal_transition`.
[[nodiscard]] bool transition_allowed(request_status from, request_status to) noexcept;

/// An operation the state diagram does not allow from the request's status. Nothing changed.
/// "request 4: cannot approve a request that is customer_asked (approve needs approval_asked)".
class illegal_transition : public error {
public:
    using error::error;
};

/// A hold that cannot be taken: the reference has no slot left for the activity at `now` (its
/// uses in the window and the other live holds reach its limit, or a cooldown runs), or it is no
/// longer active. Nothing changed.
class hold_conflict : public error {
public:
    using error::error;
};

/// How a contact attempt reached the customer.
enum class outreach_channel : std::uint8_t { email, phone, video, in_person, social };
/// "email", "phone", "video", "in_person", "social".
[[nodiscard]] std::string_view to_string(outreach_channel c) noexcept;
[[nodiscard]] std::optional<outreach_channel> parse_outreach_channel(std::string_view) noexcept;

/// What a contact attempt brought.
enum class outreach_outcome : std::uint8_t { no_answer, accepted, declined };
/// "no_answer", "accepted", "declined".
[[nodiscard]] std::string_view to_string(outreach_outcome o) noexcept;
[[nodiscard]] std::optional<outreach_outcome> parse_outreach_outcome(std::string_view) noexcept;

/// Where an attached reference stands within its request.
enum class attachment_state : std::uint8_t {
    attached,           ///< proposed to its owner, no hold yet
    held,               ///< holds a slot (a live hold until the request's expiry day)
    released,           ///< the request was cancelled or expired
    used,               ///< fulfilled: the hold became a use in the ledger
    owner_declined,     ///< its owner declined
    customer_declined,  ///< the customer declined
};
[[nodiscard]] std::string_view to_string(attachment_state s) noexcept;

/// A reference attached to a request.
struct attached_reference {
    std::string reference_id;
    attachment_state state = attachment_state::attached;
    /// While held, the day the hold is dated (the planned day, else the needed-by date); once
    /// used, the day of the use.
    std::optional<date> hold_day;
    /// Its owner approved it (each attached reference's owner decides for it; the request is
    /// approved once no attached reference waits for its owner and at least one is approved).
    bool approved = false;
    /// The customer was asked while it was attached (decline rates count it).
    bool customer_asked = false;
    /// The ledger row the hold became (fulfilled requests).
    std::optional<std::int64_t> event_id;
    bool operator==(const attached_reference&) const = default;
};

/// A candidate the engine proposed, with its explanation.
struct request_candidate {
    std::string reference_id;
    double final_score = 0.0;
    std::string reason;
    bool operator==(const request_candidate&) const = default;
};

/// One arrow of the audit trail, or one owner's or customer's decision on one attached reference
/// (`reference_id` set; `from == to` when the decision left the request's status as it was).
struct request_transition {
    std::optional<request_status> from;  ///< none for the creation
    request_status to = request_status::requested;
    std::string who;
    std::chrono::sys_seconds at{};
    std::string comment;
    std::string reference_id;  ///< the reference decided on; empty for the whole request
    bool operator==(const request_transition&) const = default;
};

/// One contact attempt with the customer.
struct outreach_attempt {
    outreach_channel channel = outreach_channel::email;
    date day{};
    outreach_outcome outcome = outreach_outcome::no_answer;
    std::string who;
    std::chrono::sys_seconds at{};
    bool operator==(const outreach_attempt&) const = default;
};

/// What came back after the activity.
struct request_feedback {
    int rating = 0;  ///< 1–5
    std::string outcome;
    bool would_do_again = false;
    std::string comment;
    bool operator==(const request_feedback&) const = default;
};

/// What a rep asks for.
struct new_request {
    std::string requester;
    std::string opportunity_id;  ///< a prospect of the program
    activity_id activity;
    std::uint32_t wanted = 1;  ///< references wanted (at least 1)
    date needed_by{};
    std::string notes;
};

/// A request as stored, with its references, candidates, audit trail, outreach and feedback.
struct request {
    std::int64_t id = 0;
    std::string requester;
    std::string opportunity_id;
    activity_id activity;
    std::uint32_t wanted = 1;
    date needed_by{};
    /// Open requests (and their holds) expire on this day: `needed_by` + the policy's
    /// `hold_expiry_days` when it was made.
    date expires_on{};
    std::optional<date> planned_on;
    std::chrono::sys_seconds created_at{};
    std::string notes;
    request_status status = request_status::requested;
    std::chrono::sys_seconds status_at{};  ///< when it entered `status`
    std::vector<attached_reference> references;
    std::vector<request_candidate> candidates;
    std::vector<request_transition> trail;
    std::vector<outreach_attempt> outreach;
    std::optional<request_feedback> feedback;
    bool operator==(const request&) const = default;
};

/// When holds start.
enum class hold_start : std::uint8_t {
    approval_asked,  ///< when the owner is asked (a slot is promised while they decide)
    approved,        ///< when the owner approves (the default)
};

/// The rules of a program's request workflow.
struct request_policy {
    hold_start holds_from = hold_start::approved;
    /// Open requests and their holds expire this many days after the needed-by date.
    std::uint32_t hold_expiry_days = 7;
    /// Contact attempts after the first ask; one more is refused.
    std::uint32_t max_follow_ups = 3;
    /// Candidates a proposal keeps (the engine's top ones).
    std::uint32_t candidates = 5;
    /// Activities that need no approval: attaching a reference fulfils the request at once.
    std::set<activity_id> self_serve{activity::name_drop, activity::logo_use};

    [[nodiscard]] bool is_self_serve(activity_id a) const { return self_serve.contains(a); }
};

}  // namespace refmatch
