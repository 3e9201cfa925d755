#pragma once
/// @file requests/queues.hpp
/// The views a program manager opens every morning, and the service figures of the request
/// workflow (`request_book::queues`, `request_book::service`; docs/requests.md defines each).

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace refmatch {

/// The windows of the queues.
struct queue_options {
    /// "Due soon": open requests due within this many hours (a request is due at the end of its
    /// needed-by day, 24:00 UTC).
    std::chrono::hours due_within{72};
    /// "Waiting for approval": asked longer ago than this.
    std::chrono::hours approval_waiting{72};
    /// "Holds about to expire": holds whose expiry comes within this many hours.
    std::chrono::hours expiring_within{72};
};

/// One line of a queue.
struct queue_entry {
    std::int64_t request_id = 0;
    std::string opportunity_id;
    activity_id activity;
    std::string status;
    date needed_by{};
    /// Hours until due (negative: overdue by that many), or for the approval queue the hours
    /// waited, or for the expiry queue the hours left.
    double hours = 0.0;
    /// The references concerned (held ones for the expiry queue), `;`-joined.
    std::string references;
};

struct request_queues {
    std::vector<queue_entry> due_soon;           ///< due within `due_within`, soonest first
    std::vector<queue_entry> overdue;            ///< past due and still open, most overdue first
    std::vector<queue_entry> awaiting_approval;  ///< approval_asked longer than the window
    /// Open requests without references attached whose engine match finds no eligible
    /// reference left (uses, holds, declines and cooldowns counted), soonest due first.
    std::vector<queue_entry> no_candidate;
    std::vector<queue_entry> holds_expiring;  ///< live holds expiring within the window
};

/// Time to fulfil, per activity (hours from creation to fulfilment).
struct fulfilment_time {
    activity_id activity;
    std::size_t fulfilled = 0;
    double median_hours = 0.0;
    double p90_hours = 0.0;  ///< nearest rank: the ⌈0.9·n⌉-th smallest
};

/// On-time share, per activity: of the requests that are closed or past due at `now`, those
/// fulfilled by the end of their needed-by day.
struct on_time_share {
    activity_id activity;
    std::size_t settled = 0;
    std::size_t on_time = 0;
    [[nodiscard]] double share() const {
        return settled ? static_cast<double>(on_time) / static_cast<double>(settled) : 0.0;
    }
};

/// Declines of one reference or one activity: asks and declines by owners and by customers.
struct decline_rate {
    std::string key;  ///< the reference id, or the activity's name
    std::size_t owner_asked = 0;
    std::size_t owner_declined = 0;
    std::size_t customer_asked = 0;
    std::size_t customer_declined = 0;
    [[nodiscard]] double owner_rate() const {
        return owner_asked ? static_cast<double>(owner_declined) / static_cast<double>(owner_asked)
                           : 0.0;
    }
    [[nodiscard]] double customer_rate() const {
        return customer_asked
                   ? static_cast<double>(customer_declined) / static_cast<double>(customer_asked)
                   : 0.0;
    }
};

/// Outreach by channel or by owner: attempts, answered ones (accepted or declined), accepted.
struct outreach_rate {
    std::string key;  ///< the channel, or the reference owner
    std::size_t attempts = 0;
    std::size_t responses = 0;
    std::size_t accepted = 0;
    [[nodiscard]] double response_rate() const {
        return attempts ? static_cast<double>(responses) / static_cast<double>(attempts) : 0.0;
    }
    [[nodiscard]] double participation_rate() const {
        return attempts ? static_cast<double>(accepted) / static_cast<double>(attempts) : 0.0;
    }
};

struct service_figures {
    std::vector<fulfilment_time> time_to_fulfil;  ///< by activity id
    std::vector<on_time_share> on_time;           ///< by activity id
    std::vector<decline_rate> by_reference;       ///< by reference id
    std::vector<decline_rate> by_activity;        ///< by activity name
    std::vector<outreach_rate> by_channel;        ///< by channel name
    std::vector<outreach_rate> by_owner;          ///< by owner
};

/// The nearest-rank percentile `p` (0 < p ≤ 1) of `values` (0 when empty): the ⌈p·n⌉-th
/// smallest.
[[nodiscard]] double nearest_rank(std::vector<double> values, double p);

}  // namespace refmatch
