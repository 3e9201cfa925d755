// Measurement (statistics, influence, balance of use, recruitment) and the materials library,
// against hand-worked examples and brute-force oracles on generated programs.

#include "small_vocabulary.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/content/library.hpp>
#include <refmatch/db/database.hpp>
#include <refmatch/generator.hpp>
#include <refmatch/measurement/balance.hpp>
#include <refmatch/measurement/influence.hpp>
#include <refmatch/measurement/outcomes_io.hpp>
#include <refmatch/measurement/recruitment.hpp>
#include <refmatch/measurement/request_figures.hpp>
#include <refmatch/measurement/statistics.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace refmatch;
using namespace refmatch::measurement;
using refmatch::test_support::small_vocabulary;

date day(const char* s) {
    return *parse_date(s);
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "(no error)";
}

// --- Statistics ---------------------------------------------------------------------------------

TEST(Statistics, WilsonIntervalOfEightInTen) {
    // p = 0.8, n = 10, z² = 3.8415: centre 0.99207 / 1.38415, half 1.96·0.16001 / 1.38415.
    const auto e = wilson_interval(8, 10);
    EXPECT_DOUBLE_EQ(e.value, 0.8);
    EXPECT_NEAR(e.low, 0.49016, 1e-4);
    EXPECT_NEAR(e.high, 0.94332, 1e-4);
    const auto none = wilson_interval(0, 0);
    EXPECT_TRUE(std::isnan(none.value) && std::isnan(none.low) && std::isnan(none.high));
    const auto zero = wilson_interval(0, 5);
    EXPECT_EQ(zero.low, 0.0);
    EXPECT_GT(zero.high, 0.0);
    EXPECT_EQ(message_of([] { (void)wilson_interval(3, 2); }),
              "wilson interval: field 'successes': expected at most the trials, got '3 of 2'");
}

TEST(Statistics, MantelHaenszelOfTwoStrata) {
    // Stratum 1: 8/10 against 4/10; stratum 2: 3/5 against 6/15 (N = 20 each).
    // R = 8·10/20 + 3·15/20 = 6.25, S = 4·10/20 + 6·5/20 = 3.5, RR = 1.785714.
    // Var = ((10·10·12 − 8·4·20) + (5·15·9 − 3·6·20)) / 400 / (R·S) = 2.1875 / 21.875 = 0.1.
    const std::vector<stratum_counts> strata = {{8, 10, 4, 10}, {3, 5, 6, 15}, {2, 2, 0, 0}};
    const auto rr = mantel_haenszel_ratio(strata);
    EXPECT_NEAR(rr.value, 6.25 / 3.5, 1e-12);
    EXPECT_NEAR(rr.low, 6.25 / 3.5 * std::exp(-z95 * std::sqrt(0.1)), 1e-9);
    EXPECT_NEAR(rr.high, 6.25 / 3.5 * std::exp(z95 * std::sqrt(0.1)), 1e-9);
    EXPECT_NEAR(rr.low, 0.96080, 1e-4);
    EXPECT_NEAR(rr.high, 3.31888, 1e-4);
    // One stratum: the plain ratio of the two rates.
    const std::vector<stratum_counts> one = {{6, 10, 3, 10}};
    EXPECT_NEAR(mantel_haenszel_ratio(one).value, 2.0, 1e-12);
    const std::vector<stratum_counts> empty = {{0, 10, 3, 10}};
    EXPECT_TRUE(std::isnan(mantel_haenszel_ratio(empty).value));
}

TEST(Statistics, SplitMixMatchesItsPublishedSequence) {
    // The first outputs of SplitMix64 seeded with 1234567 (Vigna's reference implementation).
    splitmix64 rng(1234567);
    EXPECT_EQ(rng.next(), 6457827717110365317ULL);
    EXPECT_EQ(rng.next(), 3203168211198807973ULL);
    EXPECT_EQ(rng.next(), 9817491932198370423ULL);
}

TEST(Statistics, BootstrapIsSeededAndExactWhenThereIsNoSpread) {
    const std::vector<double> a = {5, 5, 5}, b = {2, 2};
    const auto flat = bootstrap_mean_difference(a, b);
    EXPECT_DOUBLE_EQ(flat.value, 3);
    EXPECT_DOUBLE_EQ(flat.low, 3);
    EXPECT_DOUBLE_EQ(flat.high, 3);

    // One resample by hand: indices from the generator, a's draws first.
    const std::vector<double> x = {1, 2, 4}, y = {10, 30};
    bootstrap_options one;
    one.resamples = 1;
    one.seed = 7;
    splitmix64 rng(7);
    double sx = 0, sy = 0;
    for (int i = 0; i < 3; ++i) sx += x[rng.below(3)];
    for (int i = 0; i < 2; ++i) sy += y[rng.below(2)];
    const auto e = bootstrap_mean_difference(x, y, one);
    EXPECT_DOUBLE_EQ(e.low, sx / 3 - sy / 2);
    EXPECT_DOUBLE_EQ(e.high, e.low);
    EXPECT_DOUBLE_EQ(e.value, 7.0 / 3 - 20);

    bootstrap_options seeded;
    seeded.seed = 11;
    EXPECT_EQ(bootstrap_mean_difference(x, y, seeded), bootstrap_mean_difference(x, y, seeded));
    const auto wide = bootstrap_mean_difference(x, y, seeded);
    EXPECT_LE(wide.low, wide.value);
    EXPECT_GE(wide.high, wide.value);
    EXPECT_TRUE(std::isnan(bootstrap_mean_difference(x, {}).value));
    bootstrap_options bad;
    bad.resamples = 0;
    EXPECT_EQ(message_of([&] { (void)bootstrap_mean_difference(x, y, bad); }),
              "bootstrap options: field 'resamples': expected at least 1, got '0'");
}

TEST(Statistics, GiniLorenzAndTopSharesAgainstTheirDefinitions) {
    const auto c = concentration_of({1, 2, 3, 4});  // Σ|xi − xj| = 20, 2n²μ = 80
    EXPECT_NEAR(c.gini, 0.25, 1e-12);
    ASSERT_EQ(c.lorenz.size(), 5u);
    EXPECT_NEAR(c.lorenz[2].second, 0.3, 1e-12);
    EXPECT_NEAR(c.top5_share, 0.4, 1e-12);  // ⌈0.2⌉ = 1 value of 4
    EXPECT_NEAR(concentration_of({0, 0, 0, 10}).gini, 0.75, 1e-12);
    EXPECT_EQ(concentration_of({0, 0}).gini, 0.0);
    EXPECT_EQ(concentration_of({}).lorenz.size(), 1u);

    std::mt19937 gen(5);
    for (int round = 0; round < 20; ++round) {
        std::vector<double> v(1 + gen() % 60);
        for (auto& x : v) x = static_cast<double>(gen() % 20);
        v[0] += 1;  // a positive total
        double pairs = 0;
        for (const double a : v)
            for (const double b : v) pairs += std::abs(a - b);
        const double n = static_cast<double>(v.size());
        const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
        auto sorted = v;
        std::sort(sorted.rbegin(), sorted.rend());
        const auto k10 = static_cast<std::size_t>(std::ceil(0.1 * n - 1e-9));
        const double top10 = std::accumulate(sorted.begin(), sorted.begin() + k10, 0.0) /
                             std::accumulate(v.begin(), v.end(), 0.0);
        const auto got = concentration_of(v);
        EXPECT_NEAR(got.gini, pairs / (2 * n * n * mean), 1e-9);
        EXPECT_NEAR(got.top10_share, top10, 1e-12);
        EXPECT_NEAR(got.lorenz.back().second, 1.0, 1e-12);
    }
    EXPECT_EQ(message_of([] {
                  (void)concentration_of({1, -1});
              }),
              "concentration: field 'value': expected a number >= 0, got '-1.000000'");
}

TEST(Statistics, NetPromoterScoreOfTenAnswers) {
    const std::vector<std::uint8_t> answers = {10, 9, 8, 7, 6, 0, 10, 3, 9, 9};
    const auto s = nps_of(answers);  // 5 promoters, 2 passives, 3 detractors
    EXPECT_EQ(s.promoters, 5u);
    EXPECT_EQ(s.passives, 2u);
    EXPECT_EQ(s.detractors, 3u);
    EXPECT_NEAR(s.score.value, 20.0, 1e-12);
    const double se = std::sqrt((0.5 + 0.3 - 0.04) / 10);
    EXPECT_NEAR(s.score.low, 100 * (0.2 - z95 * se), 1e-9);
    EXPECT_NEAR(s.score.high, 100 * (0.2 + z95 * se), 1e-9);
    const std::vector<std::uint8_t> bad = {11};
    EXPECT_EQ(message_of([&] { (void)nps_of(bad); }),
              "nps: field 'answer': expected a whole number 0-10, got '11'");
}

// --- Outcomes and influence ---------------------------------------------------------------------

opportunity_outcome deal(std::string id, deal_status s, double amount, const char* closed,
                         const char* created = nullptr, std::string industry = "5112",
                         std::string country = "DE", size_band size = 2) {
    opportunity_outcome o;
    o.opportunity_id = std::move(id);
    o.status = s;
    o.amount = amount;
    if (closed) o.closed = day(closed);
    if (created) o.created = day(created);
    o.industry = std::move(industry);
    o.country = std::move(country);
    o.size = size;
    return o;
}

usage_event use(std::string ref, activity_id a, std::string opp, const char* d) {
    return {std::move(ref), a, std::move(opp), day(d)};
}

struct hand_worked {
    std::shared_ptr<const vocabulary> v = small_vocabulary();
    std::vector<opportunity_outcome> outcomes = {
        deal("O1", deal_status::won, 100000, "2025-06-30", "2025-03-01"),
        deal("O2", deal_status::won, 60000, "2025-05-31", "2025-02-01", "52", "US", 4),
        deal("O3", deal_status::lost, 50000, "2025-04-30", nullptr),
        deal("O4", deal_status::open, 80000, nullptr)};
    std::vector<usage_event> usage = {
        use("R2", activity::case_study, "O1", "2025-06-10"),
        use("R1", activity::sales_call, "O1", "2025-06-20"),
        use("R1", activity::site_visit, "O1", "2025-06-30"),
        use("R1", activity::sales_call, "O1", "2025-07-05"),  // after the close
        use("R3", activity::sales_call, "O1", "2024-06-30"),  // 365 days before: outside
        use("R3", activity::sales_call, "O3", "2025-04-01"),
        use("R3", activity::sales_call, "O4", "2025-04-01"),  // open deal
        use("R3", activity::logo_use, "", "2025-04-01"),
        use("R3", activity::sales_call, "O9", "2025-04-01")};  // unknown deal
};

TEST(Influence, EvenSplitOfAHandWorkedDeal) {
    hand_worked w;
    const auto r = measure_influence(w.usage, w.outcomes, *w.v);
    ASSERT_EQ(r.deals.size(), 3u);  // the open one is not closed
    EXPECT_EQ(r.deals[0].uses.size(), 3u);
    EXPECT_EQ(r.influencing_uses, 4u);
    EXPECT_EQ(r.unmatched_uses, 4u);
    EXPECT_DOUBLE_EQ(r.won_revenue, 160000);
    EXPECT_DOUBLE_EQ(r.influenced_revenue, 100000);
    EXPECT_NEAR(r.credited_revenue, 100000, 1e-9);
    EXPECT_NEAR(r.by_reference.at("R1").revenue, 200000.0 / 3, 1e-9);
    EXPECT_NEAR(r.by_reference.at("R2").revenue, 100000.0 / 3, 1e-9);
    EXPECT_EQ(r.by_reference.at("R1").deals, 1u);
    EXPECT_EQ(r.by_reference.at("R1").uses, 2u);
    EXPECT_EQ(r.by_reference.count("R3"), 0u);  // its deal was lost
    EXPECT_NEAR(r.by_activity.at("sales_call").revenue, 100000.0 / 3, 1e-9);
    EXPECT_NEAR(r.by_segment.at("51 × 150 × 250-999").revenue, 100000, 1e-9);
    EXPECT_NEAR(r.by_period.at("2025-Q2").revenue, 100000, 1e-9);
    // With: O1 won, O3 lost; without: O2 won.
    EXPECT_EQ(r.versus.closed_with, 2u);
    EXPECT_EQ(r.versus.won_with, 1u);
    EXPECT_EQ(r.versus.closed_without, 1u);
    EXPECT_EQ(r.versus.won_without, 1u);
    EXPECT_EQ(r.versus.win_rate_with, wilson_interval(1, 2));
    EXPECT_DOUBLE_EQ(r.versus.deal_size_difference.value, 40000);
    EXPECT_DOUBLE_EQ(r.versus.cycle_days_difference.value, 121 - 119);
}

TEST(Influence, AttributionRules) {
    hand_worked w;
    influence_options o;
    o.rule = attribution::first;
    auto r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_DOUBLE_EQ(r.by_reference.at("R2").revenue, 100000);
    EXPECT_DOUBLE_EQ(r.by_reference.at("R1").revenue, 0);
    o.rule = attribution::last;
    r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_DOUBLE_EQ(r.by_reference.at("R1").revenue, 100000);
    EXPECT_DOUBLE_EQ(r.by_activity.at("site_visit").revenue, 100000);
    o.rule = attribution::full;
    r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_DOUBLE_EQ(r.by_reference.at("R1").revenue, 200000);
    EXPECT_DOUBLE_EQ(r.credited_revenue, 300000);
    EXPECT_DOUBLE_EQ(r.influenced_revenue, 100000);
    // Time decay, half-life 10: weights 2^-2, 2^-1, 2^0 for 20, 10 and 0 days before the close.
    o.rule = attribution::time_decay;
    o.half_life_days = 10;
    r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_NEAR(r.by_reference.at("R1").revenue, 100000 * 1.5 / 1.75, 1e-9);
    EXPECT_NEAR(r.by_reference.at("R2").revenue, 100000 * 0.25 / 1.75, 1e-9);
    // A window of 10 days keeps only the uses 0..9 days before the close.
    o.rule = attribution::even;
    o.window_days = 10;
    r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_EQ(r.deals[0].uses.size(), 1u);
    EXPECT_EQ(r.deals[0].uses[0].day, day("2025-06-30"));
    // The period keeps deals closed in [from, to].
    o.window_days = 365;
    o.from = day("2025-05-01");
    r = measure_influence(w.usage, w.outcomes, *w.v, o);
    EXPECT_EQ(r.deals.size(), 2u);
    o.half_life_days = 0;
    EXPECT_EQ(message_of([&] { (void)measure_influence(w.usage, w.outcomes, *w.v, o); }),
              "influence options: field 'half_life_days': expected a number > 0, got '0.000000'");
}

TEST(Influence, OutcomesAreChecked) {
    hand_worked w;
    auto bad = w.outcomes;
    bad[3].closed = day("2025-01-01");
    EXPECT_EQ(message_of([&] { check_outcomes(bad, *w.v); }),
              "outcome 'O4': field 'closed': expected no close date for an open deal, got "
              "'2025-01-01'");
    bad = w.outcomes;
    bad[1].opportunity_id = "O1";
    EXPECT_EQ(message_of([&] { check_outcomes(bad, *w.v); }),
              "outcome 'O1': field 'opportunity_id': expected an id not used before, got 'O1'");
    bad = w.outcomes;
    bad[0].industry = "99";
    EXPECT_EQ(message_of([&] { check_outcomes(bad, *w.v); }),
              "outcome 'O1': field 'industry': expected a NAICS 2022 code, got '99'");
}

// Random programs: every rule but `full` credits exactly the influenced revenue, each breakdown
// sums to the credit, and even split per reference equals a brute-force join.
TEST(Influence, TotalsReconcileOnRandomPrograms) {
    const auto v = small_vocabulary();
    std::mt19937 gen(17);
    const std::vector<std::string> industries = {"", "51", "5112", "521"};
    const std::vector<std::string> countries = {"", "DE", "IT", "US", "150"};
    for (int round = 0; round < 30; ++round) {
        std::vector<opportunity_outcome> outcomes;
        const int deals = 1 + static_cast<int>(gen() % 40);
        for (int i = 0; i < deals; ++i) {
            const auto s = static_cast<deal_status>(gen() % 3);
            auto o = deal("D" + std::to_string(i), s, static_cast<double>(gen() % 100000), nullptr);
            if (s != deal_status::open)
                o.closed = day("2025-01-01") + std::chrono::days(gen() % 365);
            o.industry = industries[gen() % industries.size()];
            o.country = countries[gen() % countries.size()];
            o.size = gen() % 3 == 0 ? size_band{} : size_band(static_cast<std::uint8_t>(gen() % 6));
            outcomes.push_back(o);
        }
        std::vector<usage_event> usage;
        for (int i = 0; i < 120; ++i)
            usage.push_back({"R" + std::to_string(gen() % 8),
                             activity_id{static_cast<std::uint16_t>(gen() % 12)},
                             "D" + std::to_string(gen() % (deals + 3)),
                             day("2024-09-01") + std::chrono::days(gen() % 500)});
        influence_options o;
        o.window_days = 1 + static_cast<std::uint32_t>(gen() % 200);
        std::map<std::string, double> expected;  // even split, brute force
        double influenced = 0;
        for (const auto& d : outcomes) {
            if (d.status != deal_status::won) continue;
            std::vector<const usage_event*> in;
            for (const auto& u : usage)
                if (u.opportunity_id == d.opportunity_id && u.day <= *d.closed &&
                    (*d.closed - u.day).count() < static_cast<int>(o.window_days))
                    in.push_back(&u);
            if (in.empty()) continue;
            influenced += d.amount;
            for (const auto* u : in)
                expected[u->reference_id] += d.amount / static_cast<double>(in.size());
        }
        for (const auto rule : {attribution::even, attribution::first, attribution::last,
                                attribution::time_decay, attribution::full}) {
            o.rule = rule;
            const auto r = measure_influence(usage, outcomes, *v, o);
            EXPECT_NEAR(r.influenced_revenue, influenced, 1e-6);
            if (rule != attribution::full) {
                EXPECT_NEAR(r.credited_revenue, influenced, 1e-6);
            }
            for (const auto* by : {&r.by_reference, &r.by_activity, &r.by_segment, &r.by_period}) {
                double sum = 0;
                for (const auto& [k, t] : *by) sum += t.revenue;
                EXPECT_NEAR(sum, r.credited_revenue, 1e-6);
            }
            if (rule == attribution::even) {
                ASSERT_EQ(r.by_reference.size(), expected.size());
                for (const auto& [ref, credit] : expected)
                    EXPECT_NEAR(r.by_reference.at(ref).revenue, credit, 1e-6) << ref;
            }
            EXPECT_EQ(r.versus.closed_with + r.versus.closed_without, r.deals.size());
        }
    }
}

TEST(Outcomes, FilesRoundTripAndErrorsNameTheLine) {
    hand_worked w;
    const auto text = format_outcomes(w.outcomes, *w.v);
    EXPECT_EQ(parse_outcomes(text, "outcomes.csv", *w.v), w.outcomes);
    const std::string bad =
        "opportunity_id,status,amount,closed\nO1,won,10,2025-01-01\nO2,pending,5,\n";
    EXPECT_EQ(message_of([&] { (void)parse_outcomes(bad, "outcomes.csv", *w.v); }),
              "outcomes.csv:3: field 'status': expected open, won or lost, got 'pending'");
    const std::string no_close = "opportunity_id,status,amount\nO1,lost,10\n";
    EXPECT_EQ(
        message_of([&] { (void)parse_outcomes(no_close, "outcomes.csv", *w.v); }),
        "outcomes.csv:2: field 'closed': expected a close date for a won or lost deal, got ''");
    const std::string twice =
        "opportunity_id,status,closed\nO1,won,2025-01-01\nO1,lost,2025-01-02\n";
    EXPECT_EQ(message_of([&] { (void)parse_outcomes(twice, "outcomes.csv", *w.v); }),
              "outcomes.csv:3: field 'opportunity_id': expected an id not used before, got 'O1'");
    EXPECT_EQ(message_of([&] { (void)parse_outcomes("status\nwon\n", "outcomes.csv", *w.v); }),
              "outcomes.csv:1: expected the required columns opportunity_id, status, got 'no "
              "column opportunity_id'");
}

// --- Balance of use -----------------------------------------------------------------------------

std::unique_ptr<program> balance_program() {
    auto p = std::make_unique<program>(small_vocabulary());
    const auto ref = [](std::string id, std::vector<activity_consent> consents,
                        std::optional<date> contact) {
        reference_customer r;
        r.id = r.name = std::move(id);
        r.status = reference_status::active;
        r.consents = std::move(consents);
        r.last_contact = contact;
        return r;
    };
    const quota_limit three{3, 365, 0};
    p->references.add_all({ref("R1", {{activity::sales_call, three}}, std::nullopt),
                           ref("R2", {{activity::sales_call, std::nullopt}}, std::nullopt),
                           ref("R3", {{activity::logo_use, std::nullopt}}, day("2025-01-01")),
                           ref("R4", {}, day("2025-06-01")),
                           ref("R5", {{activity::logo_use, std::nullopt}}, std::nullopt)});
    reference_customer candidate = ref("R6", {{activity::logo_use, std::nullopt}}, std::nullopt);
    candidate.status = reference_status::candidate;
    p->references.add(candidate);
    p->record_usage_all(std::vector<usage_event>{
        use("R1", activity::sales_call, "", "2025-02-01"),
        use("R1", activity::sales_call, "", "2025-03-01"),
        use("R1", activity::sales_call, "", "2025-06-01"),
        use("R2", activity::sales_call, "", "2025-06-01"),
        use("R5", activity::logo_use, "", "2024-01-01"),  // before the period
        use("R6", activity::logo_use, "", "2025-06-01")});
    return p;
}

TEST(Balance, HandWorkedProgram) {
    const auto p = balance_program();
    balance_options o;
    o.now = day("2025-06-30");
    const std::vector<reference_declines> declines = {{"R2", 10, 9}, {"R3", 4, 1}};
    const auto r = measure_balance(*p, o, declines);
    ASSERT_EQ(r.references.size(), 5u);  // active only
    EXPECT_EQ(r.references[0].reference_id, "R1");
    EXPECT_EQ(r.references[0].uses, 3u);
    EXPECT_EQ(r.uses, 4u);
    // Uses {3, 1, 0, 0, 0}: sorted Σ i·x = 4·1 + 5·3 = 19, G = 38/20 − 6/5 = 0.7.
    EXPECT_NEAR(r.spread.gini, 0.7, 1e-12);
    EXPECT_NEAR(r.spread.top5_share, 0.75, 1e-12);
    EXPECT_EQ(r.never_asked_with_headroom, (std::vector<std::string>{"R3", "R5"}));
    EXPECT_EQ(r.at_quota, std::vector<std::string>{"R1"});
    EXPECT_EQ(r.references[0].at_quota, std::vector<std::string>{"sales_call"});
    EXPECT_FALSE(r.references[0].has_headroom);
    // Not contacted in 90 days: R3 (2025-01-01) and R5 (a use in 2024); R4 was contacted.
    EXPECT_EQ(r.not_contacted, (std::vector<std::string>{"R3", "R5"}));
    EXPECT_EQ(r.high_decline, std::vector<std::string>{"R2"});  // Wilson low of 9/10 ≈ 0.596
    EXPECT_EQ(r.references[1].decline_rate, wilson_interval(9, 10));
    const std::vector<reference_declines> unknown = {{"R9", 1, 1}};
    EXPECT_EQ(message_of([&] { (void)measure_balance(*p, o, unknown); }),
              "declines of 'R9': field 'reference_id': expected a reference id of the program, got "
              "'R9'");
}

// --- Recruitment --------------------------------------------------------------------------------

TEST(Recruitment, AdvocacyScoreAndBaseNps) {
    reference_customer r;
    r.id = "R1";
    r.signals.nps = 9;
    r.signals.csat = 80;
    r.last_contact = day("2025-01-01");
    advocacy_options o;
    o.now = day("2025-07-01");  // 181 days after the contact
    // (0.35·0.9 + 0.20·0.8 + 0.10·(1 − 181/365)) / 0.65; health and tenure unknown.
    const double expected = (0.35 * 0.9 + 0.20 * 0.8 + 0.10 * (1 - 181.0 / 365)) / 0.65;
    auto s = score_advocacy(r, o);
    EXPECT_NEAR(s.score, expected, 1e-12);
    EXPECT_NEAR(s.coverage, 0.65, 1e-12);
    o.customer_since["R1"] = day("2020-07-01");
    s = score_advocacy(r, o);
    EXPECT_NEAR(s.coverage, 0.75, 1e-12);
    // Tenure: 1,826 days = 4.9993 years of the 5 that count fully.
    EXPECT_NEAR(s.score, (expected * 0.65 + 0.10 * (1826 / 365.25 / 5)) / 0.75, 1e-12);
    o.weights.nps = -1;
    EXPECT_EQ(message_of([&] { (void)score_advocacy(r, o); }),
              "advocacy weights: field 'nps': expected a number >= 0, got '-1.000000'");

    generator_options g;
    g.seed = 3;
    g.references = 300;
    g.prospects = 10;
    const auto p = generate_program(g);
    std::vector<std::uint8_t> answers;
    for (const auto& x : p->references.all())
        if (x.signals.nps) answers.push_back(*x.signals.nps);
    EXPECT_EQ(base_nps(*p).score, nps_of(answers).score);
    EXPECT_GT(base_nps(*p).answers, 100u);
}

// A program with a third of its references turned into candidates.
std::unique_ptr<program> recruiting_program(std::uint64_t seed) {
    generator_options g;
    g.seed = seed;
    g.references = 400;
    g.prospects = 80;
    auto t = tables_of(*generate_program(g));
    auto references = t.references.unpack();
    for (std::size_t i = 0; i < references.size(); ++i)
        if (i % 3 == 0) references[i].status = reference_status::candidate;
    t.references = std::move(references);
    return std::move(t).assemble();
}

// The oracle: the program with `active` made active, its gaps rerun from scratch.
double value_at_risk_with(const program& p, const std::vector<std::string>& active,
                          const gap_options& g) {
    auto t = tables_of(p);
    auto references = t.references.unpack();
    for (auto& r : references)
        if (std::find(active.begin(), active.end(), r.id) != active.end())
            r.status = reference_status::active;
    t.references = std::move(references);
    const auto q = std::move(t).assemble();
    const engine e(*q);
    return analyse_gaps(e, q->prospects.all(), g).value_at_risk;
}

TEST(Recruitment, EachCandidatesValueIsTheGapAnalysisRerun) {
    for (const std::size_t m : {1u, 2u}) {
        const auto p = recruiting_program(8);
        recruit_options o;
        o.gaps.threshold = 0.55;
        o.gaps.min_references = m;
        o.gaps.match.activity = activity::sales_call;
        o.gaps.match.now = sample_program_day;
        o.shortlist = 4;
        o.advocacy.now = sample_program_day;
        const auto pipeline = p->prospects.all();
        const auto r = recommend_recruits(*p, pipeline, o);
        const double base = value_at_risk_with(*p, {}, o.gaps);
        EXPECT_NEAR(r.value_at_risk, base, 1e-6);
        ASSERT_GT(r.candidates.size(), 100u);
        std::size_t useful = 0;
        for (std::size_t i = 0; i < r.candidates.size(); i += 7) {  // a sample: each rerun costs
            const auto& c = r.candidates[i];
            EXPECT_NEAR(c.value_covered, base - value_at_risk_with(*p, {c.reference_id}, o.gaps),
                        1e-6)
                << c.reference_id << " m=" << m;
        }
        for (const auto& c : r.candidates) useful += c.value_covered > 0;
        if (m == 1) {
            EXPECT_GT(useful, 0u);
        }
        for (std::size_t i = 1; i < r.candidates.size(); ++i)
            EXPECT_GE(r.candidates[i - 1].value_covered, r.candidates[i].value_covered);

        // The shortlist: cumulative values are the gaps of the picks together, and each pick's
        // marginal value is the best any remaining candidate offered.
        ASSERT_FALSE(r.shortlist.empty());
        std::vector<std::string> picks;
        double before = base;
        for (const auto& pick : r.shortlist) {
            picks.push_back(pick.reference_id);
            const double after = value_at_risk_with(*p, picks, o.gaps);
            EXPECT_NEAR(pick.marginal_value, before - after, 1e-6) << pick.reference_id;
            EXPECT_NEAR(pick.cumulative_value, base - after, 1e-6);
            before = after;
        }
        if (m == 1) {
            EXPECT_NEAR(r.shortlist[0].marginal_value, r.candidates[0].value_covered, 1e-6);
            for (std::size_t i = 1; i < r.shortlist.size(); ++i)
                EXPECT_GE(r.shortlist[i - 1].marginal_value, r.shortlist[i].marginal_value);
        }
    }
}

// --- The materials library ----------------------------------------------------------------------

content::content_item item(std::string id, content::content_status s, std::string industry,
                           std::string country, std::string reference = "") {
    content::content_item c;
    c.id = std::move(id);
    c.title = c.id;
    c.status = s;
    c.industry = std::move(industry);
    c.country = std::move(country);
    c.products = {"crm"};
    c.size = 2;
    c.reference_id = std::move(reference);
    return c;
}

TEST(Content, MatchedWithTheReferenceScoreOnlyWhenUsable) {
    auto p = std::make_unique<program>(small_vocabulary());
    reference_customer featured;
    featured.id = featured.name = "R1";
    featured.status = reference_status::active;
    p->references.add(featured);
    using content::content_status;
    std::vector<content::content_item> items = {
        item("C1", content_status::published, "5112", "DE"),
        item("C2", content_status::approved, "51", "FR", "R1"),
        item("C3", content_status::draft, "5112", "DE"),
        item("C4", content_status::published, "5112", "DE"),
        item("C5", content_status::published, "52", "US")};
    items[3].expires = day("2025-06-01");    // expired
    items[4].published = day("2025-08-01");  // not yet published
    const content::content_matcher m(*p, items, day("2025-06-30"));
    EXPECT_EQ(m.size(), 2u);

    prospect x;
    x.id = "P1";
    x.industry = "5112";
    x.country = "DE";
    x.products = {"crm"};
    x.size = 2;
    const auto got = m.match(x, 10);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].item->id, "C1");
    EXPECT_EQ(got[1].item->id, "C2");

    // The oracle: the same profiles as plain references, matched by the engine.
    auto q = std::make_unique<program>(small_vocabulary());
    for (const char* id : {"C1", "C2"}) {
        const auto& c =
            *std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.id == id; });
        reference_customer r;
        r.id = r.name = c.id;
        r.industry = c.industry;
        r.country = c.country;
        r.products = c.products;
        r.size = c.size;
        r.status = reference_status::active;
        q->references.add(r);
    }
    const engine e(*q);
    const auto plain = e.match(x, 10, {});
    ASSERT_EQ(plain.size(), 2u);
    EXPECT_DOUBLE_EQ(got[0].match.final_score, plain[0].final_score);
    EXPECT_DOUBLE_EQ(got[1].match.final_score, plain[1].final_score);
    EXPECT_EQ(got[0].match.reason, plain[0].reason);
    EXPECT_LT(got[1].match.final_score, got[0].match.final_score);

    // An excluded reference's material is never proposed.
    x.exclusions = {"R1"};
    const auto without = m.match(x, 10);
    ASSERT_EQ(without.size(), 1u);
    EXPECT_EQ(without[0].item->id, "C1");

    // Gaps of the library: a prospect in finance has nothing above 0.8.
    prospect y = x;
    y.id = "P2";
    y.industry = "521";
    y.country = "US";
    gap_options g;
    g.threshold = 0.8;
    const std::vector<prospect> pipeline = {x, y};
    const auto gaps = m.gaps(pipeline, g);
    EXPECT_EQ(gaps.uncovered, 1u);
    EXPECT_FALSE(gaps.prospects[1].covered);
    EXPECT_TRUE(gaps.prospects[0].covered);

    items[1].reference_id = "R9";
    EXPECT_EQ(message_of([&] { content::content_matcher(*p, items, day("2025-06-30")); }),
              "content 'C2': field 'reference_id': expected a reference id of the program, got "
              "'R9'");
}

TEST(Content, FilesRoundTripAndErrorsNameTheLine) {
    const auto v = small_vocabulary();
    std::vector<content::content_item> items = {
        item("C1", content::content_status::published, "5112", "DE", "R1"),
        item("C2", content::content_status::draft, "", "")};
    items[0].published = day("2025-01-01");
    items[0].expires = day("2027-01-01");
    items[0].uses = 12;
    items[1].type = content::content_type::video;
    EXPECT_EQ(content::parse_content(content::format_content(items), "content.csv", *v), items);
    EXPECT_EQ(message_of([&] {
                  (void)content::parse_content("id,type,status\nC1,poster,draft\n", "content.csv",
                                               *v);
              }),
              "content.csv:2: field 'type': expected case_study, success_story, roi_study, quote, "
              "video, webinar, press_release or review, got 'poster'");
    EXPECT_EQ(message_of([&] {
                  (void)content::parse_content(
                      "id,type,status,published,expires\nC1,quote,draft,2025-02-01,2025-01-01\n",
                      "content.csv", *v);
              }),
              "content.csv:2: field 'expires': expected a day after the publication day "
              "2025-02-01, got '2025-01-01'");
}

// Both tables are read in either format, like the program's five: the JSON writer and reader
// round-trip, a JSON record's error names it, and a directory holds one format of each.
TEST(SideTables, JsonRoundTripsAndADirectoryHoldsOneFormat) {
    namespace fs = std::filesystem;
    hand_worked w;
    const auto json = format_outcomes(w.outcomes, *w.v, file_format::json);
    EXPECT_NE(json.find("\"format\": \"refmatch-outcomes\""), std::string::npos) << json;
    EXPECT_EQ(parse_outcomes(json, "outcomes.json", *w.v, file_format::json), w.outcomes);
    const std::string bad =
        R"({"format": "refmatch-outcomes", "version": 1, "outcomes": [)"
        R"({"opportunity_id": "O1", "status": "won", "amount": 5, "closed": "2025-01-01"},)"
        R"({"opportunity_id": "O2", "status": "lost", "amount": 5}]})";
    EXPECT_EQ(
        message_of([&] { (void)parse_outcomes(bad, "outcomes.json", *w.v, file_format::json); }),
        "outcomes.json: field 'outcomes[1].closed': expected a close date for a won or "
        "lost deal, got ''");

    const auto v = small_vocabulary();
    std::vector<content::content_item> items = {
        item("C1", content::content_status::published, "5112", "DE", "R1"),
        item("C2", content::content_status::draft, "", "")};
    items[0].published = day("2025-01-01");
    items[0].uses = 12;
    const auto library = content::format_content(items, file_format::json);
    EXPECT_NE(library.find("\"uses\": 12"), std::string::npos) << library;  // a number
    EXPECT_EQ(content::parse_content(library, "content.json", *v, file_format::json), items);

    const auto dir =
        fs::temp_directory_path() / ("refmatch_side_tables_test_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    save_outcomes(dir / "outcomes.json", w.outcomes, *w.v);
    content::save_content(dir / "content.json", items);
    EXPECT_EQ(load_program_outcomes(dir, *w.v), w.outcomes);
    EXPECT_EQ(content::load_program_content(dir, *v), items);
    save_outcomes(dir / "outcomes.csv", w.outcomes, *w.v);
    EXPECT_EQ(message_of([&] { (void)load_program_outcomes(dir, *w.v); }),
              "outcomes.csv: expected one file per table in the program directory, got 'both "
              "outcomes.csv and outcomes.json'");
    fs::remove_all(dir);
}

// `check_program` (refmatch validate) reads the outcomes and the library beside a program like
// its other tables: every error with its file, line or record, field, expected and found.
TEST(SideTables, ValidationReportsEveryError) {
    const std::filesystem::path dir =
        std::filesystem::path(REFMATCH_TEST_DATA_DIR) / "bad_side_tables";
    std::vector<std::string> messages;
    for (const auto& e : check_program(dir)) messages.push_back(e.what());
    const std::vector<std::string> expected = {
        "outcomes.csv:3: field 'status': expected open, won or lost, got 'pending'",
        "outcomes.csv:4: field 'closed': expected a close date for a won or lost deal, got ''",
        "outcomes.csv:5: field 'amount': expected a number >= 0, got '-5'",
        "outcomes.csv:6: field 'opportunity_id': expected an id not used before, got 'O-1'",
        "outcomes.csv:7: field 'industry': expected a NAICS 2022 code, got 'Fintech'",
        "content.json: field 'content[1].type': expected case_study, success_story, roi_study, "
        "quote, video, webinar, press_release or review, got 'poster'",
        "content.json: field 'content[2].reference_id': expected a reference id of the program, "
        "got 'R-9'",
        "content.json: field 'content[3].products': expected a product id of the catalogue, got "
        "'hr'",
        "content.json: field 'content[4].expires': expected a day after the publication day "
        "2025-03-01, got '2025-02-01'"};
    EXPECT_EQ(messages, expected);
    // One file alone is checked with the products and references beside it.
    std::vector<std::string> alone;
    for (const auto& e : check_file(dir / "content.json")) alone.push_back(e.what());
    EXPECT_EQ(alone, std::vector<std::string>(expected.begin() + 5, expected.end()));
}

// The service figures of a request book become the report's service levels and the balance's
// declines: per activity settled / on time / median days; per reference the customer's answers.
TEST(RequestFigures, ServiceLevelsAndCustomersDeclines) {
    const activity_catalog activities;
    service_figures f;
    const auto call = activities.at("sales_call"), study = activities.at("case_study");
    f.on_time = {{call, 4, 3}, {study, 2, 0}};
    f.time_to_fulfil = {{study, 1, 300.0, 300.0}, {call, 3, 36.0, 50.0}};
    f.by_reference = {{"R1", 5, 1, 4, 3}, {"R2", 0, 0, 2, 0}};
    const auto r = figures_from_requests(f, activities);
    ASSERT_EQ(r.service_levels.size(), 2u);
    EXPECT_EQ(r.service_levels[0].label, "sales_call");
    EXPECT_EQ(r.service_levels[0].requests, 4u);
    EXPECT_EQ(r.service_levels[0].met, 3u);
    EXPECT_DOUBLE_EQ(r.service_levels[0].median_days, 1.5);  // 36 hours
    EXPECT_EQ(r.service_levels[1].label, "case_study");
    EXPECT_DOUBLE_EQ(r.service_levels[1].median_days, 12.5);
    ASSERT_EQ(r.declines.size(), 2u);
    // The owners' declines (1 of 5) are the account team's: only the customer's count.
    EXPECT_EQ(r.declines[0].reference_id, "R1");
    EXPECT_EQ(r.declines[0].asked, 4u);
    EXPECT_EQ(r.declines[0].declined, 3u);
    EXPECT_EQ(r.declines[1].asked, 2u);
    EXPECT_EQ(r.declines[1].declined, 0u);
}

// --- The program database -----------------------------------------------------------------------

std::string bytes_of(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Outcomes and content come in with the program (one transaction), read back through the
// files' record rules, export byte for byte, and a bad write leaves the tables as they were.
TEST(MeasurementDatabase, OutcomesAndContentRoundTrip) {
    namespace fs = std::filesystem;
    const fs::path sample = fs::path(REFMATCH_SOURCE_DIR) / "src/data/sample";
    const auto dir =
        fs::temp_directory_path() / ("refmatch_measurement_test_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    database_options o;
    o.create = true;
    database db(dir / "program.db", o);
    db.import_program(sample, {"tester", std::chrono::sys_seconds{}});
    const auto p = db.program();
    const auto files = load_program_outcomes(sample, *p->vocab);
    const auto items = content::load_program_content(sample, *p->vocab);
    ASSERT_GT(files.size(), 10000u);
    ASSERT_GT(items.size(), 50u);
    auto by_id = files;
    std::sort(by_id.begin(), by_id.end(),
              [](const auto& a, const auto& b) { return a.opportunity_id < b.opportunity_id; });
    EXPECT_EQ(db.outcomes(), by_id);
    EXPECT_EQ(db.content_items(), items);  // ids are in order already

    db.export_program(dir / "exported");
    const auto again = load_program_outcomes(dir / "exported", *p->vocab);
    EXPECT_EQ(again, by_id);
    EXPECT_EQ(bytes_of(dir / "exported" / "content.csv"), bytes_of(sample / "content.csv"));

    // A replacement, then a bad write that changes nothing.
    auto changed = by_id.front();
    changed.status = deal_status::lost;
    changed.closed = changed.created.value_or(day("2025-01-01"));
    db.put_outcomes(std::span(&changed, 1));
    EXPECT_EQ(db.outcomes().front(), changed);
    auto bad = changed;
    bad.status = deal_status::open;
    EXPECT_EQ(message_of([&] { db.put_outcomes(std::span(&bad, 1)); }),
              "outcome '" + bad.opportunity_id +
                  "': field 'closed': expected no close date for an open deal, got '" +
                  format_date(*bad.closed) + "'");
    EXPECT_EQ(db.outcomes().front(), changed);
    auto stray = items.front();
    stray.reference_id = "R-9999";
    EXPECT_EQ(message_of([&] { db.put_content_items(std::span(&stray, 1)); }),
              "content '" + stray.id +
                  "': field 'reference_id': expected a reference id of the program, got "
                  "'R-9999'");
    EXPECT_EQ(db.content_items(), items);

    // Reopened read-only: the same tables.
    database_options ro;
    ro.read_only = true;
    const database reader(dir / "program.db", ro);
    EXPECT_EQ(reader.outcomes().front(), changed);
    EXPECT_EQ(reader.content_items().size(), items.size());
    fs::remove_all(dir);
}

}  // namespace
