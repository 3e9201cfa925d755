#pragma once
/// @file date.hpp
/// Calendar days, the time unit of refmatch. Quotas, cooldowns, usage events and due dates are
/// whole days; `now` is always passed in by the caller and never read from the clock, so every
/// result is reproducible.

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace refmatch {

/// A calendar day (days since 1970-01-01).
using date = std::chrono::sys_days;

/// Parses an ISO 8601 calendar date `YYYY-MM-DD`; nullopt for anything else (including
/// impossible days such as 2026-02-30).
[[nodiscard]] inline std::optional<date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int parts[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8};
    const std::size_t lengths[3] = {4, 2, 2};
    for (int p = 0; p < 3; ++p) {
        for (std::size_t i = 0; i < lengths[p]; ++i) {
            const char c = text[starts[p] + i];
            if (c < '0' || c > '9') return std::nullopt;
            parts[p] = parts[p] * 10 + (c - '0');
        }
    }
    const std::chrono::year_month_day ymd{std::chrono::year{parts[0]},
                                          std::chrono::month{static_cast<unsigned>(parts[1])},
                                          std::chrono::day{static_cast<unsigned>(parts[2])}};
    if (!ymd.ok()) return std::nullopt;
    return date{ymd};
}

/// Formats a day as `YYYY-MM-DD`.
[[nodiscard]] inline std::string format_date(date d) {
    const std::chrono::year_month_day ymd{d};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

/// The day (UTC) a point in time falls on.
[[nodiscard]] inline date day_of(std::chrono::sys_seconds t) {
    return std::chrono::floor<std::chrono::days>(t);
}

/// Formats a point in time as ISO 8601 UTC, `YYYY-MM-DDThh:mm:ssZ` (how the database records
/// when a change was made).
[[nodiscard]] inline std::string format_timestamp(std::chrono::sys_seconds t) {
    const date day = day_of(t);
    const std::chrono::hh_mm_ss hms{t - day};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "T%02d:%02d:%02dZ", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return format_date(day) + buffer;
}

}  // namespace refmatch
