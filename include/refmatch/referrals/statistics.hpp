#pragma once
/// @file referrals/statistics.hpp
/// The referral program's statistics: funnels and conversion by source, time to convert, reward
/// cost, cost per acquisition and return; lifetime value of referred against other customers
/// with a bootstrap interval; A/B tests of reward variants (two-proportion z-test, Fisher's
/// exact test, the interval of the difference, the sample size for an effect). Pure functions;
/// docs/referrals.md states each formula.

#include <refmatch/referrals/program.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refmatch::referrals {

/// One row of a funnel: the referrals of one group (a channel, a campaign, a variant).
struct funnel_row {
    std::string group;
    std::size_t referred = 0, qualified = 0, converted = 0, lost = 0, rejected = 0;
    double conversion = 0;  ///< converted / referred
    std::optional<double> median_days_to_convert;
    double deal_value = 0;   ///< sum over converted referrals
    double reward_cost = 0;  ///< rewards not void (pending, held, approved, issued)
};

/// How to group a funnel.
enum class funnel_by { channel, campaign, variant, referrer };

/// The funnel by `by`, groups sorted by name, plus a last row `(all)`. O(n log n).
[[nodiscard]] std::vector<funnel_row> funnel(const referral_program& p, funnel_by by);

/// The program's economics.
struct program_economics {
    std::size_t conversions = 0;
    double reward_cost = 0;                      ///< rewards not void
    double issued_cost = 0;                      ///< rewards issued
    double deal_value = 0;                       ///< converted referrals' value
    std::optional<double> cost_per_acquisition;  ///< reward_cost / conversions
    std::optional<double> return_on_program;     ///< (deal_value − reward_cost) / reward_cost
};
[[nodiscard]] program_economics economics(const referral_program& p);

/// A difference of means with a percentile bootstrap interval.
struct mean_difference {
    std::size_t n_a = 0, n_b = 0;
    double mean_a = 0, mean_b = 0;
    double difference = 0;     ///< mean_a − mean_b
    double low = 0, high = 0;  ///< the interval of the difference
    double confidence = 0.95;
    std::uint32_t resamples = 0;
};

/// mean(a) − mean(b) with a percentile bootstrap interval: `resamples` times, each sample
/// resampled with replacement, the difference of means, by `measurement::bootstrap_mean_difference`
/// (one generator, SplitMix64 seeded with `seed`); the interval is its (1−c)/2 and (1+c)/2
/// quantiles (linear interpolation, as numpy's default).
/// Deterministic for a seed. @throws validation_error for an empty sample or c ∉ (0, 1).
[[nodiscard]] mean_difference bootstrap_mean_difference(std::span<const double> a,
                                                        std::span<const double> b,
                                                        std::uint32_t resamples = 2000,
                                                        std::uint64_t seed = 1,
                                                        double confidence = 0.95);

/// First-year value of customers that came from a referral (a = referred) against the others
/// (b), over accounts with a first-year value.
[[nodiscard]] mean_difference referred_value(const referral_program& p,
                                             std::uint32_t resamples = 2000, std::uint64_t seed = 1,
                                             double confidence = 0.95);

/// Two proportions x_a/n_a and x_b/n_b compared.
struct proportion_test {
    std::uint64_t x_a = 0, n_a = 0, x_b = 0, n_b = 0;
    double p_a = 0, p_b = 0;
    double difference = 0;      ///< p_a − p_b
    double z = 0;               ///< pooled two-proportion z statistic
    double p_value_z = 1;       ///< two-sided, normal approximation
    double p_value_fisher = 1;  ///< Fisher's exact test on the 2×2 table, two-sided
    double low = 0, high = 0;   ///< Wald interval of the difference (unpooled)
    double confidence = 0.95;
    /// Fisher's test is the one to read: some expected cell count is below 5.
    bool small_counts = false;
};

/// Compares two proportions. @throws validation_error when x > n or n == 0.
[[nodiscard]] proportion_test compare_proportions(std::uint64_t x_a, std::uint64_t n_a,
                                                  std::uint64_t x_b, std::uint64_t n_b,
                                                  double confidence = 0.95);

/// Fisher's exact test, two-sided, on the table [[a, b], [c, d]]: the sum of the probabilities
/// of the tables with the same margins no more likely than the observed one (relative tolerance
/// 1e-7, as scipy). O(min margin).
[[nodiscard]] double fisher_exact_two_sided(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                            std::uint64_t d);

/// The sample size per group for a two-sided test at `alpha` to detect p1 against p2 with
/// `power`: n = (z₁₋α/₂·√(2·p̄·q̄) + z_power·√(p1·q1 + p2·q2))² / (p1 − p2)², rounded up.
/// @throws validation_error when p1 == p2 or a probability is outside (0, 1).
[[nodiscard]] std::uint64_t sample_size_two_proportions(double p1, double p2, double alpha = 0.05,
                                                        double power = 0.8);

/// The standard normal quantile (inverse CDF), |error| < 1e-12 (Acklam's rational approximation
/// refined by one Halley step). @throws validation_error outside (0, 1).
[[nodiscard]] double normal_quantile(double p);
/// The standard normal CDF.
[[nodiscard]] double normal_cdf(double x);

/// An A/B test of two reward variants, read from the referrals: conversion to the rules'
/// qualifying event among referrals offered each variant.
struct ab_test_result {
    std::string variant_a, variant_b;
    proportion_test test;
    /// The planned size per variant (0: none planned) and whether the test stopped before it:
    /// then the p-value is not a fixed-sample p-value and no claim should be read from it.
    std::uint64_t planned_per_variant = 0;
    bool stopped_early = false;
    std::uint64_t needed_per_variant = 0;  ///< for the observed rates at alpha 0.05, power 0.8
};
/// @throws validation_error when a variant has no referrals.
[[nodiscard]] ab_test_result ab_test(const referral_program& p, std::string_view variant_a,
                                     std::string_view variant_b,
                                     std::uint64_t planned_per_variant = 0,
                                     double confidence = 0.95);

}  // namespace refmatch::referrals
