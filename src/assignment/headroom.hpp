#pragma once
// How many new uses a (reference, activity) can take in one assignment batch. This is the one
// place the assignment reads a quota rule; it starts from the quota state the engine applied
// (uses in the window, limit, cooldown, last use), so eligibility itself stays the engine's.

#include <refmatch/date.hpp>
#include <refmatch/match.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace refmatch::detail {

inline constexpr std::uint32_t unbounded_headroom = std::numeric_limits<std::uint32_t>::max();

struct lane_quota {
    std::uint32_t used = 0;  // uses in the window + live holds
    std::optional<std::uint32_t> max_uses;
    std::uint32_t headroom = unbounded_headroom;
};

// scoring.md: used = uses in the window + live holds; at most max_uses; under a cooldown one new
// use at most, and none while a live hold lies within cooldown_days of now (before or after).
// Without an activity (q empty) nothing limits the count.
inline lane_quota headroom(const std::optional<quota_state>& q, std::span<const date> holds,
                           date now) {
    lane_quota out;
    if (!q) return out;
    out.used = q->used + static_cast<std::uint32_t>(holds.size());
    out.max_uses = q->max_uses;
    if (q->max_uses) out.headroom = *q->max_uses > out.used ? *q->max_uses - out.used : 0;
    if (q->cooldown_days > 0) {
        out.headroom = std::min<std::uint32_t>(out.headroom, 1);
        for (const date d : holds) {
            const long gap = (now - d).count();
            if ((gap < 0 ? -gap : gap) < static_cast<long>(q->cooldown_days)) out.headroom = 0;
        }
    }
    return out;
}

}  // namespace refmatch::detail
