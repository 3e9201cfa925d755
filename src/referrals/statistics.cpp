// The referral program's statistics (formulas in docs/referrals.md).

#include <refmatch/error.hpp>
#include <refmatch/measurement/statistics.hpp>
#include <refmatch/referrals/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

namespace refmatch::referrals {
namespace {

double quantile_sorted(const std::vector<double>& v, double q) {
    // numpy's default (linear): position q·(n−1).
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double mean(std::span<const double> v) {
    double s = 0;
    for (const double x : v) s += x;
    return s / static_cast<double>(v.size());
}

bool reached_event(const reward_rules& rules, const referral& r) {
    if (rules.qualifying_event == referral_status::qualified)
        return r.qualified_on.has_value() && r.status != referral_status::rejected;
    return r.status == referral_status::converted;
}

double log_choose(double n, double k) {
    return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

}  // namespace

double normal_cdf(double x) {
    return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

double normal_quantile(double p) {
    if (!(p > 0 && p < 1))
        throw validation_error("normal quantile", "p", "a probability in (0, 1)",
                               std::to_string(p));
    // The upper half by symmetry: 1 − p is exact there (Sterbenz), and the lower tail's CDF
    // (erfc) keeps its relative precision, so the refinement below stays accurate.
    if (p > 0.5) return -normal_quantile(1 - p);
    // Acklam's rational approximation (relative error < 1.15e-9) ...
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double low = 0.02425;
    double x = 0;
    if (p < low) {
        const double q = std::sqrt(-2 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - low) {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        const double q = std::sqrt(-2 * std::log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    // ... refined by Halley steps on the CDF (erfc keeps the tails accurate).
    for (int step = 0; step < 2; ++step) {
        const double e = normal_cdf(x) - p;
        const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return x;
}

double fisher_exact_two_sided(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
    // Hypergeometric: of n = a+b+c+d, row 1 has r = a+b, column 1 has k = a+c; a is the count.
    const double n = static_cast<double>(a + b + c + d);
    const double r = static_cast<double>(a + b), k = static_cast<double>(a + c);
    const auto lo = static_cast<std::uint64_t>(std::max(0.0, k - (n - r)));
    const auto hi = static_cast<std::uint64_t>(std::min(r, k));
    const auto log_pmf = [&](double x) {
        return log_choose(r, x) + log_choose(n - r, k - x) - log_choose(n, k);
    };
    const double observed = log_pmf(static_cast<double>(a));
    // Tables no more likely than the observed one, with scipy's relative tolerance 1e-7.
    const double limit = observed + std::log1p(1e-7);
    double p = 0;
    for (std::uint64_t x = lo; x <= hi; ++x) {
        const double l = log_pmf(static_cast<double>(x));
        if (l <= limit) p += std::exp(l);
    }
    return std::min(1.0, p);
}

proportion_test compare_proportions(std::uint64_t x_a, std::uint64_t n_a, std::uint64_t x_b,
                                    std::uint64_t n_b, double confidence) {
    if (n_a == 0 || n_b == 0)
        throw validation_error("proportion test", n_a == 0 ? "n_a" : "n_b", "a sample of 1 or more",
                               "0");
    if (x_a > n_a || x_b > n_b)
        throw validation_error("proportion test", x_a > n_a ? "x_a" : "x_b",
                               "successes no more than the sample",
                               std::to_string(x_a > n_a ? x_a : x_b));
    if (!(confidence > 0 && confidence < 1))
        throw validation_error("proportion test", "confidence", "a level in (0, 1)",
                               std::to_string(confidence));
    proportion_test t{x_a, n_a, x_b, n_b};
    t.confidence = confidence;
    const double na = static_cast<double>(n_a), nb = static_cast<double>(n_b);
    t.p_a = static_cast<double>(x_a) / na;
    t.p_b = static_cast<double>(x_b) / nb;
    t.difference = t.p_a - t.p_b;
    const double pooled = static_cast<double>(x_a + x_b) / (na + nb);
    const double se_pooled = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
    t.z = se_pooled > 0 ? t.difference / se_pooled : 0;
    t.p_value_z = se_pooled > 0 ? std::erfc(std::abs(t.z) / std::numbers::sqrt2) : 1;
    t.p_value_fisher = fisher_exact_two_sided(x_a, n_a - x_a, x_b, n_b - x_b);
    const double z = normal_quantile((1 + confidence) / 2);
    const double se = std::sqrt(t.p_a * (1 - t.p_a) / na + t.p_b * (1 - t.p_b) / nb);
    t.low = t.difference - z * se;
    t.high = t.difference + z * se;
    const double total = na + nb, success = static_cast<double>(x_a + x_b);
    for (const double row : {na, nb})
        for (const double column : {success, total - success})
            if (row * column / total < 5) t.small_counts = true;
    return t;
}

std::uint64_t sample_size_two_proportions(double p1, double p2, double alpha, double power) {
    for (const double v : {p1, p2, alpha, power})
        if (!(v > 0 && v < 1))
            throw validation_error("sample size", "probability", "a value in (0, 1)",
                                   std::to_string(v));
    if (p1 == p2)
        throw validation_error("sample size", "p2", "a rate other than p1", std::to_string(p2));
    const double za = normal_quantile(1 - alpha / 2), zb = normal_quantile(power);
    const double bar = (p1 + p2) / 2;
    const double top =
        za * std::sqrt(2 * bar * (1 - bar)) + zb * std::sqrt(p1 * (1 - p1) + p2 * (1 - p2));
    return static_cast<std::uint64_t>(std::ceil(top * top / ((p1 - p2) * (p1 - p2))));
}

mean_difference bootstrap_mean_difference(std::span<const double> a, std::span<const double> b,
                                          std::uint32_t resamples, std::uint64_t seed,
                                          double confidence) {
    if (a.empty() || b.empty())
        throw validation_error("bootstrap", a.empty() ? "a" : "b", "a sample of 1 or more", "0");
    if (!(confidence > 0 && confidence < 1))
        throw validation_error("bootstrap", "confidence", "a level in (0, 1)",
                               std::to_string(confidence));
    if (resamples < 2)
        throw validation_error("bootstrap", "resamples", "2 or more", std::to_string(resamples));
    mean_difference out{a.size(), b.size(), mean(a), mean(b)};
    out.difference = out.mean_a - out.mean_b;
    out.confidence = confidence;
    out.resamples = resamples;
    // The resampling has one home, shared with the program's measurement (SplitMix64, so a
    // seed gives the same interval everywhere).
    const auto e = measurement::bootstrap_mean_difference(a, b, {resamples, seed, confidence});
    out.low = e.low;
    out.high = e.high;
    return out;
}

mean_difference referred_value(const referral_program& p, std::uint32_t resamples,
                               std::uint64_t seed, double confidence) {
    std::vector<double> referred, other;
    for (const auto& a : p.accounts) {
        if (a.kind != account_kind::customer || !a.first_year_value) continue;
        (a.referral_id.empty() ? other : referred).push_back(*a.first_year_value);
    }
    return bootstrap_mean_difference(referred, other, resamples, seed, confidence);
}

std::vector<funnel_row> funnel(const referral_program& p, funnel_by by) {
    std::map<std::string, funnel_row> groups;
    std::map<std::string, std::vector<double>> days;
    std::map<std::string, double> cost_by_referral;
    for (const auto& w : p.rewards)
        if (w.state != reward_state::void_) cost_by_referral[w.referral_id] += w.offer.amount;
    const auto add = [&](const std::string& key, const referral& r) {
        auto& g = groups[key];
        g.group = key;
        ++g.referred;
        if (r.qualified_on) ++g.qualified;
        if (r.status == referral_status::converted) {
            ++g.converted;
            g.deal_value += r.deal_value;
            if (r.converted_on)
                days[key].push_back(static_cast<double>((*r.converted_on - r.referred_on).count()));
        }
        if (r.status == referral_status::lost) ++g.lost;
        if (r.status == referral_status::rejected) ++g.rejected;
        if (const auto c = cost_by_referral.find(r.id); c != cost_by_referral.end())
            g.reward_cost += c->second;
    };
    for (const auto& r : p.referrals) {
        const std::string& key = by == funnel_by::channel    ? r.channel
                                 : by == funnel_by::campaign ? r.campaign
                                 : by == funnel_by::variant  ? r.variant
                                                             : r.referrer_id;
        add(key.empty() ? std::string("(none)") : key, r);
    }
    std::vector<funnel_row> out;
    funnel_row all;
    all.group = "(all)";
    std::vector<double> all_days;
    for (auto& [key, g] : groups) {
        all.referred += g.referred;
        all.qualified += g.qualified;
        all.converted += g.converted;
        all.lost += g.lost;
        all.rejected += g.rejected;
        all.deal_value += g.deal_value;
        all.reward_cost += g.reward_cost;
        auto& d = days[key];
        all_days.insert(all_days.end(), d.begin(), d.end());
        if (!d.empty()) {
            std::sort(d.begin(), d.end());
            g.median_days_to_convert = quantile_sorted(d, 0.5);
        }
        g.conversion = static_cast<double>(g.converted) / static_cast<double>(g.referred);
        out.push_back(g);
    }
    if (!all_days.empty()) {
        std::sort(all_days.begin(), all_days.end());
        all.median_days_to_convert = quantile_sorted(all_days, 0.5);
    }
    all.conversion =
        all.referred ? static_cast<double>(all.converted) / static_cast<double>(all.referred) : 0;
    out.push_back(all);
    return out;
}

program_economics economics(const referral_program& p) {
    program_economics e;
    for (const auto& r : p.referrals)
        if (r.status == referral_status::converted) {
            ++e.conversions;
            e.deal_value += r.deal_value;
        }
    for (const auto& w : p.rewards) {
        if (w.state != reward_state::void_) e.reward_cost += w.offer.amount;
        if (w.state == reward_state::issued) e.issued_cost += w.offer.amount;
    }
    if (e.conversions > 0)
        e.cost_per_acquisition = e.reward_cost / static_cast<double>(e.conversions);
    if (e.reward_cost > 0) e.return_on_program = (e.deal_value - e.reward_cost) / e.reward_cost;
    return e;
}

ab_test_result ab_test(const referral_program& p, std::string_view variant_a,
                       std::string_view variant_b, std::uint64_t planned_per_variant,
                       double confidence) {
    std::uint64_t xa = 0, na = 0, xb = 0, nb = 0;
    for (const auto& r : p.referrals) {
        if (r.status == referral_status::rejected) continue;  // not a real lead
        const bool hit = reached_event(p.rules, r);
        if (r.variant == variant_a) {
            ++na;
            xa += hit;
        } else if (r.variant == variant_b) {
            ++nb;
            xb += hit;
        }
    }
    if (na == 0 || nb == 0)
        throw validation_error("A/B test", "variant", "a variant offered in some referral",
                               std::string(na == 0 ? variant_a : variant_b));
    ab_test_result out{std::string(variant_a), std::string(variant_b),
                       compare_proportions(xa, na, xb, nb, confidence)};
    out.planned_per_variant = planned_per_variant;
    out.stopped_early = planned_per_variant > 0 && std::min(na, nb) < planned_per_variant;
    const double pa = out.test.p_a, pb = out.test.p_b;
    if (pa != pb && pa > 0 && pa < 1 && pb > 0 && pb < 1)
        out.needed_per_variant = sample_size_two_proportions(pa, pb);
    return out;
}

}  // namespace refmatch::referrals
