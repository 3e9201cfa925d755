// The referral program (refmatch::referrals): the program as a Python object whose tables come
// back as columns (refmatch/_referrals.py makes DataFrames of them), the checks, the operations,
// the database tables and the statistics. Everything here converts; the rules live in C++.

#include "bind_common.hpp"

#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/generator.hpp>
#include <refmatch/referrals/program.hpp>
#include <refmatch/referrals/similarity.hpp>
#include <refmatch/referrals/statistics.hpp>

#include <string>
#include <vector>

namespace refmatch::python {
namespace {

namespace rr = referrals;

py::object optional_day(const std::optional<date>& d) {
    return d ? py::cast(format_date(*d)) : py::object(py::none());
}
date day_of(const std::string& text, const char* what) {
    const auto d = parse_date(text);
    if (!d)
        throw py::value_error(std::string(what) + ": expected a date YYYY-MM-DD, got '" + text +
                              "'");
    return *d;
}

py::dict referral_columns(const rr::referral_program& p) {
    py::list id, referrer, name, domain, email, country, channel, campaign, variant, referred,
        qualified, converted, opportunity, value, status;
    for (const auto& r : p.referrals) {
        id.append(r.id);
        referrer.append(r.referrer_id);
        name.append(r.referred.name);
        domain.append(r.referred.domain);
        email.append(r.referred.email);
        country.append(r.referred.country);
        channel.append(r.channel);
        campaign.append(r.campaign);
        variant.append(r.variant);
        referred.append(format_date(r.referred_on));
        qualified.append(optional_day(r.qualified_on));
        converted.append(optional_day(r.converted_on));
        opportunity.append(r.opportunity_id);
        value.append(r.deal_value);
        status.append(std::string(rr::to_string(r.status)));
    }
    py::dict d;
    d["id"] = id;
    d["referrer_id"] = referrer;
    d["name"] = name;
    d["domain"] = domain;
    d["email"] = email;
    d["country"] = country;
    d["channel"] = channel;
    d["campaign"] = campaign;
    d["variant"] = variant;
    d["referred_on"] = referred;
    d["qualified_on"] = qualified;
    d["converted_on"] = converted;
    d["opportunity_id"] = opportunity;
    d["deal_value"] = value;
    d["status"] = status;
    return d;
}

py::dict account_columns(const rr::referral_program& p) {
    py::list id, name, domain, country, kind, since, value, referral;
    for (const auto& a : p.accounts) {
        id.append(a.id);
        name.append(a.name);
        domain.append(a.domain);
        country.append(a.country);
        kind.append(std::string(rr::to_string(a.kind)));
        since.append(optional_day(a.since));
        value.append(a.first_year_value ? py::cast(*a.first_year_value) : py::object(py::none()));
        referral.append(a.referral_id);
    }
    py::dict d;
    d["id"] = id;
    d["name"] = name;
    d["domain"] = domain;
    d["country"] = country;
    d["kind"] = kind;
    d["since"] = since;
    d["first_year_value"] = value;
    d["referral_id"] = referral;
    return d;
}

py::dict reward_columns(const rr::referral_program& p) {
    py::list id, referral, side, recipient, kind, amount, state, earned;
    for (const auto& w : p.rewards) {
        id.append(w.id);
        referral.append(w.referral_id);
        side.append(std::string(rr::to_string(w.side)));
        recipient.append(w.recipient);
        kind.append(std::string(rr::to_string(w.offer.kind)));
        amount.append(w.offer.amount);
        state.append(std::string(rr::to_string(w.state)));
        earned.append(format_date(w.earned_on));
    }
    py::dict d;
    d["id"] = id;
    d["referral_id"] = referral;
    d["side"] = side;
    d["recipient"] = recipient;
    d["kind"] = kind;
    d["amount"] = amount;
    d["state"] = state;
    d["earned_on"] = earned;
    return d;
}

py::dict override_columns(const rr::referral_program& p) {
    py::list referral, level, by, reason, on;
    for (const auto& o : p.overrides) {
        referral.append(o.referral_id);
        level.append(std::string(rr::to_string(o.level)));
        by.append(o.by);
        reason.append(o.reason);
        on.append(format_date(o.on));
    }
    py::dict d;
    d["referral_id"] = referral;
    d["level"] = level;
    d["by"] = by;
    d["reason"] = reason;
    d["on"] = on;
    return d;
}

py::dict check_columns(const std::vector<rr::referral>& referrals, const rr::check_report& r) {
    py::list referral, kind, level, reason, evidence, ids, levels;
    for (const auto& f : r.findings) {
        referral.append(f.referral_id);
        kind.append(std::string(rr::to_string(f.kind)));
        level.append(std::string(rr::to_string(f.level)));
        reason.append(f.reason);
        evidence.append(f.evidence);
    }
    for (std::size_t i = 0; i < referrals.size(); ++i) {
        ids.append(referrals[i].id);
        levels.append(std::string(rr::to_string(r.levels[i])));
    }
    py::dict findings, per_referral, d;
    findings["referral_id"] = referral;
    findings["kind"] = kind;
    findings["level"] = level;
    findings["reason"] = reason;
    findings["evidence"] = evidence;
    per_referral["referral_id"] = ids;
    per_referral["level"] = levels;
    d["findings"] = findings;
    d["levels"] = per_referral;
    return d;
}

rr::check_options check_options_of(double threshold, std::uint32_t window, std::uint32_t per_day,
                                   std::uint32_t per_week, unsigned threads) {
    rr::check_options o;
    o.name_threshold = threshold;
    o.window_days = window;
    o.max_per_day = per_day;
    o.max_per_week = per_week;
    o.threads = threads;
    return o;
}

py::dict proportion_dict(const rr::proportion_test& t) {
    py::dict d;
    d["x_a"] = t.x_a;
    d["n_a"] = t.n_a;
    d["x_b"] = t.x_b;
    d["n_b"] = t.n_b;
    d["p_a"] = t.p_a;
    d["p_b"] = t.p_b;
    d["difference"] = t.difference;
    d["z"] = t.z;
    d["p_value_z"] = t.p_value_z;
    d["p_value_fisher"] = t.p_value_fisher;
    d["low"] = t.low;
    d["high"] = t.high;
    d["confidence"] = t.confidence;
    d["small_counts"] = t.small_counts;
    return d;
}

py::dict mean_difference_dict(const rr::mean_difference& m) {
    py::dict d;
    d["n_a"] = m.n_a;
    d["n_b"] = m.n_b;
    d["mean_a"] = m.mean_a;
    d["mean_b"] = m.mean_b;
    d["difference"] = m.difference;
    d["low"] = m.low;
    d["high"] = m.high;
    d["confidence"] = m.confidence;
    d["resamples"] = m.resamples;
    return d;
}

rr::referral referral_of(const std::string& id, const std::string& referrer,
                         const std::string& name, const std::string& domain,
                         const std::string& email, const std::string& country,
                         const std::string& channel, const std::string& campaign,
                         const std::string& variant, const std::string& referred_on) {
    rr::referral r;
    r.id = id;
    r.referrer_id = referrer;
    r.referred = {name, domain, email, country};
    r.channel = channel;
    r.campaign = campaign;
    r.variant = variant;
    r.referred_on = day_of(referred_on, "referred_on");
    return r;
}

rr::referral_status status_of(const std::string& s) {
    const auto v = rr::parse_referral_status(s);
    if (!v) throw py::value_error("unknown referral status '" + s + "'");
    return *v;
}
rr::check_level level_of(const std::string& s) {
    const auto v = rr::parse_check_level(s);
    if (!v) throw py::value_error("unknown check level '" + s + "' (pass, review, reject)");
    return *v;
}
rr::reward_state state_of(const std::string& s) {
    const auto v = rr::parse_reward_state(s);
    if (!v) throw py::value_error("unknown reward state '" + s + "'");
    return *v;
}
rr::funnel_by funnel_of(const std::string& s) {
    if (s == "channel") return rr::funnel_by::channel;
    if (s == "campaign") return rr::funnel_by::campaign;
    if (s == "variant") return rr::funnel_by::variant;
    if (s == "referrer") return rr::funnel_by::referrer;
    throw py::value_error("funnel by '" + s + "': expected channel, campaign, variant or referrer");
}

}  // namespace

void bind_referrals(py::module_& m) {
    py::class_<rr::referral_program>(m, "ReferralProgram",
                                     "A referral program (docs/referrals.md); its tables come as "
                                     "DataFrames from the refmatch package.")
        .def(py::init<>())
        .def("_referral_columns", &referral_columns)
        .def("_account_columns", &account_columns)
        .def("_reward_columns", &reward_columns)
        .def("_override_columns", &override_columns)
        .def(
            "_check",
            [](const rr::referral_program& p, double threshold, std::uint32_t window,
               std::uint32_t per_day, std::uint32_t per_week, unsigned threads) {
                rr::check_report report;
                {
                    py::gil_scoped_release release;
                    report = rr::check_referrals(
                        p.referrals, p.accounts, p.overrides,
                        check_options_of(threshold, window, per_day, per_week, threads));
                }
                return check_columns(p.referrals, report);
            },
            py::arg("threshold"), py::arg("window"), py::arg("per_day"), py::arg("per_week"),
            py::arg("threads"))
        .def("apply_checks",
             [](rr::referral_program& p) {
                 const auto report = rr::check_referrals(p.referrals, p.accounts, p.overrides);
                 rr::apply_checks(p, report);
             })
        .def(
            "add_account",
            [](rr::referral_program& p, const std::string& id, const std::string& name,
               const std::string& domain, const std::string& kind,
               std::optional<double> first_year_value, const std::string& referral_id) {
                rr::account a;
                a.id = id;
                a.name = name;
                a.domain = rr::normalise_domain(domain);
                const auto k = rr::parse_account_kind(kind);
                if (!k) throw py::value_error("unknown account kind '" + kind + "'");
                a.kind = *k;
                a.first_year_value = first_year_value;
                a.referral_id = referral_id;
                p.accounts.push_back(std::move(a));
            },
            py::arg("id"), py::arg("name"), py::arg("domain") = "", py::arg("kind") = "customer",
            py::arg("first_year_value") = py::none(), py::arg("referral_id") = "")
        .def(
            "add_referral",
            [](rr::referral_program& p, const std::string& id, const std::string& referrer,
               const std::string& name, const std::string& domain, const std::string& email,
               const std::string& country, const std::string& channel, const std::string& campaign,
               const std::string& variant, const std::string& referred_on) {
                rr::add_referral(p, referral_of(id, referrer, name, domain, email, country, channel,
                                                campaign, variant, referred_on));
            },
            py::arg("id"), py::arg("referrer_id"), py::arg("name"), py::arg("domain") = "",
            py::arg("email") = "", py::arg("country") = "", py::arg("channel") = "",
            py::arg("campaign") = "", py::arg("variant") = "", py::arg("referred_on"))
        .def(
            "advance_referral",
            [](rr::referral_program& p, const std::string& id, const std::string& to,
               const std::string& day, const std::string& opportunity, double value) {
                rr::advance_referral(p, id, status_of(to), day_of(day, "day"), opportunity, value);
            },
            py::arg("id"), py::arg("to"), py::arg("day"), py::arg("opportunity_id") = "",
            py::arg("deal_value") = 0.0)
        .def(
            "override_checks",
            [](rr::referral_program& p, const std::string& id, const std::string& level,
               const std::string& by, const std::string& reason, const std::string& on) {
                rr::override_checks(p, {id, level_of(level), by, reason, day_of(on, "on")});
            },
            py::arg("referral_id"), py::arg("level"), py::arg("by"), py::arg("reason"),
            py::arg("on"))
        .def(
            "move_reward",
            [](rr::referral_program& p, const std::string& id, const std::string& to) {
                rr::move_reward(p, id, state_of(to));
            },
            py::arg("reward_id"), py::arg("to"))
        .def("_funnel",
             [](const rr::referral_program& p, const std::string& by) {
                 py::list rows;
                 for (const auto& r : rr::funnel(p, funnel_of(by))) {
                     py::dict d;
                     d["group"] = r.group;
                     d["referred"] = r.referred;
                     d["qualified"] = r.qualified;
                     d["converted"] = r.converted;
                     d["lost"] = r.lost;
                     d["rejected"] = r.rejected;
                     d["conversion"] = r.conversion;
                     d["median_days_to_convert"] = r.median_days_to_convert
                                                       ? py::cast(*r.median_days_to_convert)
                                                       : py::object(py::none());
                     d["deal_value"] = r.deal_value;
                     d["reward_cost"] = r.reward_cost;
                     rows.append(d);
                 }
                 return rows;
             })
        .def("economics",
             [](const rr::referral_program& p) {
                 const auto e = rr::economics(p);
                 py::dict d;
                 d["conversions"] = e.conversions;
                 d["reward_cost"] = e.reward_cost;
                 d["issued_cost"] = e.issued_cost;
                 d["deal_value"] = e.deal_value;
                 d["cost_per_acquisition"] = e.cost_per_acquisition
                                                 ? py::cast(*e.cost_per_acquisition)
                                                 : py::object(py::none());
                 d["return_on_program"] =
                     e.return_on_program ? py::cast(*e.return_on_program) : py::object(py::none());
                 return d;
             })
        .def(
            "referred_value",
            [](const rr::referral_program& p, std::uint32_t resamples, std::uint64_t seed,
               double confidence) {
                return mean_difference_dict(rr::referred_value(p, resamples, seed, confidence));
            },
            py::arg("resamples") = 2000, py::arg("seed") = 1, py::arg("confidence") = 0.95)
        .def(
            "ab_test",
            [](const rr::referral_program& p, const std::string& a, const std::string& b,
               std::uint64_t planned, double confidence) {
                const auto r = rr::ab_test(p, a, b, planned, confidence);
                auto d = proportion_dict(r.test);
                d["variant_a"] = r.variant_a;
                d["variant_b"] = r.variant_b;
                d["planned_per_variant"] = r.planned_per_variant;
                d["stopped_early"] = r.stopped_early;
                d["needed_per_variant"] = r.needed_per_variant;
                return d;
            },
            py::arg("variant_a"), py::arg("variant_b"), py::arg("planned_per_variant") = 0,
            py::arg("confidence") = 0.95)
        .def(
            "save",
            [](const rr::referral_program& p, const std::string& dir, bool json) {
                rr::save_referral_program(p, dir, json);
            },
            py::arg("directory"), py::arg("json") = false)
        .def("__len__", [](const rr::referral_program& p) { return p.referrals.size(); })
        .def("__repr__",
             [](const rr::referral_program& p) {
                 return "ReferralProgram(" + std::to_string(p.accounts.size()) + " accounts, " +
                        std::to_string(p.referrals.size()) + " referrals, " +
                        std::to_string(p.rewards.size()) + " rewards)";
             })
        .def("__eq__",
             [](const rr::referral_program& a, const rr::referral_program& b) { return a == b; });

    m.def(
        "load_referral_program",
        [](const std::string& dir) { return rr::load_referral_program(dir); }, py::arg("directory"),
        "Reads a referral program directory (docs/referrals.md).");
    m.def(
        "generate_referrals",
        [](std::size_t referrals, std::size_t customers, std::size_t rings, std::size_t duplicates,
           std::size_t self_referrals, std::size_t bursts, std::size_t disposable,
           std::uint64_t seed) {
            rr::referral_generator_options o;
            o.referrals = referrals;
            o.customers = customers;
            o.opportunities = customers / 4;
            o.rings = rings;
            o.duplicates = duplicates;
            o.self_referrals = self_referrals;
            o.bursts = bursts;
            o.disposable = disposable;
            o.seed = seed;
            auto g = rr::generate_referrals(o);
            py::dict planted;
            planted["ring"] = g.rings;
            planted["duplicate"] = g.duplicates;
            planted["self_referral"] = g.self_referrals;
            planted["velocity"] = g.bursts;
            planted["email_domain"] = g.disposable;
            return py::make_tuple(std::move(g.program), planted);
        },
        py::arg("referrals") = 10000, py::arg("customers") = 2000, py::arg("rings") = 10,
        py::arg("duplicates") = 200, py::arg("self_referrals") = 50, py::arg("bursts") = 5,
        py::arg("disposable") = 50, py::arg("seed") = 42,
        "A synthetic referral program and the ids of its planted cases, by check.");

    py::class_<rr::referral_database>(m, "ReferralDatabase",
                                      "The referral tables of a program database; each write is "
                                      "one transaction.")
        .def(py::init([](const std::string& path, bool create) {
                 return rr::referral_database(path, create);
             }),
             py::arg("path"), py::arg("create") = false)
        .def("load", &rr::referral_database::load)
        .def("__repr__",
             [](const rr::referral_database&) { return std::string("ReferralDatabase()"); })
        .def("import_program", &rr::referral_database::import_program)
        .def(
            "add_referral",
            [](rr::referral_database& db, const std::string& id, const std::string& referrer,
               const std::string& name, const std::string& domain, const std::string& email,
               const std::string& country, const std::string& channel, const std::string& campaign,
               const std::string& variant, const std::string& referred_on) {
                db.add_referral(referral_of(id, referrer, name, domain, email, country, channel,
                                            campaign, variant, referred_on));
            },
            py::arg("id"), py::arg("referrer_id"), py::arg("name"), py::arg("domain") = "",
            py::arg("email") = "", py::arg("country") = "", py::arg("channel") = "",
            py::arg("campaign") = "", py::arg("variant") = "", py::arg("referred_on"))
        .def(
            "advance_referral",
            [](rr::referral_database& db, const std::string& id, const std::string& to,
               const std::string& day, const std::string& opportunity, double value) {
                db.advance_referral(id, status_of(to), day_of(day, "day"), opportunity, value);
            },
            py::arg("id"), py::arg("to"), py::arg("day"), py::arg("opportunity_id") = "",
            py::arg("deal_value") = 0.0)
        .def("run_checks",
             [](rr::referral_database& db) {
                 const auto report = db.run_checks();
                 return check_columns(db.load().referrals, report);
             })
        .def(
            "override_checks",
            [](rr::referral_database& db, const std::string& id, const std::string& level,
               const std::string& by, const std::string& reason, const std::string& on) {
                db.override_checks({id, level_of(level), by, reason, day_of(on, "on")});
            },
            py::arg("referral_id"), py::arg("level"), py::arg("by"), py::arg("reason"),
            py::arg("on"))
        .def(
            "move_reward",
            [](rr::referral_database& db, const std::string& id, const std::string& to) {
                db.move_reward(id, state_of(to));
            },
            py::arg("reward_id"), py::arg("to"));

    // Statistics on plain numbers.
    m.def(
        "compare_proportions",
        [](std::uint64_t xa, std::uint64_t na, std::uint64_t xb, std::uint64_t nb,
           double confidence) {
            return proportion_dict(rr::compare_proportions(xa, na, xb, nb, confidence));
        },
        py::arg("x_a"), py::arg("n_a"), py::arg("x_b"), py::arg("n_b"),
        py::arg("confidence") = 0.95,
        "Two proportions: pooled z-test, Fisher's exact test, Wald interval of the difference.");
    m.def("fisher_exact_two_sided", &rr::fisher_exact_two_sided, py::arg("a"), py::arg("b"),
          py::arg("c"), py::arg("d"), "Fisher's exact test on [[a, b], [c, d]], two-sided.");
    m.def("sample_size_two_proportions", &rr::sample_size_two_proportions, py::arg("p1"),
          py::arg("p2"), py::arg("alpha") = 0.05, py::arg("power") = 0.8,
          "Sample size per group to tell p1 from p2 (two-sided).");
    m.def("normal_quantile", &rr::normal_quantile, py::arg("p"));
    m.def("jaro_winkler", &rr::jaro_winkler, py::arg("a"), py::arg("b"));
    m.def("normalise_company_name", &rr::normalise_company_name, py::arg("name"));
}

}  // namespace refmatch::python
