#pragma once
// The usage events the database tests write, shared by the test and its child processes: a
// single use tagged with its opportunity id ("t:s..."), or a batch of `batch_size` uses sharing
// one ("t:b..."), so that a half-written batch shows as a count that is not `batch_size`.

#include <refmatch/date.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/usage_ledger.hpp>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace test_workload {

inline constexpr std::size_t batch_size = 7;

inline std::chrono::sys_seconds at() {
    return std::chrono::sys_days{std::chrono::year{2025} / 7 / 1} + std::chrono::hours{9};
}

inline refmatch::usage_event single(const std::vector<refmatch::reference_customer>& refs,
                                    std::mt19937_64& rng, const std::string& opportunity) {
    refmatch::usage_event e;
    e.reference_id = refs[rng() % refs.size()].id;
    e.activity = refmatch::activity_id{static_cast<std::uint16_t>(rng() % 4)};
    e.opportunity_id = opportunity;
    e.day = refmatch::date{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1} +
                           std::chrono::days{static_cast<int>(rng() % 365)}};
    return e;
}

inline std::vector<refmatch::usage_event> batch(
    const std::vector<refmatch::reference_customer>& refs, std::mt19937_64& rng,
    const std::string& opportunity) {
    std::vector<refmatch::usage_event> out;
    for (std::size_t i = 0; i < batch_size; ++i) out.push_back(single(refs, rng, opportunity));
    return out;
}

/// The events per opportunity id.
inline std::map<std::string, std::size_t> counts(const std::vector<refmatch::usage_event>& es) {
    std::map<std::string, std::size_t> out;
    for (const auto& e : es) ++out[e.opportunity_id];
    return out;
}

/// The opportunity id of a batch seen with a count other than batch_size, or "".
inline std::string broken_batch(const std::vector<refmatch::usage_event>& es) {
    for (const auto& [opportunity, n] : counts(es))
        if (opportunity.starts_with("t:b") && n != batch_size) return opportunity;
    return {};
}

}  // namespace test_workload
