#pragma once
/// @file referrals/generator.hpp
/// A synthetic referral program with planted fraud (rings, duplicates, self-referrals, velocity
/// bursts, disposable e-mail) and the ids of what was planted, for tests and benchmarks.

#include <refmatch/referrals/program.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace refmatch::referrals {

struct referral_generator_options {
    std::size_t referrals = 10000;
    std::size_t customers = 2000;  ///< accounts that refer (non-referred customers)
    std::size_t opportunities = 500;
    std::size_t rings = 10;        ///< rings planted, of 2 to 4 customers each
    std::size_t duplicates = 200;  ///< organisations referred again within the window
    std::size_t self_referrals = 50;
    std::size_t bursts = 5;       ///< referrers making 8 referrals on one day
    std::size_t disposable = 50;  ///< contacts on a disposable mail service
    date start = date{std::chrono::year{2024} / 1 / 1};
    std::uint32_t days = 730;  ///< referrals spread over this many days
    std::uint64_t seed = 42;
};

/// The program and the referral ids of each planted kind.
struct generated_referrals {
    referral_program program;
    std::set<std::string> rings, duplicates, self_referrals, bursts, disposable;
};

/// Generates a program: customers with unique made-up names and domains, referrals of new
/// organisations by random customers through channels and campaigns, with variants A and B
/// (B converts better), conversions, rewards earned under default rules, and the planted cases.
/// Deterministic for a seed. O(referrals).
[[nodiscard]] generated_referrals generate_referrals(
    const referral_generator_options& options = {});

}  // namespace refmatch::referrals
