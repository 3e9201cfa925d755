// Measurement and the materials library from Python: the C++ functions run without the GIL and
// return plain columns, which refmatch/_measurement.py turns into DataFrames. Outcomes and
// content arrive as CSV text (a DataFrame is written with to_csv), so the file formats' checks
// and messages apply.

#include "bind_common.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/content/library.hpp>
#include <refmatch/db/database.hpp>
#include <refmatch/measurement/balance.hpp>
#include <refmatch/measurement/influence.hpp>
#include <refmatch/measurement/outcomes_io.hpp>
#include <refmatch/measurement/recruitment.hpp>
#include <refmatch/measurement/report.hpp>
#include <refmatch/measurement/request_figures.hpp>
#include <refmatch/measurement/statistics.hpp>
#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace refmatch::python {
namespace {

using namespace refmatch::measurement;

// (value, low, high) as a plain tuple: converted by pybind11 after the GIL is taken back.
std::tuple<double, double, double> estimate_tuple(const estimate& e) {
    return {e.value, e.low, e.high};
}

py::dict totals(const std::map<std::string, credit_total>& by, const char* key) {
    std::vector<std::string> keys;
    std::vector<double> revenue;
    std::vector<std::size_t> deals, uses;
    for (const auto& [k, t] : by) {
        keys.push_back(k);
        revenue.push_back(t.revenue);
        deals.push_back(t.deals);
        uses.push_back(t.uses);
    }
    py::dict d;
    d[key] = keys;
    d["revenue"] = revenue;
    d["deals"] = deals;
    d["uses"] = uses;
    return d;
}

py::dict influence_dict(const influence_report& r, const vocabulary& v) {
    std::vector<std::string> opp, status, sector, region, size, ref, act;
    std::vector<double> amount, credit;
    std::vector<date> closed, day;
    std::vector<std::optional<date>> created;
    std::vector<std::size_t> uses;
    std::vector<std::string> c_opp;
    for (const auto& d : r.deals) {
        opp.push_back(d.outcome->opportunity_id);
        status.push_back(std::string(to_string(d.outcome->status)));
        amount.push_back(d.outcome->amount);
        closed.push_back(*d.outcome->closed);
        created.push_back(d.outcome->created);
        sector.push_back(d.segment.sector);
        region.push_back(d.segment.region);
        size.push_back(d.segment.size);
        uses.push_back(d.uses.size());
        for (const auto& u : d.uses) {
            c_opp.push_back(d.outcome->opportunity_id);
            ref.push_back(u.reference_id);
            act.push_back(v.activities.name(u.activity));
            day.push_back(u.day);
            credit.push_back(u.credit);
        }
    }
    py::dict deals;
    deals["opportunity_id"] = opp;
    deals["status"] = status;
    deals["amount"] = amount;
    deals["created"] = created;
    deals["closed"] = closed;
    deals["sector"] = sector;
    deals["region"] = region;
    deals["size"] = size;
    deals["uses"] = uses;
    py::dict credits;
    credits["opportunity_id"] = c_opp;
    credits["reference_id"] = ref;
    credits["activity"] = act;
    credits["day"] = day;
    credits["credit"] = credit;
    const auto& c = r.versus;
    py::dict versus;
    versus["closed_with"] = c.closed_with;
    versus["won_with"] = c.won_with;
    versus["closed_without"] = c.closed_without;
    versus["won_without"] = c.won_without;
    versus["win_rate_with"] = estimate_tuple(c.win_rate_with);
    versus["win_rate_without"] = estimate_tuple(c.win_rate_without);
    versus["pooled_ratio"] = estimate_tuple(c.pooled_ratio);
    versus["deal_size_difference"] = estimate_tuple(c.deal_size_difference);
    versus["cycle_days_difference"] = estimate_tuple(c.cycle_days_difference);
    py::dict out;
    out["deals"] = deals;
    out["credits"] = credits;
    out["versus"] = versus;
    out["won_revenue"] = r.won_revenue;
    out["influenced_revenue"] = r.influenced_revenue;
    out["credited_revenue"] = r.credited_revenue;
    out["influencing_uses"] = r.influencing_uses;
    out["unmatched_uses"] = r.unmatched_uses;
    out["by_reference"] = totals(r.by_reference, "reference_id");
    out["by_activity"] = totals(r.by_activity, "activity");
    out["by_segment"] = totals(r.by_segment, "segment");
    out["by_period"] = totals(r.by_period, "period");
    return out;
}

influence_options influence_from(const std::string& rule, std::uint32_t window_days,
                                 double half_life, std::optional<date> from, std::optional<date> to,
                                 const std::string& period, std::vector<double> bounds,
                                 std::size_t resamples, std::uint64_t seed) {
    influence_options o;
    const auto r = parse_attribution(rule);
    if (!r)
        throw py::value_error("rule: expected full, even, first, last or time_decay, got '" + rule +
                              "'");
    o.rule = *r;
    o.window_days = window_days;
    o.half_life_days = half_life;
    o.from = from;
    o.to = to;
    if (period == "month")
        o.period = period_unit::month;
    else if (period == "year")
        o.period = period_unit::year;
    else if (period == "quarter")
        o.period = period_unit::quarter;
    else
        throw py::value_error("period: expected month, quarter or year, got '" + period + "'");
    o.deal_size_bounds = std::move(bounds);
    o.bootstrap.resamples = resamples;
    o.bootstrap.seed = seed;
    return o;
}

}  // namespace

void bind_measurement(py::module_& m) {
    const auto release = [] { return py::call_guard<py::gil_scoped_release>(); };
    m.def(
        "wilson_interval",
        [](std::uint64_t k, std::uint64_t n) { return estimate_tuple(wilson_interval(k, n)); },
        py::arg("successes"), py::arg("trials"),
        "(proportion, low, high): the 95% Wilson score interval.");
    m.def(
        "mantel_haenszel_ratio",
        [](const std::vector<
            std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>& strata) {
            std::vector<stratum_counts> s;
            for (const auto& [a, n1, c, n0] : strata) s.push_back({a, n1, c, n0});
            return estimate_tuple(mantel_haenszel_ratio(s));
        },
        py::arg("strata"),
        "(ratio, low, high) over strata of (exposed successes, exposed trials, unexposed "
        "successes, unexposed trials): Mantel-Haenszel with the Greenland-Robins interval.");
    m.def(
        "bootstrap_mean_difference",
        [](const std::vector<double>& a, const std::vector<double>& b, std::size_t resamples,
           std::uint64_t seed, double confidence) {
            return estimate_tuple(bootstrap_mean_difference(a, b, {resamples, seed, confidence}));
        },
        py::arg("a"), py::arg("b"), py::arg("resamples") = 2000, py::arg("seed") = 1,
        py::arg("confidence") = 0.95, release(),
        "(mean(a) - mean(b), low, high): seeded percentile bootstrap (SplitMix64).");
    m.def(
        "concentration",
        [](std::vector<double> values) {
            const auto c = concentration_of(std::move(values));
            py::dict d;
            d["gini"] = c.gini;
            d["top5_share"] = c.top5_share;
            d["top10_share"] = c.top10_share;
            d["lorenz"] = c.lorenz;
            return d;
        },
        py::arg("values"), "Gini, top 5%/10% shares and the Lorenz curve of non-negative values.");
    m.def(
        "nps",
        [](const std::vector<std::uint8_t>& answers) {
            const auto s = nps_of(answers);
            py::dict d;
            d["answers"] = s.answers;
            d["promoters"] = s.promoters;
            d["passives"] = s.passives;
            d["detractors"] = s.detractors;
            d["score"] = estimate_tuple(s.score);
            return d;
        },
        py::arg("answers"), "Net Promoter Score of 0-10 answers with its 95% interval.");
    m.def(
        "_parse_outcomes",
        [](const std::string& text, const std::string& source, const program& p) {
            return parse_outcomes(text, source, *p.vocab);
        },
        py::arg("text"), py::arg("source"), py::arg("program"), release());
    py::class_<opportunity_outcome>(m, "OpportunityOutcome",
                                    "One opportunity and how it ended (see docs/measurement.md).")
        .def_readonly("opportunity_id", &opportunity_outcome::opportunity_id)
        .def_property_readonly(
            "status", [](const opportunity_outcome& o) { return std::string(to_string(o.status)); })
        .def_readonly("amount", &opportunity_outcome::amount)
        .def_readonly("closed", &opportunity_outcome::closed)
        .def("__repr__", [](const opportunity_outcome& o) {
            return "OpportunityOutcome(" + python::quoted(o.opportunity_id) + ", " +
                   std::string(to_string(o.status)) + ")";
        });
    m.def(
        "_influence",
        [](const program& p, const std::vector<opportunity_outcome>& outcomes,
           const std::string& rule, std::uint32_t window_days, double half_life,
           std::optional<date> from, std::optional<date> to, const std::string& period,
           std::vector<double> bounds, std::size_t resamples, std::uint64_t seed) {
            const auto o = influence_from(rule, window_days, half_life, from, to, period,
                                          std::move(bounds), resamples, seed);
            influence_report r;
            {
                py::gil_scoped_release unlocked;
                r = measure_influence(p.usage.events(), outcomes, *p.vocab, o);
            }
            return influence_dict(r, *p.vocab);
        },
        py::arg("program"), py::arg("outcomes"), py::arg("rule"), py::arg("window_days"),
        py::arg("half_life_days"), py::arg("start"), py::arg("end"), py::arg("period"),
        py::arg("deal_size_bounds"), py::arg("resamples"), py::arg("seed"));
    m.def(
        "_balance",
        [](const program& p, date now, std::uint32_t period_days, std::uint32_t quiet_days,
           const std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>>& declines) {
            balance_options o;
            o.now = now;
            o.period_days = period_days;
            o.not_contacted_days = quiet_days;
            std::vector<reference_declines> d;
            for (const auto& [id, asked, declined] : declines) d.push_back({id, asked, declined});
            balance_report r;
            {
                py::gil_scoped_release unlocked;
                r = measure_balance(p, o, d);
            }
            std::vector<std::string> ids;
            std::vector<std::size_t> uses;
            std::vector<bool> headroom;
            std::vector<std::string> at_quota;
            std::vector<std::optional<date>> touch;
            for (const auto& b : r.references) {
                ids.push_back(b.reference_id);
                uses.push_back(b.uses);
                headroom.push_back(b.has_headroom);
                std::string q;
                for (const auto& a : b.at_quota) q += (q.empty() ? "" : ";") + a;
                at_quota.push_back(q);
                touch.push_back(b.last_touch);
            }
            py::dict refs;
            refs["reference_id"] = ids;
            refs["uses"] = uses;
            refs["has_headroom"] = headroom;
            refs["at_quota"] = at_quota;
            refs["last_touch"] = touch;
            py::dict out;
            out["references"] = refs;
            out["uses"] = r.uses;
            out["gini"] = r.spread.gini;
            out["top5_share"] = r.spread.top5_share;
            out["top10_share"] = r.spread.top10_share;
            out["lorenz"] = r.spread.lorenz;
            out["never_asked_with_headroom"] = r.never_asked_with_headroom;
            out["at_quota"] = r.at_quota;
            out["not_contacted"] = r.not_contacted;
            out["high_decline"] = r.high_decline;
            return out;
        },
        py::arg("program"), py::arg("now"), py::arg("period_days"), py::arg("not_contacted_days"),
        py::arg("declines"));
    m.def(
        "_recruit",
        [](const program& p, const match_options& mo, double threshold, std::size_t min_refs,
           std::size_t shortlist, bool include_paused, std::size_t threads) {
            recruit_options o;
            o.gaps.match = mo;
            o.gaps.threshold = threshold;
            o.gaps.min_references = min_refs;
            o.shortlist = shortlist;
            if (mo.now) o.advocacy.now = *mo.now;
            if (include_paused) o.statuses.push_back(reference_status::paused);
            batch_options batch;
            batch.threads = threads;
            recruit_report r;
            {
                py::gil_scoped_release unlocked;
                const auto pipeline = p.prospects.all();
                r = recommend_recruits(p, pipeline, o, batch);
            }
            std::vector<std::string> ids;
            std::vector<double> value, advocacy, coverage;
            std::vector<std::size_t> qualifies, covers;
            for (const auto& c : r.candidates) {
                ids.push_back(c.reference_id);
                value.push_back(c.value_covered);
                advocacy.push_back(c.advocacy.score);
                coverage.push_back(c.advocacy.coverage);
                qualifies.push_back(c.qualifies_for.size());
                covers.push_back(c.covers.size());
            }
            py::dict cands;
            cands["reference_id"] = ids;
            cands["value_covered"] = value;
            cands["covers"] = covers;
            cands["qualifies_for"] = qualifies;
            cands["advocacy"] = advocacy;
            cands["advocacy_coverage"] = coverage;
            std::vector<std::string> pid, newly;
            std::vector<double> marginal, cumulative;
            for (const auto& s : r.shortlist) {
                pid.push_back(s.reference_id);
                marginal.push_back(s.marginal_value);
                cumulative.push_back(s.cumulative_value);
                std::string n;
                for (const auto& x : s.newly_covered) n += (n.empty() ? "" : ";") + x;
                newly.push_back(n);
            }
            py::dict picks;
            picks["reference_id"] = pid;
            picks["marginal_value"] = marginal;
            picks["cumulative_value"] = cumulative;
            picks["newly_covered"] = newly;
            py::dict out;
            out["candidates"] = cands;
            out["shortlist"] = picks;
            out["prospects"] = r.prospects;
            out["uncovered"] = r.uncovered;
            out["pipeline_value"] = r.pipeline_value;
            out["value_at_risk"] = r.value_at_risk;
            return out;
        },
        py::arg("program"), py::arg("options"), py::arg("threshold"), py::arg("min_references"),
        py::arg("shortlist"), py::arg("include_paused"), py::arg("threads"));
    py::class_<content::content_item>(m, "ContentItem",
                                      "One item of the materials library (docs/measurement.md).")
        .def_readonly("id", &content::content_item::id)
        .def_readonly("title", &content::content_item::title)
        .def_property_readonly(
            "type", [](const content::content_item& c) { return std::string(to_string(c.type)); })
        .def_readonly("reference_id", &content::content_item::reference_id)
        .def_property_readonly(
            "status",
            [](const content::content_item& c) { return std::string(to_string(c.status)); })
        .def("usable_on", &content::content_item::usable_on, py::arg("day"))
        .def("__repr__", [](const content::content_item& c) {
            return "ContentItem(" + python::quoted(c.id) + ", " + std::string(to_string(c.type)) +
                   ", " + std::string(to_string(c.status)) + ")";
        });
    m.def(
        "_parse_content",
        [](const std::string& text, const std::string& source, const program& p) {
            auto items = content::parse_content(text, source, *p.vocab);
            content::check_content(items, p);
            return items;
        },
        py::arg("text"), py::arg("source"), py::arg("program"), release());
    m.def(
        "_match_content",
        [](const program& p, const std::vector<content::content_item>& items, const prospect& x,
           std::size_t k, const match_options& mo) {
            std::vector<std::string> ids, types, refs, reasons;
            std::vector<double> scores;
            {
                py::gil_scoped_release unlocked;
                const content::content_matcher library(p, items, *mo.now);
                for (const auto& r : library.match(x, k, mo)) {
                    ids.push_back(r.item->id);
                    types.push_back(std::string(to_string(r.item->type)));
                    refs.push_back(r.item->reference_id);
                    scores.push_back(r.match.final_score);
                    reasons.push_back(r.match.reason);
                }
            }
            py::dict d;
            d["content_id"] = ids;
            d["type"] = types;
            d["reference_id"] = refs;
            d["final"] = scores;
            d["reason"] = reasons;
            return d;
        },
        py::arg("program"), py::arg("items"), py::arg("prospect"), py::arg("k"),
        py::arg("options"));
    m.def(
        "_write_report",
        [](const std::string& path, const program& p,
           const std::vector<opportunity_outcome>& outcomes,
           const std::vector<content::content_item>& items, date now, const std::string& rule,
           activity_id activity, double threshold, std::size_t shortlist,
           const std::vector<std::tuple<std::string, std::size_t, std::size_t, double>>& levels,
           const std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>>& declines) {
            report_options o;
            o.now = now;
            o.influence.rule = *parse_attribution(rule);
            o.recruit.gaps.match.activity = activity;
            o.recruit.gaps.threshold = threshold;
            o.recruit.shortlist = shortlist;
            for (const auto& [label, requests, met, median] : levels)
                o.service_levels.push_back({label, requests, met, median});
            for (const auto& [id, asked, declined] : declines)
                o.declines.push_back({id, asked, declined});
            py::gil_scoped_release unlocked;
            write_report(path, p, outcomes, items, o);
        },
        py::arg("path"), py::arg("program"), py::arg("outcomes"), py::arg("content"),
        py::arg("now"), py::arg("rule"), py::arg("activity"), py::arg("threshold"),
        py::arg("shortlist"), py::arg("service_levels"), py::arg("declines"));
    // A program database's tables beside the program, and its request book's figures.
    m.def(
        "_database_outcomes", [](const database& db) { return db.outcomes(); }, py::arg("db"),
        release());
    m.def(
        "_database_content", [](const database& db) { return db.content_items(); }, py::arg("db"),
        release());
    m.def(
        "_request_figures",
        [](database& db, date now) {
            request_figures f;
            {
                py::gil_scoped_release unlocked;
                const auto service = request_book(db).service(std::chrono::sys_seconds{now});
                f = figures_from_requests(service, db.program()->vocab->activities);
            }
            std::vector<std::tuple<std::string, std::size_t, std::size_t, double>> levels;
            for (const auto& l : f.service_levels)
                levels.emplace_back(l.label, l.requests, l.met, l.median_days);
            std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> declines;
            for (const auto& d : f.declines)
                declines.emplace_back(d.reference_id, d.asked, d.declined);
            py::dict out;
            out["service_levels"] = levels;
            out["declines"] = declines;
            return out;
        },
        py::arg("db"), py::arg("now"),
        "The request book's service levels per activity and customers' declines per reference "
        "as of the start of `now` (measurement/request_figures.hpp).");
}

}  // namespace refmatch::python
