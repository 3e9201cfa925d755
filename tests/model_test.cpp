#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/size_band.hpp>

#include <gtest/gtest.h>

using namespace refmatch;

TEST(Date, ParsesAndFormatsIsoDays) {
    const auto d = parse_date("2026-11-23");
    ASSERT_TRUE(d);
    EXPECT_EQ(format_date(*d), "2026-11-23");
    EXPECT_EQ(format_date(*d + std::chrono::days(39)), "2027-01-01");
    EXPECT_FALSE(parse_date("2026-02-30"));
    EXPECT_FALSE(parse_date("2026-1-01"));
    EXPECT_FALSE(parse_date("yesterday"));
}

TEST(ActivityCatalog, HasTheTwelveStandardActivitiesThenCustomOnes) {
    activity_catalog c;
    EXPECT_EQ(c.size(), 12u);
    EXPECT_EQ(c.at("site_visit"), activity::site_visit);
    EXPECT_EQ(c.name(activity::sales_call), "sales_call");
    const auto webinar = c.add("Webinar");
    EXPECT_EQ(webinar.value, 12);
    EXPECT_EQ(c.add("webinar"), webinar);  // registering twice returns the same id
    EXPECT_EQ(c.at("WEBINAR"), webinar);
    EXPECT_THROW(c.add("user group!"), validation_error);
    EXPECT_THROW((void)c.at("skydiving"), not_found_error);
}

TEST(QuotaPolicy, DefaultsAndOverrides) {
    quota_policy q;
    EXPECT_FALSE(q.limit(activity::logo_use).max_uses);
    EXPECT_EQ(q.limit(activity::site_visit), (quota_limit{1, 365, 180}));
    EXPECT_EQ(q.limit(activity::sales_call), (quota_limit{6, 90, 7}));
    EXPECT_FALSE(q.limit(activity_id{40}).max_uses);  // custom activity: no limit by default
    q.set(activity_id{40}, {3, 30, 0});
    EXPECT_EQ(q.limit(activity_id{40}).max_uses, 3u);
    EXPECT_THROW(q.set(activity::quote, {0, 30, 0}), validation_error);
    EXPECT_THROW(q.set(activity::quote, {2, 0, 0}), validation_error);
}

TEST(ReferenceCustomer, PersonalLimitOverridesProgramDefault) {
    quota_policy q;
    reference_customer r;
    r.consents = {{activity::sales_call, quota_limit{2, 30, 0}}, {activity::quote, std::nullopt}};
    EXPECT_EQ(r.effective_limit(activity::sales_call, q), (quota_limit{2, 30, 0}));
    EXPECT_EQ(r.effective_limit(activity::quote, q), q.limit(activity::quote));
    EXPECT_TRUE(r.consents_to(activity::quote));
    EXPECT_FALSE(r.consents_to(activity::site_visit));
}

TEST(SizeBands, DefaultBandsAndCloseness) {
    size_bands b;
    EXPECT_EQ(b.count(), 6);
    EXPECT_EQ(b.band_of(49), 0);
    EXPECT_EQ(b.band_of(50), 1);
    EXPECT_EQ(b.band_of(19999), 4);
    EXPECT_EQ(b.band_of(20000), 5);
    EXPECT_FALSE(b.band_of(0));
    EXPECT_EQ(b.label(3), "1000-4999");
    EXPECT_EQ(b.label(5), "20000+");
    // scoring.md: 1 − |band(p) − band(r)| / (B − 1)
    EXPECT_DOUBLE_EQ(b.closeness(1, 3), 1.0 - 2.0 / 5.0);
    EXPECT_DOUBLE_EQ(b.closeness(4, 4), 1.0);
    EXPECT_DOUBLE_EQ(b.closeness(std::nullopt, 4), 0.0);
    EXPECT_THROW(size_bands({10, 5}), validation_error);
}

TEST(Errors, ParseErrorMessageNamesFileLineFieldExpectedAndFound) {
    const parse_error e("references.csv", 17, "industry", "a NAICS 2022 code", "Fintech");
    EXPECT_STREQ(e.what(),
                 "references.csv:17: field 'industry': expected a NAICS 2022 code, got 'Fintech'");
    EXPECT_EQ(e.file(), "references.csv");
    EXPECT_EQ(e.line(), 17u);
    const validation_error v("reference 'R-1'", "nps", "a score 0-10", "11");
    EXPECT_STREQ(v.what(), "reference 'R-1': field 'nps': expected a score 0-10, got '11'");
    EXPECT_EQ(v.field(), "nps");
    // Everything is a refmatch::error.
    EXPECT_THROW(throw not_found_error("x"), error);
}
