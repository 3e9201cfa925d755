// The referral program: name similarity against hand-worked values, hand-made fraud cases for
// each check, the reward rules and their states, files and database round trips, and a
// generated program whose planted rings, duplicates, self-referrals, bursts and disposable
// contacts the checks must find.

#include <refmatch/db/database.hpp>
#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/generator.hpp>
#include <refmatch/referrals/program.hpp>
#include <refmatch/referrals/similarity.hpp>
#include <refmatch/referrals/statistics.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

namespace rr = refmatch::referrals;
using refmatch::date;
using rr::check_kind;
using rr::check_level;

namespace {

date day(int y, unsigned m, unsigned d) {
    return date{std::chrono::year{y} / m / d};
}

rr::account customer(std::string id, std::string name, std::string domain) {
    rr::account a;
    a.id = std::move(id);
    a.name = std::move(name);
    a.domain = std::move(domain);
    return a;
}

rr::referral referral(std::string id, std::string referrer, std::string name, std::string domain,
                      date on, std::string email = {}) {
    rr::referral r;
    r.id = std::move(id);
    r.referrer_id = std::move(referrer);
    r.referred.name = std::move(name);
    r.referred.domain = std::move(domain);
    r.referred.email =
        email.empty() && !r.referred.domain.empty() ? "ana@" + r.referred.domain : std::move(email);
    r.referred_on = on;
    return r;
}

// The findings of one referral, by kind.
std::map<check_kind, rr::check_finding> findings_of(const rr::check_report& report,
                                                    const std::string& id) {
    std::map<check_kind, rr::check_finding> out;
    for (const auto& f : report.findings)
        if (f.referral_id == id) out.emplace(f.kind, f);
    return out;
}

std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("refmatch_referrals_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Jaro–Winkler by the textbook definition, written independently (counts, then the formula)
// as an oracle for the optimised implementation.
double jaro_winkler_oracle(const std::string& s, const std::string& t) {
    if (s.empty() && t.empty()) return 1;
    if (s.empty() || t.empty()) return 0;
    const int window = std::max<int>(0, static_cast<int>(std::max(s.size(), t.size())) / 2 - 1);
    std::vector<bool> ms(s.size()), mt(t.size());
    int m = 0;
    for (int i = 0; i < static_cast<int>(s.size()); ++i)
        for (int j = std::max(0, i - window);
             j < std::min<int>(static_cast<int>(t.size()), i + window + 1); ++j)
            if (!mt[j] && s[i] == t[j]) {
                ms[i] = mt[j] = true;
                ++m;
                break;
            }
    if (m == 0) return 0;
    std::string a, b;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (ms[i]) a += s[i];
    for (std::size_t j = 0; j < t.size(); ++j)
        if (mt[j]) b += t[j];
    int half = 0;
    for (std::size_t i = 0; i < a.size(); ++i) half += a[i] != b[i];
    const double jaro = (m / double(s.size()) + m / double(t.size()) + (m - half / 2.0) / m) / 3;
    int l = 0;
    while (l < 4 && l < int(std::min(s.size(), t.size())) && s[l] == t[l]) ++l;
    return jaro + l * 0.1 * (1 - jaro);
}

}  // namespace

// --- Similarity ----------------------------------------------------------------------------------

TEST(ReferralSimilarity, JaroWinklerMatchesTheLiteratureValues) {
    // Winkler's examples (Jaro–Winkler, prefix scale 0.1).
    EXPECT_NEAR(rr::jaro_winkler("MARTHA", "MARHTA"), 0.9611, 1e-4);
    EXPECT_NEAR(rr::jaro_winkler("DWAYNE", "DUANE"), 0.84, 1e-4);
    EXPECT_NEAR(rr::jaro_winkler("DIXON", "DICKSONX"), 0.8133, 1e-4);
    EXPECT_DOUBLE_EQ(rr::jaro_winkler("acme", "acme"), 1.0);
    EXPECT_DOUBLE_EQ(rr::jaro_winkler("abc", "xyz"), 0.0);
    EXPECT_DOUBLE_EQ(rr::jaro_winkler("", ""), 1.0);
    EXPECT_DOUBLE_EQ(rr::jaro_winkler("", "a"), 0.0);
}

TEST(ReferralSimilarity, JaroWinklerAgreesWithTheOracleAndIsSymmetric) {
    std::mt19937 rng(7);
    for (int k = 0; k < 3000; ++k) {
        std::string a, b;
        const int la = static_cast<int>(rng() % 12), lb = static_cast<int>(rng() % 12);
        for (int i = 0; i < la; ++i) a += static_cast<char>('a' + rng() % 4);
        for (int i = 0; i < lb; ++i) b += static_cast<char>('a' + rng() % 4);
        ASSERT_NEAR(rr::jaro_winkler(a, b), jaro_winkler_oracle(a, b), 1e-12) << a << " / " << b;
        ASSERT_DOUBLE_EQ(rr::jaro_winkler(a, b), rr::jaro_winkler(b, a));
    }
    // Longer than the 64-byte fast path.
    const std::string long_a(70, 'a'), long_b = std::string(69, 'a') + "b";
    EXPECT_NEAR(rr::jaro_winkler(long_a, long_b), jaro_winkler_oracle(long_a, long_b), 1e-12);
}

TEST(ReferralSimilarity, NamesAreNormalisedWithoutLegalForms) {
    EXPECT_EQ(rr::normalise_company_name("Müller, Söhne & Co. GmbH"), "muller sohne");
    EXPECT_EQ(rr::normalise_company_name("The ACME Corporation"), "acme");
    EXPECT_EQ(rr::normalise_company_name("Acme S.A."), "acme");
    EXPECT_EQ(rr::normalise_company_name("O'Neil  Freight, Inc."), "oneil freight");
    EXPECT_EQ(rr::normalise_company_name("Inc."), "inc");  // a name is never emptied
    EXPECT_EQ(rr::normalise_domain("https://www.Acme.com/about"), "acme.com");
    EXPECT_EQ(rr::email_domain("Ana@Acme.COM"), "acme.com");
    // Hand-made pairs around the documented threshold.
    const auto alike = [](const char* a, const char* b) {
        return rr::jaro_winkler(rr::normalise_company_name(a), rr::normalise_company_name(b));
    };
    EXPECT_GE(alike("Acme Systems GmbH", "ACME Systems Ltd"), rr::name_similarity_threshold);
    EXPECT_GE(alike("Northwind Traders", "Nortwind Traders Inc"), rr::name_similarity_threshold);
    EXPECT_LT(alike("Northwind Traders", "Contoso Traders"), rr::name_similarity_threshold);
    EXPECT_LT(alike("Acme Systems", "Apex Logistics"), rr::name_similarity_threshold);
}

// --- Hand-worked fraud cases -----------------------------------------------------------------

class ReferralChecks : public ::testing::Test {
protected:
    std::vector<rr::account> accounts{
        customer("C-1", "Acme Systems GmbH", "acme.com"),
        customer("C-2", "Globex Corporation", "globex.com"),
        customer("C-3", "Initech Ltd", "initech.io"),
        customer("C-4", "Umbrella Foods", "umbrella.com"),
    };
    void SetUp() override {
        rr::account o = customer("O-1", "Hooli Inc.", "hooli.com");
        o.kind = rr::account_kind::opportunity;
        accounts.push_back(o);
    }
};

TEST_F(ReferralChecks, SelfReferralByDomainEmailAndName) {
    const std::vector<rr::referral> rs{
        referral("R-1", "C-1", "Acme Europe", "acme.com", day(2025, 1, 1)),
        referral("R-2", "C-1", "Zeta Works", "", day(2025, 1, 2), "bob@ACME.com"),
        referral("R-3", "C-1", "ACME Systems AG", "acme-systems.de", day(2025, 1, 3)),
        referral("R-4", "C-1", "Vandelay Industries", "vandelay.com", day(2025, 1, 4)),
    };
    const auto report = rr::check_referrals(rs, accounts);
    ASSERT_EQ(report.levels.size(), 4U);
    EXPECT_EQ(report.levels[0], check_level::reject);
    EXPECT_EQ(findings_of(report, "R-1").at(check_kind::self_referral).reason,
              "the referred domain 'acme.com' is the referrer's own, C-1 (Acme Systems GmbH)");
    EXPECT_EQ(report.levels[1], check_level::reject);
    EXPECT_EQ(findings_of(report, "R-2").at(check_kind::self_referral).reason,
              "the referred e-mail domain 'acme.com' is the referrer's own, C-1 (Acme Systems "
              "GmbH)");
    EXPECT_EQ(report.levels[2], check_level::review);
    const auto name = findings_of(report, "R-3").at(check_kind::self_referral);
    EXPECT_EQ(name.reason,
              "the referred name 'ACME Systems AG' is alike the referrer's, C-1 (Acme Systems "
              "GmbH) (Jaro-Winkler 1.00 >= 0.92)");
    EXPECT_EQ(name.evidence, std::vector<std::string>{"C-1"});
    EXPECT_EQ(report.levels[3], check_level::pass);
    EXPECT_TRUE(findings_of(report, "R-4").empty());
}

TEST_F(ReferralChecks, AlreadyACustomerOrAnOpenOpportunity) {
    const std::vector<rr::referral> rs{
        referral("R-1", "C-1", "Globex", "globex.com", day(2025, 1, 1)),
        referral("R-2", "C-1", "Hooli", "", day(2025, 1, 2), "x@hooli.com"),
        referral("R-3", "C-1", "Initech Limited", "", day(2025, 1, 3), "y@gmail.com"),
    };
    const auto report = rr::check_referrals(rs, accounts);
    EXPECT_EQ(report.levels[0], check_level::reject);
    EXPECT_EQ(findings_of(report, "R-1").at(check_kind::existing_account).reason,
              "the referred organisation is already a customer, C-2 (Globex Corporation)");
    EXPECT_EQ(report.levels[1], check_level::review);
    EXPECT_EQ(findings_of(report, "R-2").at(check_kind::existing_account).reason,
              "the referred organisation is already an open opportunity, O-1 (Hooli Inc.)");
    // By name (legal forms stripped), and free mail on top.
    const auto r3 = findings_of(report, "R-3");
    EXPECT_EQ(r3.at(check_kind::existing_account).evidence, std::vector<std::string>{"C-3"});
    EXPECT_EQ(r3.at(check_kind::email_domain).level, check_level::review);
    EXPECT_EQ(r3.at(check_kind::email_domain).reason,
              "the contact's e-mail domain 'gmail.com' is free mail, not the business's own");
}

TEST_F(ReferralChecks, DuplicatesWithinTheWindowFirstReferrerWins) {
    const std::vector<rr::referral> rs{
        referral("R-2", "C-2", "Vandelay Industries Inc", "vandelay.com", day(2025, 3, 1)),
        referral("R-1", "C-1", "Vandelay Industries", "vandelay.com", day(2025, 1, 10)),
        referral("R-3", "C-3", "Vandelay Industries", "vandelay.com", day(2025, 5, 1)),
        referral("R-4", "C-4", "Vandelai Industries LLC", "", day(2025, 1, 20), "v@outlook.com"),
        referral("R-5", "C-2", "Pendant Publishing", "pendant.com", day(2025, 1, 20)),
    };
    const auto report = rr::check_referrals(rs, accounts);
    // R-1 is first; R-2 is 50 days later: a duplicate.
    EXPECT_EQ(report.levels[1], check_level::pass);
    EXPECT_EQ(report.levels[0], check_level::reject);
    EXPECT_EQ(findings_of(report, "R-2").at(check_kind::duplicate).reason,
              "'vandelay.com' was referred by C-1 in R-1 on 2025-01-10, 50 days earlier, within "
              "the 90-day window: the first referrer wins");
    // R-3 is 111 days after R-1 (R-2, a duplicate, holds nothing): a new attribution.
    EXPECT_EQ(report.levels[2], check_level::pass);
    // R-4: no domain, a name alike, 10 days after R-1.
    const auto r4 = findings_of(report, "R-4").at(check_kind::duplicate);
    EXPECT_EQ(r4.evidence, std::vector<std::string>{"R-1"});
    EXPECT_NE(r4.reason.find("'Vandelai Industries LLC' (alike 'Vandelay Industries', "
                             "Jaro-Winkler 0.93)"),
              std::string::npos)
        << r4.reason;
    EXPECT_EQ(report.levels[4], check_level::pass);
}

TEST_F(ReferralChecks, VelocityPerDayAndPerWeek) {
    std::vector<rr::referral> rs;
    for (int i = 0; i < 7; ++i)
        rs.push_back(referral("D-" + std::to_string(i), "C-1", "Day Co " + std::to_string(i * 37),
                              "day" + std::to_string(i) + ".com", day(2025, 2, 3)));
    // Four a day on four days in a row for C-2: 16 in 7 days, never 5 a day.
    for (int d = 0; d < 4; ++d)
        for (int i = 0; i < 4; ++i)
            rs.push_back(referral("W-" + std::to_string(d * 4 + i), "C-2",
                                  "Week Org " + std::string(1, static_cast<char>('a' + d * 4 + i)),
                                  "w" + std::to_string(d * 4 + i) + ".org",
                                  day(2025, 3, 1) + std::chrono::days(d)));
    rr::check_options options;
    options.max_per_day = 5;
    options.max_per_week = 15;
    const auto report = rr::check_referrals(rs, accounts, {}, options);
    std::vector<std::string> flagged;
    for (const auto& f : report.findings)
        if (f.kind == check_kind::velocity) flagged.push_back(f.referral_id);
    EXPECT_EQ(flagged, (std::vector<std::string>{"D-5", "D-6", "W-15"}));
    const auto d5 = findings_of(report, "D-5").at(check_kind::velocity);
    EXPECT_EQ(d5.reason, "C-1 made 6 referrals on 2025-02-03, more than 5 a day");
    EXPECT_EQ(d5.evidence.size(), 6U);
    EXPECT_EQ(findings_of(report, "W-15").at(check_kind::velocity).reason,
              "C-2 made 16 referrals in the 7 days to 2025-03-04, more than 15 a week");
}

TEST_F(ReferralChecks, RingsAreReportedWithTheirCycle) {
    const std::vector<rr::referral> rs{
        referral("R-1", "C-1", "Globex", "globex.com", day(2025, 1, 1)),
        referral("R-2", "C-2", "Initech", "initech.io", day(2025, 1, 2)),
        referral("R-3", "C-3", "Acme", "acme.com", day(2025, 1, 3)),
        // C-4 refers C-1 but nobody refers C-4: outside the ring.
        referral("R-4", "C-4", "Acme", "acme.com", day(2025, 6, 3)),
    };
    const auto report = rr::check_referrals(rs, accounts);
    for (const char* id : {"R-1", "R-2", "R-3"}) {
        const auto ring = findings_of(report, id).at(check_kind::ring);
        EXPECT_EQ(ring.level, check_level::review);
        EXPECT_EQ(
            ring.reason,
            "3 customers refer each other's organisations (a ring): C-1 -> C-2 -> C-3 -> C-1");
        EXPECT_EQ(ring.evidence, (std::vector<std::string>{"C-1", "C-2", "C-3", "C-1"}));
    }
    EXPECT_FALSE(findings_of(report, "R-4").contains(check_kind::ring));
}

TEST_F(ReferralChecks, DisposableMailUnknownReferrerAndOverrides) {
    const std::vector<rr::referral> rs{
        referral("R-1", "C-1", "Quiet Org", "", day(2025, 1, 1), "a@mailinator.com"),
        referral("R-2", "C-9", "Loud Org", "loud.com", day(2025, 1, 2)),
        referral("R-3", "O-1", "Other Org", "other.com", day(2025, 1, 2)),
    };
    auto report = rr::check_referrals(rs, accounts);
    EXPECT_EQ(findings_of(report, "R-1").at(check_kind::email_domain).reason,
              "the contact's e-mail domain 'mailinator.com' is a disposable (throw-away) mail "
              "service");
    EXPECT_EQ(report.levels[0], check_level::reject);
    EXPECT_EQ(findings_of(report, "R-2").at(check_kind::unknown_referrer).reason,
              "the referrer 'C-9' is not a customer of the program");
    EXPECT_EQ(report.levels[2], check_level::reject);  // an opportunity does not refer
    EXPECT_EQ(report.count(check_level::reject), 3U);
    // A person decides; the latest decision counts, the findings stay.
    const std::vector<rr::check_override> overrides{
        {"R-1", check_level::review, "ana", "looks real", day(2025, 1, 5)},
        {"R-1", check_level::pass, "kai", "called them: a real buyer", day(2025, 1, 6)}};
    report = rr::check_referrals(rs, accounts, overrides);
    EXPECT_EQ(report.levels[0], check_level::pass);
    EXPECT_TRUE(findings_of(report, "R-1").contains(check_kind::email_domain));
}

// --- Rewards ---------------------------------------------------------------------------------

class ReferralRewards : public ::testing::Test {
protected:
    rr::referral_program p;
    void SetUp() override {
        p.accounts = {customer("C-1", "Acme Systems", "acme.com"),
                      customer("C-2", "Globex", "globex.com")};
        p.rules.minimum_deal_value = 10000;
        p.rules.cap_per_period = 2;
        p.rules.cap_period_days = 365;
    }
};

TEST_F(ReferralRewards, DoubleSidedOnConversionThroughTheStates) {
    rr::add_referral(p, referral("R-1", "C-1", "Vandelay", "Vandelay.COM", day(2025, 1, 1)));
    EXPECT_EQ(p.referrals[0].referred.domain, "vandelay.com");
    EXPECT_TRUE(rr::advance_referral(p, "R-1", rr::referral_status::qualified, day(2025, 1, 10))
                    .rewards.empty());
    const auto change = rr::advance_referral(p, "R-1", rr::referral_status::converted,
                                             day(2025, 2, 1), "P-7", 25000);
    ASSERT_EQ(change.rewards.size(), 2U);
    EXPECT_EQ(p.referrals[0].status, rr::referral_status::converted);
    EXPECT_EQ(p.referrals[0].qualified_on, day(2025, 1, 10));
    const auto& referrer = p.rewards[0];
    EXPECT_EQ(referrer.id, "R-1/referrer");
    EXPECT_EQ(referrer.recipient, "C-1");
    EXPECT_EQ(referrer.offer, p.rules.referrer);
    EXPECT_EQ(referrer.state, rr::reward_state::pending);
    EXPECT_EQ(referrer.earned_on, day(2025, 2, 1));
    EXPECT_EQ(p.rewards[1].recipient, "Vandelay");
    EXPECT_EQ(p.rewards[1].offer, p.rules.referred);

    rr::move_reward(p, "R-1/referrer", rr::reward_state::approved);
    rr::move_reward(p, "R-1/referrer", rr::reward_state::issued);
    EXPECT_EQ(p.rewards[0].state, rr::reward_state::issued);
    try {
        rr::move_reward(p, "R-1/referred", rr::reward_state::issued);
        FAIL();
    } catch (const refmatch::validation_error& e) {
        EXPECT_STREQ(e.what(),
                     "reward R-1/referred: field 'state': expected pending -> approved or "
                     "approved -> issued, got 'pending -> issued'");
    }
    EXPECT_THROW(rr::move_reward(p, "R-9/referrer", rr::reward_state::approved),
                 refmatch::not_found_error);
    // Closed: no move back.
    EXPECT_THROW(rr::advance_referral(p, "R-1", rr::referral_status::qualified, day(2025, 3, 1)),
                 refmatch::validation_error);
}

TEST_F(ReferralRewards, MinimumWindowAndCap) {
    std::string why;
    auto r = referral("R-1", "C-1", "Small", "small.com", day(2025, 1, 1));
    r.deal_value = 9999;
    EXPECT_TRUE(rr::rewards_for(p, r, day(2025, 1, 20), &why).empty());
    EXPECT_EQ(why, "the deal value 9999.00 is under the minimum 10000.00");
    r.deal_value = 10000;
    EXPECT_EQ(rr::rewards_for(p, r, day(2025, 4, 1)).size(), 2U);  // day 90: inside
    EXPECT_TRUE(rr::rewards_for(p, r, day(2025, 4, 2), &why).empty());
    EXPECT_EQ(why,
              "the qualifying event came 91 days after the referral, past the 90-day "
              "attribution window");
    // The cap: two rewarded referrals in 365 days, the third earns nothing.
    for (int i = 1; i <= 3; ++i) {
        rr::add_referral(p, referral("R-" + std::to_string(i), "C-1", "Org " + std::to_string(i),
                                     "org" + std::to_string(i) + ".com", day(2025, 1, i)));
        rr::advance_referral(p, "R-" + std::to_string(i), rr::referral_status::converted,
                             day(2025, 2, i), "", 20000);
    }
    EXPECT_EQ(p.rewards.size(), 4U);
    EXPECT_TRUE(rr::rewards_for(p, *p.find_referral("R-1"), day(2025, 2, 3), &why).empty());
    EXPECT_EQ(why, "the referral R-1 has its rewards already");
    EXPECT_TRUE(rr::rewards_for(p, *p.find_referral("R-3"), day(2025, 2, 3), &why).empty());
    EXPECT_EQ(why, "C-1 has earned 2 rewards in the 365 days to 2025-02-03, the cap");
    auto r4 = referral("R-4", "C-1", "Org 4", "org4.com", day(2025, 2, 1));
    r4.deal_value = 20000;
    EXPECT_TRUE(rr::rewards_for(p, r4, day(2025, 2, 5), &why).empty());
    EXPECT_EQ(why, "C-1 has earned 2 rewards in the 365 days to 2025-02-05, the cap");
    // A year after the first, room again.
    EXPECT_EQ(rr::rewards_for(p, r4, day(2026, 2, 1)).size(), 0U);  // but past the window
    p.rules.attribution_window_days = 400;
    EXPECT_EQ(rr::rewards_for(p, r4, day(2026, 2, 2)).size(), 2U);
}

TEST_F(ReferralRewards, QualificationAsTheEventAndValidation) {
    p.rules.qualifying_event = rr::referral_status::qualified;
    p.rules.minimum_deal_value = 0;
    rr::add_referral(p, referral("R-1", "C-1", "Vandelay", "vandelay.com", day(2025, 1, 1)));
    EXPECT_EQ(rr::advance_referral(p, "R-1", rr::referral_status::qualified, day(2025, 1, 5))
                  .rewards.size(),
              2U);
    EXPECT_TRUE(
        rr::advance_referral(p, "R-1", rr::referral_status::converted, day(2025, 2, 1), "", 1000)
            .rewards.empty());
    try {
        rr::add_referral(p, referral("R-2", "C-7", "X", "x.com", day(2025, 1, 1)));
        FAIL();
    } catch (const refmatch::validation_error& e) {
        EXPECT_STREQ(e.what(),
                     "referral R-2: field 'referrer_id': expected the id of a customer "
                     "account, got 'C-7'");
    }
    EXPECT_THROW(rr::add_referral(p, referral("R-1", "C-1", "X", "x.com", day(2025, 1, 1))),
                 refmatch::validation_error);
    auto late = referral("R-3", "C-1", "Y", "y.com", day(2025, 1, 9));
    late.qualified_on = day(2025, 1, 1);
    EXPECT_THROW(rr::add_referral(p, late), refmatch::validation_error);
    EXPECT_EQ(p.referrals.size(), 1U);  // nothing added by the rejected calls
}

TEST_F(ReferralRewards, ChecksHoldAndVoidAndAnOverrideReleases) {
    rr::add_referral(p, referral("R-1", "C-1", "Globex", "globex.com", day(2025, 1, 1)));
    rr::add_referral(p, referral("R-2", "C-1", "Vandelay", "", day(2025, 1, 1), "v@gmail.com"));
    rr::advance_referral(p, "R-1", rr::referral_status::converted, day(2025, 1, 9), "", 50000);
    rr::advance_referral(p, "R-2", rr::referral_status::converted, day(2025, 1, 9), "", 50000);
    const auto report = rr::check_referrals(p.referrals, p.accounts);
    EXPECT_EQ(report.levels, (std::vector<check_level>{check_level::reject, check_level::review}));
    rr::apply_checks(p, report);
    EXPECT_EQ(p.rewards[0].state, rr::reward_state::void_);
    EXPECT_EQ(p.rewards[2].state, rr::reward_state::held);
    EXPECT_THROW(rr::move_reward(p, "R-2/referrer", rr::reward_state::approved),
                 refmatch::validation_error);
    EXPECT_THROW(rr::override_checks(p, {"R-2", check_level::pass, "", "ok", day(2025, 1, 10)}),
                 refmatch::validation_error);
    rr::override_checks(
        p, {"R-2", check_level::pass, "kai", "the CFO's own address", day(2025, 1, 10)});
    EXPECT_EQ(p.rewards[2].state, rr::reward_state::pending);
    EXPECT_EQ(p.overrides.back().by, "kai");
    // The next run keeps the decision.
    const auto again = rr::check_referrals(p.referrals, p.accounts, p.overrides);
    EXPECT_EQ(again.levels[1], check_level::pass);
}

// --- Files and the database ------------------------------------------------------------------

TEST(ReferralStores, FilesRoundTripInCsvAndJson) {
    auto g = rr::generate_referrals({.referrals = 300,
                                     .customers = 60,
                                     .opportunities = 10,
                                     .rings = 2,
                                     .duplicates = 10,
                                     .self_referrals = 3,
                                     .bursts = 1,
                                     .disposable = 3});
    g.program.overrides.push_back(
        {"F-1", check_level::pass, "ana", "fine, \"really\"", day(2025, 1, 1)});
    g.program.rules.cap_per_period = 3;
    for (const bool json : {false, true}) {
        const auto dir = temp_dir(json ? "json" : "csv");
        rr::save_referral_program(g.program, dir, json);
        EXPECT_EQ(rr::load_referral_program(dir), g.program);
        std::filesystem::remove_all(dir);
    }
}

TEST(ReferralStores, BadFilesNameFileLineFieldExpectedAndFound) {
    const auto dir = temp_dir("bad");
    std::ofstream(dir / "accounts.csv") << "id,name,kind\nC-1,Acme,customer\nC-2,Globex,partner\n";
    try {
        (void)rr::load_referral_program(dir);
        FAIL();
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(e.what(),
                     "accounts.csv:3: field 'kind': expected one of customer, "
                     "opportunity, got 'partner'");
    }
    std::ofstream(dir / "accounts.csv", std::ios::trunc) << "id,name\nC-1,Acme\n";
    std::ofstream(dir / "referrals.csv")
        << "id,referrer_id,name,referred_on,deal_value\nR-1,C-1,X,2025-01-01,-5\n";
    try {
        (void)rr::load_referral_program(dir);
        FAIL();
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(e.what(),
                     "referrals.csv:2: field 'deal_value': expected a number >= 0, got '-5'");
    }
    std::filesystem::remove(dir / "referrals.csv");
    std::ofstream(dir / "rules.json") << R"({"format": "refmatch-referral-rules", "version": 1,
        "attribution_window_days": 0})";
    try {
        (void)rr::load_referral_program(dir);
        FAIL();
    } catch (const refmatch::parse_error& e) {
        EXPECT_STREQ(
            e.what(),
            "rules.json: field 'attribution_window_days': expected a number >= 1, got '0'");
    }
    std::filesystem::remove_all(dir);
}

TEST(ReferralStores, DatabaseWritesAreTransactionsAndSurviveReopening) {
    const auto dir = temp_dir("db");
    const auto file = dir / "program.db";
    {
        rr::referral_database db(file, true);
        rr::reward_rules rules;
        rules.minimum_deal_value = 1000;
        db.set_rules(rules);
        const std::vector<rr::account> accounts{customer("C-1", "Acme Systems", "acme.com"),
                                                customer("C-2", "Globex", "globex.com")};
        db.put_accounts(accounts);
        db.add_referral(referral("R-1", "C-1", "Vandelay", "vandelay.com", day(2025, 1, 1)));
        db.add_referral(referral("R-2", "C-1", "Kramerica", "", day(2025, 1, 2), "k@gmail.com"));
        EXPECT_THROW(db.add_referral(referral("R-3", "C-9", "X", "x.com", day(2025, 1, 1))),
                     refmatch::validation_error);
        db.advance_referral("R-1", rr::referral_status::converted, day(2025, 1, 20), "P-1", 5000);
        // R-2 is under review (free mail): its rewards start held.
        db.advance_referral("R-2", rr::referral_status::converted, day(2025, 1, 21), "P-2", 5000);
        db.move_reward("R-1/referrer", rr::reward_state::approved);
        const auto report = db.run_checks();
        EXPECT_EQ(report.levels,
                  (std::vector<check_level>{check_level::pass, check_level::review}));
        db.override_checks(
            {"R-2", check_level::pass, "kai", "a founder's address", day(2025, 2, 1)});
    }
    rr::referral_database db(file);
    const auto p = db.load();
    ASSERT_EQ(p.referrals.size(), 2U);
    EXPECT_EQ(p.referrals[1].id, "R-2");
    EXPECT_EQ(p.rules.minimum_deal_value, 1000);
    EXPECT_EQ(p.referrals[0].status, rr::referral_status::converted);
    EXPECT_EQ(p.referrals[0].deal_value, 5000);
    ASSERT_EQ(p.rewards.size(), 4U);
    EXPECT_EQ(p.rewards[0].state, rr::reward_state::approved);
    EXPECT_EQ(p.rewards[2].state, rr::reward_state::pending);  // released by the override
    ASSERT_EQ(p.overrides.size(), 1U);
    EXPECT_EQ(p.overrides[0].reason, "a founder's address");
    // The program database itself still opens and checks clean, at the current schema.
    refmatch::database program(file);
    EXPECT_TRUE(program.check().empty());
    // The same program through files and back into a fresh database: equal.
    const auto copy = dir / "copy.db";
    rr::referral_database(copy, true).import_program(p);
    EXPECT_EQ(rr::referral_database(copy).load(), p);
    EXPECT_THROW(rr::referral_database(copy).import_program(p), refmatch::database_error);
    std::filesystem::remove_all(dir);
}

// --- A generated program with planted cases ---------------------------------------------------

TEST(ReferralGenerated, TheChecksFindEveryPlantedCase) {
    const auto g = rr::generate_referrals({.referrals = 20000, .customers = 4000});
    const auto& p = g.program;
    const auto report = rr::check_referrals(p.referrals, p.accounts);
    std::map<check_kind, std::set<std::string>> found;
    for (const auto& f : report.findings) found[f.kind].insert(f.referral_id);
    const auto contains_all = [](const std::set<std::string>& found_ids,
                                 const std::set<std::string>& planted) {
        return std::includes(found_ids.begin(), found_ids.end(), planted.begin(), planted.end());
    };
    EXPECT_EQ(g.rings.size(), 2U * 4 + 3U * 3 + 4U * 3);  // sizes 2, 3, 4 repeated
    EXPECT_EQ(found[check_kind::ring], g.rings);          // all of them, nothing else
    EXPECT_TRUE(contains_all(found[check_kind::duplicate], g.duplicates));
    for (const auto& id : g.duplicates)
        if (!found[check_kind::duplicate].contains(id)) {
            const auto* r = p.find_referral(id);
            ADD_FAILURE() << "missed " << id << " " << r->referred.name << " " << r->referred.domain
                          << " " << refmatch::format_date(r->referred_on);
        }
    // Few duplicates beyond the planted ones (made-up names one letter apart, by chance).
    EXPECT_LE(found[check_kind::duplicate].size(), g.duplicates.size() + 20);
    EXPECT_TRUE(contains_all(found[check_kind::self_referral], g.self_referrals));
    EXPECT_EQ(found[check_kind::velocity], g.bursts);
    EXPECT_TRUE(contains_all(found[check_kind::email_domain], g.disposable));
    // Thread count does not change the result.
    rr::check_options one;
    one.threads = 1;
    EXPECT_EQ(rr::check_referrals(p.referrals, p.accounts, {}, one).findings, report.findings);
}

// --- Statistics (the Python suite checks them against scipy) --------------------------------

TEST(ReferralStatistics, HandWorkedTests) {
    // Fisher's exact test on [[1, 9], [11, 3]]: p = 0.002759 (the textbook tea example values).
    EXPECT_NEAR(rr::fisher_exact_two_sided(1, 9, 11, 3), 0.0027594, 1e-6);
    EXPECT_NEAR(rr::fisher_exact_two_sided(3, 1, 1, 3), 0.4857143, 1e-6);
    EXPECT_DOUBLE_EQ(rr::fisher_exact_two_sided(0, 0, 0, 0), 1.0);
    // 60/200 against 40/200: pooled p = 0.25, z = 0.1/sqrt(0.25·0.75·0.01) = 2.3094.
    const auto t = rr::compare_proportions(60, 200, 40, 200);
    EXPECT_NEAR(t.z, 2.309401, 1e-6);
    EXPECT_NEAR(t.p_value_z, 0.020921, 1e-6);
    EXPECT_FALSE(t.small_counts);
    EXPECT_NEAR(rr::normal_quantile(0.975), 1.959963984540054, 1e-12);
    EXPECT_NEAR(rr::normal_quantile(1e-10), -6.361340902404056, 1e-9);
    // 10% against 15% at 0.05 and power 0.8: 686 per group (the usual table value).
    EXPECT_EQ(rr::sample_size_two_proportions(0.10, 0.15), 686U);
    EXPECT_THROW((void)rr::compare_proportions(3, 2, 1, 2), refmatch::validation_error);
}

TEST(ReferralStatistics, BootstrapIsSeededAndCoversTheDifference) {
    std::vector<double> a, b;
    std::mt19937_64 rng(3);
    std::normal_distribution<> na(110, 20), nb(100, 20);
    for (int i = 0; i < 400; ++i) a.push_back(na(rng));
    for (int i = 0; i < 500; ++i) b.push_back(nb(rng));
    const auto d = rr::bootstrap_mean_difference(a, b, 2000, 9);
    EXPECT_EQ(rr::bootstrap_mean_difference(a, b, 2000, 9).low, d.low);
    EXPECT_LT(d.low, d.difference);
    EXPECT_GT(d.high, d.difference);
    // The normal-theory interval half-width is 1.96·sqrt(400/400 + 400/500) ≈ 2.63.
    EXPECT_NEAR((d.high - d.low) / 2, 2.63, 0.3);
}

TEST(ReferralStatistics, FunnelEconomicsAndAnEarlyStoppedTest) {
    rr::referral_program p;
    p.accounts = {customer("C-1", "Acme", "acme.com")};
    rr::add_referral(p, referral("R-1", "C-1", "A1", "a1.com", day(2025, 1, 1)));
    rr::add_referral(p, referral("R-2", "C-1", "A2", "a2.com", day(2025, 1, 1)));
    auto r3 = referral("R-3", "C-1", "A3", "a3.com", day(2025, 1, 1));
    r3.channel = "event";
    rr::add_referral(p, r3);
    rr::advance_referral(p, "R-1", rr::referral_status::converted, day(2025, 1, 11), "", 10000);
    rr::advance_referral(p, "R-3", rr::referral_status::converted, day(2025, 1, 31), "", 20000);
    const auto rows = rr::funnel(p, rr::funnel_by::channel);
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].group, "(none)");
    EXPECT_EQ(rows[0].referred, 2U);
    EXPECT_DOUBLE_EQ(rows[0].conversion, 0.5);
    EXPECT_EQ(rows[0].median_days_to_convert, 10.0);
    EXPECT_EQ(rows[2].group, "(all)");
    EXPECT_EQ(rows[2].median_days_to_convert, 20.0);
    const auto e = rr::economics(p);
    EXPECT_EQ(e.conversions, 2U);
    EXPECT_DOUBLE_EQ(e.reward_cost, 2 * (500 + 250));
    EXPECT_DOUBLE_EQ(*e.cost_per_acquisition, 750);
    EXPECT_DOUBLE_EQ(*e.return_on_program, (30000 - 1500) / 1500.0);
    p.referrals[0].variant = "A";
    p.referrals[1].variant = "B";
    p.referrals[2].variant = "B";
    const auto ab = rr::ab_test(p, "A", "B", 100);
    EXPECT_TRUE(ab.stopped_early);
    EXPECT_TRUE(ab.test.small_counts);
    EXPECT_EQ(ab.test.x_b, 1U);
    EXPECT_THROW((void)rr::ab_test(p, "A", "C"), refmatch::validation_error);
}
