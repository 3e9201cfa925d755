// The matching engine: match options and results, match / match_batch, gap analysis.
//
// Long calls convert their arguments, release the GIL and run in C++. A batch reports progress
// through batch_options::progress, which the engine calls on the calling thread: the callback
// here takes the GIL back, checks for signals (Ctrl-C) and calls the user's callback; a signal or
// an exception cancels the batch, and it is raised once the engine has stopped its threads.

#include "bind_common.hpp"
#include "bind_engine.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/match.hpp>

#include <pybind11/numpy.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace refmatch::python {
namespace {

// Version of the pickled state of an engine.
constexpr int engine_state_version = 1;

// A list of prospects converted once to C++ (from a DataFrame, a list or store ids).
struct prospect_batch {
    std::vector<prospect> items;
};

scan_kernel kernel_from(const std::string& name) {
    for (auto k :
         {scan_kernel::automatic, scan_kernel::scalar, scan_kernel::avx2, scan_kernel::avx512})
        if (to_string(k) == name) return k;
    throw py::value_error("unknown kernel '" + name +
                          "': expected 'automatic', 'scalar', 'avx2' or 'avx512'");
}

geography_level geography_from(const py::handle& h) {
    if (h.is_none()) return geography_level::none;
    const auto s = h.cast<std::string>();
    if (const auto level = parse_geography_level(s)) return *level;
    throw py::value_error("unknown geography level '" + s +
                          "': expected None, 'region', 'sub_region' or 'country'");
}

py::object geography_name(geography_level g) {
    switch (g) {
        case geography_level::region:
            return py::str("region");
        case geography_level::sub_region:
            return py::str("sub_region");
        case geography_level::country:
            return py::str("country");
        default:
            return py::none();
    }
}

// A Python callable kept by a std::function that may be copied and destroyed on threads that do
// not hold the GIL: the reference is released under the GIL.
struct shared_callable {
    explicit shared_callable(py::object f)
        : fn(new py::object(std::move(f)), [](py::object* o) {
              py::gil_scoped_acquire gil;
              delete o;
          }) {}
    std::shared_ptr<py::object> fn;
};

std::function<bool(const reference_customer&)> to_predicate(const py::handle& h) {
    if (h.is_none()) return {};
    shared_callable c(py::reinterpret_borrow<py::object>(h));
    return [c](const reference_customer& r) {
        py::gil_scoped_acquire gil;
        return py::bool_((*c.fn)(r)).cast<bool>();
    };
}

score_weights weights_from(const py::handle& h) {
    if (h.is_none()) return {};
    if (py::isinstance<score_weights>(h)) return h.cast<score_weights>();
    score_weights w;
    const auto d = h.cast<py::dict>();
    for (auto item : d) {
        const auto key = item.first.cast<std::string>();
        const auto value = item.second.cast<double>();
        if (key == "industry")
            w.industry = value;
        else if (key == "product")
            w.product = value;
        else if (key == "geography")
            w.geography = value;
        else if (key == "size")
            w.size = value;
        else
            throw py::value_error("unknown weight '" + key +
                                  "': expected industry, product, geography or size");
    }
    return w;
}

// The number of references asked for: a whole number >= 1 (pybind would turn -1 into a bare
// TypeError, and the engine reads 0 as "no reference").
std::size_t k_from(const py::handle& h, std::string_view subject) {
    if (py::isinstance<py::int_>(h) && !py::isinstance<py::bool_>(h)) {
        const auto k = h.cast<long long>();
        if (k >= 1) return static_cast<std::size_t>(k);
    }
    throw validation_error(std::string(subject), "k", "a whole number >= 1",
                           py::repr(h).cast<std::string>());
}

match_options make_options(const py::handle& activity, bool use_prospect_activity,
                           std::optional<date> now, const py::handle& weights,
                           double fatigue_weight, const py::handle& same_geography,
                           bool same_sector, bool cover_all_products,
                           std::optional<double> min_score, std::vector<std::string> exclusions,
                           const py::handle& predicate, bool explain, const py::handle& holds) {
    match_options o;
    if (!activity.is_none()) o.activity = activity_from(activity, "match options");
    o.use_prospect_activity = use_prospect_activity;
    o.now = now;
    o.weights = weights_from(weights);
    o.fatigue_weight = fatigue_weight;
    o.same_geography = geography_from(same_geography);
    o.same_sector = same_sector;
    o.cover_all_products = cover_all_products;
    o.min_score = min_score;
    o.exclusions = std::move(exclusions);
    o.predicate = to_predicate(predicate);
    o.explain = explain;
    // Live holds: (reference_id, activity, day) each, as RequestBook.live_holds() lists them.
    if (!holds.is_none()) {
        std::vector<live_hold> list;
        for (const auto& h : py::reinterpret_borrow<py::iterable>(holds)) {
            const auto t = h.cast<py::sequence>();
            if (t.size() != 3)
                throw validation_error("match options", "holds",
                                       "(reference_id, activity, day) for each hold",
                                       py::repr(h).cast<std::string>());
            list.push_back({t[0].cast<std::string>(), activity_from(t[1], "match options holds"),
                            t[2].cast<date>()});
        }
        if (!list.empty()) o.holds = std::make_shared<const hold_index>(std::move(list));
    }
    return o;
}

py::dict weights_dict(const score_weights& w) {
    py::dict d;
    d["industry"] = w.industry;
    d["product"] = w.product;
    d["geography"] = w.geography;
    d["size"] = w.size;
    return d;
}

py::object quota_dict(const std::optional<quota_state>& q) {
    if (!q) return py::none();
    py::dict d;
    d["activity"] = activity_label(q->activity);
    d["used"] = q->used;
    d["max_uses"] = py::cast(q->max_uses);
    d["window_days"] = q->window_days;
    d["cooldown_days"] = q->cooldown_days;
    d["last_use"] = py::cast(q->last_use);
    d["utilisation"] = q->utilisation;
    return d;
}

py::dict result_dict(const match_result& r) {
    py::dict d;
    d["reference_id"] = r.reference_id;
    d["final"] = r.final_score;
    d["base"] = r.base_score;
    d["fatigue"] = r.fatigue_factor;
    py::dict c;
    c["industry"] = r.components.industry;
    c["product"] = r.components.product;
    c["geography"] = r.components.geography;
    c["size"] = r.components.size;
    d["components"] = c;
    d["weights"] = weights_dict(r.weights);
    d["products_matched"] = r.products_matched;
    d["products_requested"] = r.products_requested;
    d["quota"] = quota_dict(r.quota);
    d["reason"] = r.reason;
    return d;
}

}  // namespace

std::vector<prospect> to_prospects(const py_engine& e, const py::handle& h) {
    if (py::isinstance<prospect_batch>(h)) return h.cast<const prospect_batch&>().items;
    if (py::isinstance<prospect>(h)) return {h.cast<prospect>()};
    std::vector<prospect> out;
    for (auto item : py::reinterpret_borrow<py::iterable>(h)) {
        if (py::isinstance<py::str>(item))
            out.push_back(e.prog->prospects.at(item.cast<std::string>()));
        else
            out.push_back(item.cast<prospect>());
    }
    return out;
}

namespace {

// Runs `work(batch_options)` without the GIL, with a progress callback that checks signals and
// calls `progress(done, total)` (any callable; a falsy return other than None cancels).
template <class Work>
auto run_cancellable(const py::object& progress, double interval_s, Work&& work) {
    std::optional<py::error_already_set> raised;
    bool user_cancelled = false;
    batch_options batch;
    batch.progress_interval =
        std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.001, interval_s) * 1000.0));
    batch.progress = [&](const progress_update& at) -> bool {
        py::gil_scoped_acquire gil;
        if (raised || user_cancelled) return false;
        if (PyErr_CheckSignals() != 0) {
            raised.emplace();
            return false;
        }
        if (progress.is_none()) return true;
        try {
            const py::object answer = progress(at.done, at.total);
            if (!answer.is_none() && !py::bool_(answer)) {
                user_cancelled = true;
                return false;
            }
        } catch (py::error_already_set& e) {
            raised.emplace(std::move(e));
            return false;
        }
        return true;
    };
    std::optional<decltype(work(batch))> out;
    bool cancelled = false;
    {
        py::gil_scoped_release unlocked;
        try {
            out.emplace(work(batch));
        } catch (const match_cancelled&) {
            cancelled = true;
        }
    }
    if (raised) throw std::move(*raised);
    if (cancelled) throw match_cancelled();
    return std::move(*out);
}

// The tidy columns of a batch result: one row per (prospect, rank), with the prospect's and the
// reference's names and the quota (used, max_uses) of the activity in force (None without one).
py::dict batch_columns(const program& prog, const std::vector<prospect>& prospects,
                       const std::vector<std::vector<match_result>>& results) {
    std::size_t rows = 0;
    for (const auto& r : results) rows += r.size();
    py::list prospect_id(rows), prospect_name(rows), reference_id(rows), reference_name(rows),
        reason(rows), used(rows), max_uses(rows);
    py::array_t<std::int32_t> rank(static_cast<py::ssize_t>(rows));
    py::array_t<double> final_(static_cast<py::ssize_t>(rows)),
        base(static_cast<py::ssize_t>(rows)), industry(static_cast<py::ssize_t>(rows)),
        product(static_cast<py::ssize_t>(rows)), geography(static_cast<py::ssize_t>(rows)),
        size(static_cast<py::ssize_t>(rows)), fatigue(static_cast<py::ssize_t>(rows));
    auto rk = rank.mutable_unchecked<1>();
    auto fi = final_.mutable_unchecked<1>();
    auto ba = base.mutable_unchecked<1>();
    auto in = industry.mutable_unchecked<1>();
    auto pr = product.mutable_unchecked<1>();
    auto ge = geography.mutable_unchecked<1>();
    auto si = size.mutable_unchecked<1>();
    auto fa = fatigue.mutable_unchecked<1>();
    py::str empty("");
    // Each reference's name looked up once, however many prospects it serves.
    std::unordered_map<std::string, py::str> names;
    const auto name_of = [&](const std::string& id) -> py::str {
        auto it = names.find(id);
        if (it == names.end()) {
            const auto r = prog.references.find(id);
            it = names.emplace(id, py::str(r ? r->name : std::string())).first;
        }
        return it->second;
    };
    py::ssize_t row = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        py::str pid(prospects[i].id);
        py::str pname(prospects[i].name);
        std::int32_t r = 0;
        for (const auto& m : results[i]) {
            const auto at = static_cast<std::size_t>(row);
            prospect_id[at] = pid;
            prospect_name[at] = pname;
            reference_id[at] = py::str(m.reference_id);
            reference_name[at] = name_of(m.reference_id);
            reason[at] = m.reason.empty() ? empty : py::str(m.reason);
            used[at] = m.quota ? py::object(py::int_(m.quota->used)) : py::object(py::none());
            max_uses[at] = m.quota && m.quota->max_uses ? py::object(py::int_(*m.quota->max_uses))
                                                        : py::object(py::none());
            rk(row) = ++r;
            fi(row) = m.final_score;
            ba(row) = m.base_score;
            in(row) = m.components.industry;
            pr(row) = m.components.product;
            ge(row) = m.components.geography;
            si(row) = m.components.size;
            fa(row) = m.fatigue_factor;
            ++row;
        }
    }
    py::dict d;
    d["prospect_id"] = prospect_id;
    d["prospect_name"] = prospect_name;
    d["rank"] = rank;
    d["reference_id"] = reference_id;
    d["reference_name"] = reference_name;
    d["final"] = final_;
    d["base"] = base;
    d["industry"] = industry;
    d["product"] = product;
    d["geography"] = geography;
    d["size"] = size;
    d["fatigue"] = fatigue;
    d["used"] = used;
    d["max_uses"] = max_uses;
    d["reason"] = reason;
    return d;
}

}  // namespace

void bind_engine(py::module_& m) {
    py::class_<score_weights>(m, "ScoreWeights",
                              "Weights of the four components; only their ratios matter. "
                              "Defaults 0.35 / 0.35 / 0.20 / 0.10.")
        .def(py::init([](double industry, double product, double geography, double size) {
                 return score_weights{industry, product, geography, size};
             }),
             py::kw_only(), py::arg("industry") = 0.35, py::arg("product") = 0.35,
             py::arg("geography") = 0.20, py::arg("size") = 0.10)
        .def_readwrite("industry", &score_weights::industry)
        .def_readwrite("product", &score_weights::product)
        .def_readwrite("geography", &score_weights::geography)
        .def_readwrite("size", &score_weights::size)
        .def("validate", &score_weights::validate,
             "Raises ValidationError for a negative or non-finite weight or a sum that is not "
             "positive.")
        .def("to_dict", &weights_dict)
        .def(py::self == py::self)
        .def("__repr__",
             [](const score_weights& w) {
                 return "ScoreWeights(industry=" + score_weights::format_number(w.industry) +
                        ", product=" + score_weights::format_number(w.product) +
                        ", geography=" + score_weights::format_number(w.geography) +
                        ", size=" + score_weights::format_number(w.size) + ")";
             })
        .def(py::pickle(
            [](const score_weights& w) {
                return py::make_tuple(1, w.industry, w.product, w.geography, w.size);
            },
            [](py::tuple t) {
                if (t.size() != 5 || t[0].cast<int>() != 1)
                    throw py::value_error("cannot unpickle ScoreWeights: expected state version 1");
                return score_weights{t[1].cast<double>(), t[2].cast<double>(), t[3].cast<double>(),
                                     t[4].cast<double>()};
            }));

    py::class_<match_options>(
        m, "MatchOptions",
        "Everything a match can be asked besides the prospect and k (see docs/python.md).\n"
        "Engine.match and Engine.match_batch take the same names as keyword arguments.")
        .def(py::init(&make_options), py::kw_only(), py::arg("activity") = py::none(),
             py::arg("use_prospect_activity") = true, py::arg("now") = py::none(),
             py::arg("weights") = py::none(), py::arg("fatigue_weight") = 0.5,
             py::arg("same_geography") = py::none(), py::arg("same_sector") = false,
             py::arg("cover_all_products") = false, py::arg("min_score") = py::none(),
             py::arg("exclusions") = std::vector<std::string>{}, py::arg("predicate") = py::none(),
             py::arg("explain") = true, py::arg("holds") = py::none())
        .def_property_readonly("activity", [](const match_options& o) { return o.activity; })
        .def_readonly("use_prospect_activity", &match_options::use_prospect_activity)
        .def_readonly("now", &match_options::now)
        .def_readonly("weights", &match_options::weights)
        .def_readonly("fatigue_weight", &match_options::fatigue_weight)
        .def_property_readonly(
            "same_geography",
            [](const match_options& o) { return geography_name(o.same_geography); })
        .def_readonly("same_sector", &match_options::same_sector)
        .def_readonly("cover_all_products", &match_options::cover_all_products)
        .def_readonly("min_score", &match_options::min_score)
        .def_readonly("exclusions", &match_options::exclusions)
        .def_property_readonly("has_predicate",
                               [](const match_options& o) { return bool(o.predicate); })
        .def_readonly("explain", &match_options::explain)
        .def_property_readonly(
            "holds",
            [](const match_options& o) {
                py::list out;
                if (o.holds)
                    for (const auto& h : o.holds->holds())
                        out.append(py::make_tuple(h.reference_id, h.activity, py::cast(h.day)));
                return out;
            },
            "The live holds counted like uses: (reference_id, ActivityId, day) each.")
        .def("validate", &match_options::validate)
        .def("__repr__", [](const match_options& o) {
            std::string s = "MatchOptions(activity=" +
                            (o.activity ? python::quoted(activity_label(*o.activity)) : "None") +
                            ", now=" + (o.now ? python::quoted(format_date(*o.now)) : "None") +
                            ", weights=" + py::repr(py::cast(o.weights)).cast<std::string>() +
                            ", fatigue_weight=" + score_weights::format_number(o.fatigue_weight);
            if (o.same_geography != geography_level::none)
                s += ", same_geography=" +
                     py::repr(geography_name(o.same_geography)).cast<std::string>();
            if (o.same_sector) s += ", same_sector=True";
            if (o.cover_all_products) s += ", cover_all_products=True";
            if (o.min_score) s += ", min_score=" + score_weights::format_number(*o.min_score);
            if (!o.exclusions.empty())
                s += ", exclusions=" + py::repr(py::cast(o.exclusions)).cast<std::string>();
            if (o.predicate) s += ", predicate=<callable>";
            if (o.holds) s += ", holds=<" + std::to_string(o.holds->size()) + " live holds>";
            return s + ")";
        });

    py::class_<quota_state>(m, "QuotaState",
                            "The quota of a reference for an activity on a day (the one that "
                            "applied to a result).")
        .def_readonly("activity", &quota_state::activity)
        .def_readonly("used", &quota_state::used)
        .def_readonly("max_uses", &quota_state::max_uses)
        .def_readonly("window_days", &quota_state::window_days)
        .def_readonly("cooldown_days", &quota_state::cooldown_days)
        .def_readonly("last_use", &quota_state::last_use)
        .def_readonly("utilisation", &quota_state::utilisation)
        .def_readonly("cooldown_end", &quota_state::cooldown_end,
                      "The first day a use is allowed again after the cooldown, if one applies.")
        .def_property_readonly("eligible", &quota_state::eligible)
        .def_property_readonly("reason", &quota_state::reason,
                               "Why it is not eligible ('in cooldown until 2025-07-14'), or "
                               "'eligible'.")
        .def("to_dict", [](const quota_state& q) { return quota_dict(q); })
        .def("__repr__", [](const quota_state& q) {
            return "QuotaState(" + python::quoted(activity_label(q.activity)) +
                   ", used=" + std::to_string(q.used) + ", max_uses=" + optional_repr(q.max_uses) +
                   ", window_days=" + std::to_string(q.window_days) + ")";
        });

    py::class_<match_result>(m, "MatchResult",
                             "One reference proposed for a prospect, with its explanation.")
        .def_readonly("reference_id", &match_result::reference_id)
        .def_readonly("final", &match_result::final_score, "base * fatigue: the ranking score.")
        .def_readonly("base", &match_result::base_score)
        .def_readonly("fatigue", &match_result::fatigue_factor, "1 - phi * utilisation.")
        .def_property_readonly("industry",
                               [](const match_result& r) { return r.components.industry; })
        .def_property_readonly("product",
                               [](const match_result& r) { return r.components.product; })
        .def_property_readonly("geography",
                               [](const match_result& r) { return r.components.geography; })
        .def_property_readonly("size", [](const match_result& r) { return r.components.size; })
        .def_readonly("weights", &match_result::weights)
        .def_readonly("products_matched", &match_result::products_matched)
        .def_readonly("products_requested", &match_result::products_requested)
        .def_readonly("quota", &match_result::quota)
        .def_readonly("reason", &match_result::reason)
        .def("to_dict", &result_dict, "The whole explanation as a dict.")
        .def("__repr__", [](const match_result& r) {
            return "MatchResult(" + python::quoted(r.reference_id) +
                   ", final=" + score_weights::format_number(r.final_score) +
                   ", base=" + score_weights::format_number(r.base_score) +
                   ", reason=" + python::quoted(r.reason) + ")";
        });

    py::class_<not_returned_reason>(m, "NotReturnedReason",
                                    "One reason a reference is not returned: a cause "
                                    "('at limit', 'excluded', ...) and its text.")
        .def_property_readonly(
            "cause", [](const not_returned_reason& r) { return std::string(to_string(r.cause)); })
        .def_readonly("text", &not_returned_reason::text)
        .def("__repr__", [](const not_returned_reason& r) {
            return "NotReturnedReason(" + python::quoted(std::string(to_string(r.cause))) + ", " +
                   python::quoted(r.text) + ")";
        });

    py::class_<reference_explanation>(
        m, "ReferenceExplanation",
        "Why a reference is, or is not, among a prospect's top k (Engine.explain).")
        .def_readonly("reference_id", &reference_explanation::reference_id)
        .def_readonly("reference_name", &reference_explanation::reference_name)
        .def_readonly("prospect_id", &reference_explanation::prospect_id)
        .def_readonly("k", &reference_explanation::k)
        .def_readonly("score", &reference_explanation::score,
                      "Its MatchResult as a match computes it, eligible or not.")
        .def_readonly("eligible", &reference_explanation::eligible)
        .def_readonly("rank", &reference_explanation::rank,
                      "Its rank among the eligible references (1 = best), None if not eligible.")
        .def_readonly("returned", &reference_explanation::returned)
        .def_readonly("kth_reference_id", &reference_explanation::kth_reference_id)
        .def_readonly("kth_score", &reference_explanation::kth_score)
        .def_readonly("reasons", &reference_explanation::reasons)
        .def_property_readonly("summary", &reference_explanation::summary)
        .def("to_dict",
             [](const reference_explanation& e) {
                 py::dict d;
                 d["reference_id"] = e.reference_id;
                 d["reference_name"] = e.reference_name;
                 d["prospect_id"] = e.prospect_id;
                 d["k"] = e.k;
                 d["eligible"] = e.eligible;
                 d["rank"] = py::cast(e.rank);
                 d["returned"] = e.returned;
                 d["kth_reference_id"] = py::cast(e.kth_reference_id);
                 d["kth_score"] = py::cast(e.kth_score);
                 py::list reasons;
                 for (const auto& r : e.reasons) {
                     py::dict one;
                     one["cause"] = std::string(to_string(r.cause));
                     one["text"] = r.text;
                     reasons.append(one);
                 }
                 d["reasons"] = reasons;
                 d["score"] = result_dict(e.score);
                 return d;
             })
        .def("__repr__", [](const reference_explanation& e) {
            return "ReferenceExplanation(" + python::quoted(e.reference_id) +
                   ", final=" + score_weights::format_number(e.score.final_score) +
                   ", rank=" + optional_repr(e.rank) +
                   ", returned=" + (e.returned ? "True" : "False") +
                   ", summary=" + python::quoted(e.summary()) + ")";
        });

    py::class_<prospect_batch>(m, "ProspectBatch",
                               "Prospects converted once to C++ (see prospects_from_frame), "
                               "ready for repeated batches.")
        .def(py::init([](std::vector<prospect> items) { return prospect_batch{std::move(items)}; }),
             py::arg("prospects"))
        .def_static(
            "from_columns",
            [](const py::dict& columns, const vocabulary& v, const std::string& source) {
                return prospect_batch{prospects_from_columns(columns, v, source)};
            },
            py::arg("columns"), py::arg("vocabulary"), py::kw_only(),
            py::arg("source") = "prospects",
            "Prospects parsed in C++ from columns {name: list of str or None} (the columns of "
            "prospects.csv), checked as a file is; errors carry line = row + 1.")
        .def("__len__", [](const prospect_batch& b) { return b.items.size(); })
        .def("__getitem__",
             [](const prospect_batch& b, std::int64_t i) {
                 if (i < 0) i += static_cast<std::int64_t>(b.items.size());
                 if (i < 0 || static_cast<std::size_t>(i) >= b.items.size())
                     throw py::index_error("prospect index out of range");
                 return b.items[static_cast<std::size_t>(i)];
             })
        .def_property_readonly("ids",
                               [](const prospect_batch& b) {
                                   py::list ids;
                                   for (const auto& p : b.items) ids.append(p.id);
                                   return ids;
                               })
        .def("__repr__", [](const prospect_batch& b) {
            return "ProspectBatch(" + std::to_string(b.items.size()) + " prospects)";
        });

    py::class_<gap_cell>(m, "GapCell", "One NAICS sector x M49 region (x product) cell.")
        .def_readonly("sector", &gap_cell::sector)
        .def_readonly("sector_title", &gap_cell::sector_title)
        .def_readonly("region", &gap_cell::region)
        .def_readonly("region_title", &gap_cell::region_title)
        .def_readonly("product", &gap_cell::product)
        .def_readonly("prospects", &gap_cell::prospects)
        .def_readonly("uncovered", &gap_cell::uncovered)
        .def_readonly("pipeline_value", &gap_cell::pipeline_value)
        .def_readonly("value_at_risk", &gap_cell::value_at_risk)
        .def_property_readonly("best_scores",
                               [](const gap_cell& c) {
                                   py::dict d;
                                   d["min"] = c.best_scores.min;
                                   d["p25"] = c.best_scores.p25;
                                   d["median"] = c.best_scores.median;
                                   d["p75"] = c.best_scores.p75;
                                   d["max"] = c.best_scores.max;
                                   return d;
                               })
        .def_readonly("best_score_histogram", &gap_cell::best_score_histogram)
        .def_readonly("uncovered_prospects", &gap_cell::uncovered_prospects)
        .def("__repr__", [](const gap_cell& c) {
            return "GapCell(sector=" + python::quoted(c.sector) +
                   ", region=" + python::quoted(c.region) +
                   (c.product.empty() ? "" : ", product=" + python::quoted(c.product)) +
                   ", prospects=" + std::to_string(c.prospects) +
                   ", uncovered=" + std::to_string(c.uncovered) +
                   ", value_at_risk=" + score_weights::format_number(c.value_at_risk) + ")";
        });

    py::class_<prospect_coverage>(m, "ProspectCoverage", "How one prospect is covered.")
        .def_readonly("prospect_id", &prospect_coverage::prospect_id)
        .def_readonly("best_score", &prospect_coverage::best_score)
        .def_readonly("qualifying", &prospect_coverage::qualifying)
        .def_readonly("covered", &prospect_coverage::covered)
        .def_readonly("deal_value", &prospect_coverage::deal_value)
        .def_readonly("sector", &prospect_coverage::sector)
        .def_readonly("region", &prospect_coverage::region)
        .def("__repr__", [](const prospect_coverage& c) {
            return "ProspectCoverage(" + python::quoted(c.prospect_id) +
                   ", best_score=" + optional_repr(c.best_score) +
                   ", covered=" + (c.covered ? "True" : "False") + ")";
        });

    py::class_<gap_report>(m, "GapReport",
                           "Gap analysis of a pipeline: cells sorted by value at risk, and the "
                           "coverage of each prospect.")
        .def_readonly("cells", &gap_report::cells)
        .def_readonly("prospects", &gap_report::prospects)
        .def_readonly("uncovered", &gap_report::uncovered)
        .def_readonly("pipeline_value", &gap_report::pipeline_value)
        .def_readonly("value_at_risk", &gap_report::value_at_risk)
        .def("__repr__", [](const gap_report& r) {
            return "GapReport(cells=" + std::to_string(r.cells.size()) +
                   ", prospects=" + std::to_string(r.prospects.size()) +
                   ", uncovered=" + std::to_string(r.uncovered) +
                   ", value_at_risk=" + score_weights::format_number(r.value_at_risk) + ")";
        });

    py::class_<py_engine, std::shared_ptr<py_engine>>(
        m, "Engine",
        "The matching engine of one program: exact top-k eligible references (scoring.md).\n"
        "It scores a snapshot of the program's active references (refresh() after changing "
        "them); usage recorded in the program counts at once. Safe to call from several "
        "threads: the GIL is released while it works.")
        .def(py::init([](std::shared_ptr<program> p, const std::string& kernel) {
                 if (!p) throw py::type_error("Engine needs a Program");
                 const auto k = kernel_from(kernel);
                 py::gil_scoped_release unlocked;
                 return std::make_shared<py_engine>(std::move(p), k, kernel);
             }),
             py::arg("program"), py::kw_only(), py::arg("kernel") = "automatic",
             "Builds the snapshot of the program. kernel: 'automatic', 'scalar', 'avx2' or "
             "'avx512' (all give identical results).")
        .def_property_readonly("program", [](const py_engine& e) { return e.prog; })
        .def_property_readonly(
            "kernel", [](const py_engine& e) { return std::string(to_string(e.eng.kernel())); },
            "The kernel in use.")
        .def_property_readonly(
            "requested_kernel", [](const py_engine& e) { return e.requested_kernel; },
            "The kernel asked for at construction ('automatic' unless forced).")
        .def(
            "refresh", [](py_engine& e) { return e.eng.refresh(); },
            py::call_guard<py::gil_scoped_release>(),
            "Rebuilds the snapshot if the references changed; returns whether it did.")
        .def_property_readonly("stale", [](const py_engine& e) { return e.eng.stale(); })
        .def(
            "stats",
            [](const py_engine& e) {
                const auto s = e.eng.stats();
                py::dict d;
                d["version"] = s.version;
                d["references"] = s.references;
                d["stored_references"] = s.stored_references;
                d["industry_codes"] = s.industry_codes;
                d["geography_codes"] = s.geography_codes;
                d["product_sets"] = s.product_sets;
                d["scoring_bytes"] = s.scoring_bytes;
                d["bytes_per_reference"] = s.bytes_per_reference();
                return d;
            },
            "What the snapshot holds.")
        .def(
            "_activity",
            [](const py_engine& e, const py::handle& activity, const std::string& subject) {
                return activity_from(activity, subject, &e.prog->vocab->activities);
            },
            py::arg("activity"), py::arg("subject"),
            "An activity argument resolved in the program's catalogue (custom activities too); "
            "raises ValidationError listing the program's activities.")
        .def(
            "_match",
            [](const py_engine& e, const py::handle& who, const py::handle& k_arg,
               const match_options& options) {
                const auto k = k_from(k_arg, "match");
                if (py::isinstance<py::str>(who)) {
                    const auto id = who.cast<std::string>();
                    py::gil_scoped_release unlocked;
                    return e.eng.match(std::string_view(id), k, options);
                }
                const auto p = who.cast<prospect>();
                py::gil_scoped_release unlocked;
                return e.eng.match(p, k, options);
            },
            py::arg("prospect"), py::arg("k"), py::arg("options"))
        .def(
            "_explain",
            [](const py_engine& e, const py::handle& who, const std::string& reference_id,
               const py::handle& k_arg, const match_options& options) {
                const auto k = k_from(k_arg, "explain");
                if (py::isinstance<py::str>(who)) {
                    const auto id = who.cast<std::string>();
                    py::gil_scoped_release unlocked;
                    return e.eng.explain(std::string_view(id), reference_id, k, options);
                }
                const auto p = who.cast<prospect>();
                py::gil_scoped_release unlocked;
                return e.eng.explain(p, reference_id, k, options);
            },
            py::arg("prospect"), py::arg("reference_id"), py::arg("k"), py::arg("options"))
        .def(
            "_match_batch",
            [](const py_engine& e, const py::handle& prospects, const py::handle& k_arg,
               const match_options& options, std::size_t threads, const py::object& progress,
               double progress_interval, bool as_columns) -> py::object {
                const auto k = k_from(k_arg, "match_batch");
                auto list = to_prospects(e, prospects);
                auto results = run_cancellable(progress, progress_interval, [&](batch_options& b) {
                    b.threads = threads;
                    return e.eng.match_batch(list, k, options, b);
                });
                if (as_columns) return batch_columns(*e.prog, list, results);
                return py::cast(std::move(results));
            },
            py::arg("prospects"), py::arg("k"), py::arg("options"), py::arg("threads") = 0,
            py::arg("progress") = py::none(), py::arg("progress_interval") = 0.1,
            py::arg("as_columns") = true)
        .def(
            "_gaps",
            [](const py_engine& e, const py::handle& prospects, const match_options& options,
               double threshold, std::size_t min_references, bool by_product,
               std::size_t histogram_bins, std::size_t threads, const py::object& progress,
               double progress_interval) {
                auto list = to_prospects(e, prospects);
                gap_options g;
                g.match = options;
                g.threshold = threshold;
                g.min_references = min_references;
                g.by_product = by_product;
                g.histogram_bins = histogram_bins;
                return run_cancellable(progress, progress_interval, [&](batch_options& b) {
                    b.threads = threads;
                    return analyse_gaps(e.eng, list, g, b);
                });
            },
            py::arg("prospects"), py::arg("options"), py::arg("threshold"),
            py::arg("min_references"), py::arg("by_product"), py::arg("histogram_bins"),
            py::arg("threads") = 0, py::arg("progress") = py::none(),
            py::arg("progress_interval") = 0.1)
        .def("__repr__", [](const py_engine& e) {
            const auto s = e.eng.stats();
            return "Engine(references=" + std::to_string(s.references) +
                   ", kernel=" + python::quoted(to_string(e.eng.kernel())) +
                   (e.eng.stale() ? ", stale=True" : "") + ")";
        });
    m.attr("_ENGINE_STATE_VERSION") = engine_state_version;
    m.def(
        "scan_kernel_supported",
        [](const std::string& name) { return scan_kernel_supported(kernel_from(name)); },
        py::arg("kernel"), "True if this processor can run the kernel.");
}

}  // namespace refmatch::python
