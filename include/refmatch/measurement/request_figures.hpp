#pragma once
/// @file measurement/request_figures.hpp
/// What the requests workflow tells measurement: its service figures (`request_book::service`)
/// as the report's service levels and the balance of use's decline rates. One conversion, used
/// by `refmatch report`, `refmatch balance` and the Python entry points on a program database.

#include <refmatch/activity.hpp>
#include <refmatch/measurement/balance.hpp>
#include <refmatch/measurement/report.hpp>
#include <refmatch/requests/queues.hpp>

#include <string>
#include <vector>

namespace refmatch::measurement {

/// Service levels and declines from the request book.
struct request_figures {
    /// Per activity: settled requests, those served on time, median days to fulfil.
    std::vector<service_level> service_levels;
    /// Per reference: how often its customer was asked and said no (owners' declines are the
    /// account team's, not the customer's, and are left out).
    std::vector<reference_declines> declines;
};

/// The figures of `service` with activities named by `activities`.
/// **Complexity:** O(a² + r) for a activities and r references. **Thread safety:** pure.
[[nodiscard]] inline request_figures figures_from_requests(const service_figures& service,
                                                           const activity_catalog& activities) {
    request_figures out;
    for (const auto& t : service.on_time) {
        service_level level;
        level.label = std::string(activities.name(t.activity));
        level.requests = t.settled;
        level.met = t.on_time;
        for (const auto& f : service.time_to_fulfil)
            if (f.activity == t.activity) level.median_days = f.median_hours / 24.0;
        out.service_levels.push_back(std::move(level));
    }
    for (const auto& d : service.by_reference)
        out.declines.push_back({d.key, d.customer_asked, d.customer_declined});
    return out;
}

}  // namespace refmatch::measurement
