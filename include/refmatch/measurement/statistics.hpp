#pragma once
/// @file measurement/statistics.hpp
/// The statistics of program measurement, each written once (docs/measurement.md gives every
/// formula): Wilson intervals for proportions, the Mantel–Haenszel pooled ratio of two rates over
/// strata, a seeded percentile bootstrap of a difference in means, concentration (Gini, Lorenz
/// curve, top shares) and the Net Promoter Score with its interval.
///
/// Everything here is a pure function of its arguments: reentrant, no clock, no global state.

#include <refmatch/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refmatch::measurement {

/// The 97.5% quantile of the standard normal distribution: a two-sided 95% interval.
inline constexpr double z95 = 1.959963984540054;

/// A point estimate and a two-sided interval. `low`/`high` are NaN when undefined (no data).
struct estimate {
    double value = std::nan("");
    double low = std::nan("");
    double high = std::nan("");
    bool operator==(const estimate&) const = default;
};

/// A proportion `successes / trials` with its Wilson score interval:
/// `(p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)`. All NaN when `trials == 0`.
/// @throws validation_error when successes > trials.
[[nodiscard]] inline estimate wilson_interval(std::uint64_t successes, std::uint64_t trials,
                                              double z = z95) {
    if (successes > trials)
        throw validation_error("wilson interval", "successes", "at most the trials",
                               std::to_string(successes) + " of " + std::to_string(trials));
    estimate e;
    if (trials == 0) return e;
    const double n = static_cast<double>(trials);
    const double p = static_cast<double>(successes) / n;
    const double z2 = z * z;
    const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    e.value = p;
    e.low = std::max(0.0, centre - half);
    e.high = std::min(1.0, centre + half);
    return e;
}

/// One stratum of a two-group comparison of a rate: successes and trials in the exposed group
/// (with reference activity) and in the unexposed one.
struct stratum_counts {
    std::uint64_t exposed_successes = 0, exposed_trials = 0;
    std::uint64_t unexposed_successes = 0, unexposed_trials = 0;
    bool operator==(const stratum_counts&) const = default;
};

/// The Mantel–Haenszel pooled rate ratio (exposed rate / unexposed rate) over strata, with the
/// Greenland–Robins (1985) interval on its logarithm. With a_i, n1_i the exposed successes and
/// trials, c_i, n0_i the unexposed ones and N_i = n1_i + n0_i:
/// `RR = Σ a_i·n0_i/N_i / Σ c_i·n1_i/N_i`,
/// `Var(ln RR) = Σ (n1_i·n0_i·(a_i + c_i) − a_i·c_i·N_i)/N_i² / (Σ a_i·n0_i/N_i · Σ c_i·n1_i/N_i)`.
/// Strata with an empty group add nothing. NaN (value, interval) when either sum is 0.
[[nodiscard]] inline estimate mantel_haenszel_ratio(std::span<const stratum_counts> strata,
                                                    double z = z95) {
    double r = 0, s = 0, v = 0;
    for (const auto& t : strata) {
        if (t.exposed_trials == 0 || t.unexposed_trials == 0) continue;
        const double a = static_cast<double>(t.exposed_successes);
        const double c = static_cast<double>(t.unexposed_successes);
        const double n1 = static_cast<double>(t.exposed_trials);
        const double n0 = static_cast<double>(t.unexposed_trials);
        const double total = n1 + n0;
        r += a * n0 / total;
        s += c * n1 / total;
        v += (n1 * n0 * (a + c) - a * c * total) / (total * total);
    }
    estimate e;
    if (r == 0 || s == 0) return e;
    e.value = r / s;
    const double se = std::sqrt(v / (r * s));
    e.low = std::exp(std::log(e.value) - z * se);
    e.high = std::exp(std::log(e.value) + z * se);
    return e;
}

/// The pseudo-random numbers of the bootstrap: SplitMix64 (Steele, Lea and Flood 2014), so a seed
/// gives the same resamples on every platform and in the Python tests' reimplementation.
class splitmix64 {
public:
    explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// A uniform index in [0, n) by multiply-shift of the top 32 bits (n < 2^32; the bias is
    /// below n / 2^32).
    std::size_t below(std::size_t n) noexcept {
        return static_cast<std::size_t>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
    }

private:
    std::uint64_t state_;
};

/// How to bootstrap.
struct bootstrap_options {
    std::size_t resamples = 2000;
    std::uint64_t seed = 1;
    double confidence = 0.95;
};

/// `mean(a) − mean(b)` with a percentile bootstrap interval: each of `resamples` rounds draws
/// |a| values from a with replacement, then |b| from b (one generator, in that order), and
/// records the difference of the means; the interval is the (1−c)/2 and (1+c)/2 quantiles of the
/// recorded differences (linear interpolation between order statistics). All NaN when either
/// sample is empty.
/// @throws validation_error for no resamples or a confidence outside (0, 1).
///
/// **Complexity:** O(resamples · (|a| + |b|)).
[[nodiscard]] inline estimate bootstrap_mean_difference(std::span<const double> a,
                                                        std::span<const double> b,
                                                        const bootstrap_options& options = {}) {
    if (options.resamples == 0)
        throw validation_error("bootstrap options", "resamples", "at least 1", "0");
    if (!(options.confidence > 0 && options.confidence < 1))
        throw validation_error("bootstrap options", "confidence", "a value in (0, 1)",
                               std::to_string(options.confidence));
    estimate e;
    if (a.empty() || b.empty()) return e;
    const auto mean = [](std::span<const double> x) {
        return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
    };
    e.value = mean(a) - mean(b);
    splitmix64 rng(options.seed);
    std::vector<double> diffs(options.resamples);
    const auto resample_mean = [&](std::span<const double> x) {
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i) sum += x[rng.below(x.size())];
        return sum / static_cast<double>(x.size());
    };
    for (auto& d : diffs) {
        const double ma = resample_mean(a);
        d = ma - resample_mean(b);
    }
    std::sort(diffs.begin(), diffs.end());
    const auto quantile = [&](double f) {
        const double pos = f * static_cast<double>(diffs.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(pos));
        const auto hi = std::min(lo + 1, diffs.size() - 1);
        return diffs[lo] + (diffs[hi] - diffs[lo]) * (pos - static_cast<double>(lo));
    };
    e.low = quantile((1 - options.confidence) / 2);
    e.high = quantile((1 + options.confidence) / 2);
    return e;
}

/// How concentrated a quantity is over a population (uses over references).
struct concentration {
    /// `G = 2·Σ i·x_(i) / (n·Σx) − (n + 1)/n` over the values sorted ascending (i = 1..n): 0 when
    /// all are equal, (n−1)/n when one holds everything; 0 when the total is 0.
    double gini = 0.0;
    /// Share of the total held by the top ⌈5% · n⌉ and ⌈10% · n⌉ values (0 when the total is 0).
    double top5_share = 0.0, top10_share = 0.0;
    /// The Lorenz curve: n + 1 points (i/n, share of the total held by the i smallest values).
    std::vector<std::pair<double, double>> lorenz;
};

/// The concentration of `values` (each ≥ 0). **Complexity:** O(n log n).
/// @throws validation_error for a negative or NaN value.
[[nodiscard]] inline concentration concentration_of(std::vector<double> values) {
    for (const double x : values)
        if (!(x >= 0))
            throw validation_error("concentration", "value", "a number >= 0", std::to_string(x));
    concentration c;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    const double total = std::accumulate(values.begin(), values.end(), 0.0);
    c.lorenz.emplace_back(0.0, 0.0);
    double running = 0, weighted = 0;
    for (std::size_t i = 0; i < n; ++i) {
        running += values[i];
        weighted += static_cast<double>(i + 1) * values[i];
        c.lorenz.emplace_back(
            static_cast<double>(i + 1) / static_cast<double>(n),
            total > 0 ? running / total : static_cast<double>(i + 1) / static_cast<double>(n));
    }
    if (n == 0 || total <= 0) return c;
    const double nn = static_cast<double>(n);
    c.gini = 2 * weighted / (nn * total) - (nn + 1) / nn;
    const auto top_share = [&](double fraction) {
        const auto k = std::min(n, static_cast<std::size_t>(std::ceil(fraction * nn - 1e-9)));
        return std::accumulate(values.end() - static_cast<std::ptrdiff_t>(k), values.end(), 0.0) /
               total;
    };
    c.top5_share = top_share(0.05);
    c.top10_share = top_share(0.10);
    return c;
}

/// Net Promoter Score of a set of 0–10 answers.
struct nps_summary {
    std::size_t answers = 0, promoters = 0, passives = 0, detractors = 0;
    /// `100 · (promoters − detractors) / answers` with the normal interval
    /// `± z · 100 · sqrt((p + d − (p − d)²) / n)` (p, d the shares), clipped to [−100, 100].
    estimate score;
};

/// NPS of `answers` (each 0–10: promoter 9–10, passive 7–8, detractor 0–6).
/// @throws validation_error for an answer above 10.
[[nodiscard]] inline nps_summary nps_of(std::span<const std::uint8_t> answers, double z = z95) {
    nps_summary s;
    for (const auto a : answers) {
        if (a > 10)
            throw validation_error("nps", "answer", "a whole number 0-10", std::to_string(a));
        ++s.answers;
        if (a >= 9)
            ++s.promoters;
        else if (a >= 7)
            ++s.passives;
        else
            ++s.detractors;
    }
    if (s.answers == 0) return s;
    const double n = static_cast<double>(s.answers);
    const double p = static_cast<double>(s.promoters) / n;
    const double d = static_cast<double>(s.detractors) / n;
    const double se = std::sqrt(std::max(0.0, p + d - (p - d) * (p - d)) / n);
    s.score.value = 100 * (p - d);
    s.score.low = std::max(-100.0, 100 * (p - d - z * se));
    s.score.high = std::min(100.0, 100 * (p - d + z * se));
    return s;
}

}  // namespace refmatch::measurement
