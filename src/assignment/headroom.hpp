#pragma once
// How many new uses a (reference, activity) can take in one assignment batch, read off the quota
// state the shared evaluator (refmatch/quota_state.hpp) gives: eligibility, uses and holds are
// its verdict; this only turns the verdict into a count.

#include <refmatch/quota_state.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace refmatch::detail {

inline constexpr std::uint32_t unbounded_headroom = std::numeric_limits<std::uint32_t>::max();

struct lane_quota {
    std::uint32_t used = 0;  // uses in the window + live holds
    std::optional<std::uint32_t> max_uses;
    std::uint32_t headroom = unbounded_headroom;
};

// An eligible reference can take `max_uses − used` more uses (no bound without a limit), and one
// at most under a cooldown, since the first new use starts it. Without an activity (q empty)
// nothing limits the count.
inline lane_quota headroom(const std::optional<quota_state>& q) {
    lane_quota out;
    if (!q) return out;
    out.used = q->used;
    out.max_uses = q->max_uses;
    if (!q->eligible()) {
        out.headroom = 0;
        return out;
    }
    if (q->max_uses) out.headroom = *q->max_uses - q->used;
    if (q->cooldown_days > 0) out.headroom = std::min<std::uint32_t>(out.headroom, 1);
    return out;
}

}  // namespace refmatch::detail
