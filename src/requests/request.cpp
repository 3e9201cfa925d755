// The state diagram of a reference request and the names of its enumerations.

#include <refmatch/requests/request.hpp>

#include <array>
#include <utility>

namespace refmatch {
namespace {

constexpr std::array<std::string_view, request_status_count> status_names = {
    "requested",      "proposed",       "approval_asked", "approved",
    "owner_declined", "customer_asked", "accepted",       "customer_declined",
    "scheduled",      "fulfilled",      "cancelled",      "expired"};
constexpr std::array<std::string_view, 5> channel_names = {"email", "phone", "video", "in_person",
                                                           "social"};
constexpr std::array<std::string_view, 3> outcome_names = {"no_answer", "accepted", "declined"};
constexpr std::array<std::string_view, 6> attachment_names = {
    "attached", "held", "released", "used", "owner_declined", "customer_declined"};

template <class Enum, std::size_t N>
std::optional<Enum> parse(const std::array<std::string_view, N>& names, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == name) return static_cast<Enum>(i);
    return std::nullopt;
}

}  // namespace

std::string_view to_string(request_status s) noexcept {
    return status_names[static_cast<std::size_t>(s)];
}
std::optional<request_status> parse_request_status(std::string_view name) noexcept {
    return parse<request_status>(status_names, name);
}
std::string_view to_string(outreach_channel c) noexcept {
    return channel_names[static_cast<std::size_t>(c)];
}
std::optional<outreach_channel> parse_outreach_channel(std::string_view name) noexcept {
    return parse<outreach_channel>(channel_names, name);
}
std::string_view to_string(outreach_outcome o) noexcept {
    return outcome_names[static_cast<std::size_t>(o)];
}
std::optional<outreach_outcome> parse_outreach_outcome(std::string_view name) noexcept {
    return parse<outreach_outcome>(outcome_names, name);
}
std::string_view to_string(attachment_state s) noexcept {
    return attachment_names[static_cast<std::size_t>(s)];
}

bool transition_allowed(request_status from, request_status to) noexcept {
    using s = request_status;
    if (is_closed(from)) return false;
    // Every open request may be cancelled, and expires on its expiry day.
    if (to == s::cancelled || to == s::expired) return true;
    switch (from) {
        case s::requested:
            return to == s::proposed || to == s::approval_asked || to == s::fulfilled;
        case s::proposed:
            return to == s::proposed || to == s::approval_asked || to == s::fulfilled;
        case s::approval_asked:
            return to == s::approved || to == s::owner_declined;
        case s::approved:
            return to == s::customer_asked;
        case s::owner_declined:
        case s::customer_declined:
            return to == s::proposed;
        case s::customer_asked:
            return to == s::accepted || to == s::customer_declined;
        case s::accepted:
            return to == s::scheduled;
        case s::scheduled:
            return to == s::scheduled || to == s::fulfilled;
        case s::fulfilled:
        case s::cancelled:
        case s::expired:
            break;
    }
    return false;
}

}  // namespace refmatch
