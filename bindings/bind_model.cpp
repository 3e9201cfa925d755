// The value types of the model: taxonomies, products, size bands, activities, quotas, references,
// prospects, the vocabulary and the usage ledger.

#include "bind_common.hpp"

#include <refmatch/activity.hpp>
#include <refmatch/product_catalog.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/size_band.hpp>
#include <refmatch/taxonomy.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <memory>

namespace refmatch::python {
namespace {

// Version of the pickled state of the value types (records, limits, events). Loading another
// version raises.
constexpr int value_state_version = 1;

void check_state(const py::tuple& t, const char* type) {
    if (t.size() < 1 || py::cast<int>(t[0]) != value_state_version)
        throw py::value_error(
            std::string("cannot unpickle ") + type + ": expected state version " +
            std::to_string(value_state_version) + ", got " +
            py::repr(t.size() ? py::object(t[0]) : py::object(py::none())).cast<std::string>());
}

// --- Conversions of the flexible keyword arguments ----------------------------------------------

activity_id to_activity(const py::handle& h) {
    return activity_from(h, "activity");
}

std::optional<activity_id> to_optional_activity(const py::handle& h) {
    if (h.is_none()) return std::nullopt;
    return to_activity(h);
}

reference_status to_status(const py::handle& h) {
    if (py::isinstance<py::str>(h)) return status_from(h.cast<std::string>());
    return h.cast<reference_status>();
}

std::optional<date> to_optional_date(const py::handle& h) {
    if (h.is_none()) return std::nullopt;
    return h.cast<date>();
}

// Consents: a list whose items are ActivityConsent objects or activities (names, ids), or a dict
// {activity: QuotaLimit | None}.
std::vector<activity_consent> to_consents(const py::handle& h) {
    std::vector<activity_consent> out;
    if (h.is_none()) return out;
    if (py::isinstance<py::dict>(h)) {
        for (auto item : py::reinterpret_borrow<py::dict>(h)) {
            activity_consent c{to_activity(item.first), std::nullopt};
            if (!item.second.is_none()) c.limit = item.second.cast<quota_limit>();
            out.push_back(c);
        }
        return out;
    }
    for (auto item : py::reinterpret_borrow<py::iterable>(h)) {
        if (py::isinstance<activity_consent>(item))
            out.push_back(item.cast<activity_consent>());
        else
            out.push_back(activity_consent{to_activity(item), std::nullopt});
    }
    return out;
}

std::vector<std::string> to_strings(const py::handle& h, const char* what) {
    if (h.is_none()) return {};
    if (py::isinstance<py::str>(h))
        throw py::type_error(std::string(what) +
                             ": expected a list of strings, got a single string");
    return h.cast<std::vector<std::string>>();
}

std::string join_repr(const std::vector<std::string>& v) {
    return py::repr(py::cast(v)).cast<std::string>();
}

// --- Records as dicts (pickling, DataFrames) -----------------------------------------------------

py::dict reference_to_dict(const reference_customer& r) {
    py::dict d;
    d["id"] = r.id;
    d["name"] = r.name;
    d["industry"] = r.industry;
    d["products"] = r.products;
    d["country"] = r.country;
    d["size"] = py::cast(r.size);
    d["status"] = std::string(to_string(r.status));
    py::list consents;
    for (const auto& c : r.consents) consents.append(py::cast(c));
    d["consents"] = consents;
    d["nps"] = py::cast(r.signals.nps);
    d["csat"] = py::cast(r.signals.csat);
    d["health"] = py::cast(r.signals.health);
    d["owner"] = r.owner;
    d["last_contact"] = py::cast(r.last_contact);
    return d;
}

reference_customer make_reference(std::string id, std::string name, std::string industry,
                                  const py::handle& products, std::string country, size_band size,
                                  const py::handle& status, const py::handle& consents,
                                  std::optional<std::uint8_t> nps, std::optional<double> csat,
                                  std::optional<double> health, std::string owner,
                                  const py::handle& last_contact) {
    reference_customer r;
    r.id = std::move(id);
    r.name = std::move(name);
    r.industry = std::move(industry);
    r.products = to_strings(products, "products");
    r.country = std::move(country);
    r.size = size;
    r.status = to_status(status);
    r.consents = to_consents(consents);
    r.signals = advocacy_signals{nps, csat, health};
    r.owner = std::move(owner);
    r.last_contact = to_optional_date(last_contact);
    return r;
}

reference_customer reference_from_dict(const py::dict& d) {
    const auto get = [&](const char* key, py::object fallback) {
        return d.contains(key) ? py::reinterpret_borrow<py::object>(d[key]) : fallback;
    };
    return make_reference(
        get("id", py::str("")).cast<std::string>(), get("name", py::str("")).cast<std::string>(),
        get("industry", py::str("")).cast<std::string>(), get("products", py::list()),
        get("country", py::str("")).cast<std::string>(), get("size", py::none()).cast<size_band>(),
        get("status", py::str("candidate")), get("consents", py::list()),
        get("nps", py::none()).cast<std::optional<std::uint8_t>>(),
        get("csat", py::none()).cast<std::optional<double>>(),
        get("health", py::none()).cast<std::optional<double>>(),
        get("owner", py::str("")).cast<std::string>(), get("last_contact", py::none()));
}

py::dict prospect_to_dict(const prospect& p) {
    py::dict d;
    d["id"] = p.id;
    d["name"] = p.name;
    d["industry"] = p.industry;
    d["products"] = p.products;
    d["country"] = p.country;
    d["size"] = py::cast(p.size);
    d["deal_value"] = p.deal_value;
    d["stage"] = p.stage;
    d["activity"] = p.activity ? py::cast(*p.activity) : py::none();
    d["needed_by"] = py::cast(p.needed_by);
    d["exclusions"] = p.exclusions;
    d["owner"] = p.owner;
    return d;
}

prospect make_prospect(std::string id, std::string name, std::string industry,
                       const py::handle& products, std::string country, size_band size,
                       double deal_value, std::string stage, const py::handle& activity,
                       const py::handle& needed_by, const py::handle& exclusions,
                       std::string owner) {
    prospect p;
    p.id = std::move(id);
    p.name = std::move(name);
    p.industry = std::move(industry);
    p.products = to_strings(products, "products");
    p.country = std::move(country);
    p.size = size;
    p.deal_value = deal_value;
    p.stage = std::move(stage);
    p.activity = to_optional_activity(activity);
    p.needed_by = to_optional_date(needed_by);
    p.exclusions = to_strings(exclusions, "exclusions");
    p.owner = std::move(owner);
    return p;
}

prospect prospect_from_dict(const py::dict& d) {
    const auto get = [&](const char* key, py::object fallback) {
        return d.contains(key) ? py::reinterpret_borrow<py::object>(d[key]) : fallback;
    };
    return make_prospect(
        get("id", py::str("")).cast<std::string>(), get("name", py::str("")).cast<std::string>(),
        get("industry", py::str("")).cast<std::string>(), get("products", py::list()),
        get("country", py::str("")).cast<std::string>(), get("size", py::none()).cast<size_band>(),
        get("deal_value", py::float_(0.0)).cast<double>(),
        get("stage", py::str("")).cast<std::string>(), get("activity", py::none()),
        get("needed_by", py::none()), get("exclusions", py::list()),
        get("owner", py::str("")).cast<std::string>());
}

// --- Taxonomy helpers ----------------------------------------------------------------------------

// A node given as a code/alias (str) or a node id (int).
taxonomy::node_id node_of(const taxonomy& t, const py::handle& h) {
    if (py::isinstance<py::str>(h)) return t.at(h.cast<std::string>());
    const auto n = h.cast<std::int64_t>();
    if (n < 0 || static_cast<std::size_t>(n) >= t.size())
        throw py::index_error("node id " + std::to_string(n) + " out of range 0.." +
                              std::to_string(t.size() - 1));
    return static_cast<taxonomy::node_id>(n);
}

std::vector<taxonomy_entry> to_entries(const py::handle& h) {
    std::vector<taxonomy_entry> entries;
    std::size_t row = 0;
    for (auto item : py::reinterpret_borrow<py::iterable>(h)) {
        ++row;
        if (py::isinstance<taxonomy_entry>(item)) {
            entries.push_back(item.cast<taxonomy_entry>());
            continue;
        }
        const auto t = item.cast<py::sequence>();
        if (t.size() != 3)
            throw py::value_error("taxonomy entry " + std::to_string(row) +
                                  ": expected (code, title, parent), got " +
                                  py::repr(item).cast<std::string>());
        entries.push_back(taxonomy_entry{t[0].cast<std::string>(), t[1].cast<std::string>(),
                                         t[2].is_none() ? "" : t[2].cast<std::string>(), row});
    }
    return entries;
}

}  // namespace

void bind_model(py::module_& m) {
    // --- Activities ------------------------------------------------------------------------------
    py::class_<activity_id>(m, "ActivityId",
                            "An activity type. The twelve standard ones have fixed ids 0-11 and "
                            "convert from their names ('sales_call'); custom ones come from\n"
                            "ActivityCatalog.add / Vocabulary.activities.at(name).")
        .def(py::init([](std::uint16_t value) { return activity_id{value}; }), py::arg("value"))
        .def(py::init([](const std::string& name) { return standard_activity(name); }),
             py::arg("name"))
        .def_property_readonly("value", [](activity_id a) { return a.value; })
        .def_property_readonly("name", &activity_label,
                               "The standard name, or 'activity_<n>' for a custom activity.")
        .def("__int__", [](activity_id a) { return a.value; })
        .def("__index__", [](activity_id a) { return a.value; })
        .def("__hash__", [](activity_id a) { return py::hash(py::int_(a.value)); })
        .def("__eq__", [](activity_id a, activity_id b) { return a == b; })
        .def("__eq__", [](activity_id, const py::object&) { return false; })
        .def("__lt__", [](activity_id a, activity_id b) { return a < b; })
        .def("__str__", &activity_label)
        .def("__repr__",
             [](activity_id a) {
                 return a.value < activity::standard_count
                            ? "ActivityId(" + python::quoted(activity_label(a)) + ")"
                            : "ActivityId(" + std::to_string(a.value) + ")";
             })
        .def(py::pickle([](activity_id a) { return py::make_tuple(value_state_version, a.value); },
                        [](py::tuple t) {
                            check_state(t, "ActivityId");
                            return activity_id{t[1].cast<std::uint16_t>()};
                        }));
    py::implicitly_convertible<py::int_, activity_id>();
    py::implicitly_convertible<py::str, activity_id>();
    {
        py::tuple names(activity::standard_count);
        for (std::size_t i = 0; i < activity::standard_count; ++i)
            names[i] = py::str(std::string(activity::standard_names[i]));
        m.attr("STANDARD_ACTIVITIES") = names;
    }

    py::class_<activity_catalog>(m, "ActivityCatalog",
                                 "The activity types a program knows: the twelve standard ones, "
                                 "then custom ones in registration order.")
        .def(py::init<>())
        .def("add", &activity_catalog::add, py::arg("name"),
             "Registers a custom activity ([a-z0-9_]+) and returns its id; an existing name "
             "returns its id.")
        .def("find", &activity_catalog::find, py::arg("name"), "The id of a name, or None.")
        .def("at", &activity_catalog::at, py::arg("name"),
             "The id of a name; raises NotFoundError.")
        .def("name", &activity_catalog::name, py::arg("activity"))
        .def_property_readonly("names", &activity_catalog::names)
        .def("__len__", &activity_catalog::size)
        .def("__contains__", [](const activity_catalog& c,
                                const std::string& name) { return c.find(name).has_value(); })
        .def("__iter__", [](const activity_catalog& c) { return py::iter(py::cast(c.names())); })
        .def("__repr__", [](const activity_catalog& c) {
            return "ActivityCatalog(" + join_repr(c.names()) + ")";
        });

    // --- Quotas ----------------------------------------------------------------------------------
    py::class_<quota_limit>(m, "QuotaLimit",
                            "At most max_uses uses (None: no limit) in a rolling window of "
                            "window_days days ending at now,\nand at least cooldown_days days "
                            "between two uses.")
        .def(py::init([](std::optional<std::uint32_t> max_uses, std::uint32_t window_days,
                         std::uint32_t cooldown_days) {
                 quota_limit q{max_uses, window_days, cooldown_days};
                 q.validate();
                 return q;
             }),
             py::arg("max_uses") = py::none(), py::arg("window_days") = 365,
             py::arg("cooldown_days") = 0)
        .def_readonly("max_uses", &quota_limit::max_uses)
        .def_readonly("window_days", &quota_limit::window_days)
        .def_readonly("cooldown_days", &quota_limit::cooldown_days)
        .def(py::self == py::self)
        .def("__hash__",
             [](const quota_limit& q) {
                 return py::hash(py::make_tuple(q.max_uses, q.window_days, q.cooldown_days));
             })
        .def("__repr__",
             [](const quota_limit& q) {
                 return "QuotaLimit(max_uses=" + optional_repr(q.max_uses) +
                        ", window_days=" + std::to_string(q.window_days) +
                        ", cooldown_days=" + std::to_string(q.cooldown_days) + ")";
             })
        .def(py::pickle(
            [](const quota_limit& q) {
                return py::make_tuple(value_state_version, q.max_uses, q.window_days,
                                      q.cooldown_days);
            },
            [](py::tuple t) {
                check_state(t, "QuotaLimit");
                return quota_limit{t[1].cast<std::optional<std::uint32_t>>(),
                                   t[2].cast<std::uint32_t>(), t[3].cast<std::uint32_t>()};
            }));

    py::class_<quota_policy>(m, "QuotaPolicy",
                             "The program's default limit for every activity type (see "
                             "docs/python.md for the defaults).")
        .def(py::init<>())
        .def("limit", &quota_policy::limit, py::arg("activity"),
             "The default limit of an activity.")
        .def("set", &quota_policy::set, py::arg("activity"), py::arg("limit"),
             "Replaces the default limit of an activity.")
        .def("__len__", &quota_policy::size)
        .def(py::self == py::self)
        .def(
            "to_dict",
            [](const quota_policy& q) {
                py::dict d;
                for (std::uint16_t i = 0; i < q.size(); ++i)
                    d[py::cast(activity_label(activity_id{i}))] = q.limit(activity_id{i});
                return d;
            },
            "{activity name: QuotaLimit} for every activity with an entry.")
        .def("__repr__",
             [](const quota_policy& q) {
                 return "QuotaPolicy(" + std::to_string(q.size()) + " activities)";
             })
        .def(py::pickle(
            [](const quota_policy& q) {
                py::list limits;
                for (std::uint16_t i = 0; i < q.size(); ++i) limits.append(q.limit(activity_id{i}));
                return py::make_tuple(value_state_version, limits);
            },
            [](py::tuple t) {
                check_state(t, "QuotaPolicy");
                quota_policy q;
                std::uint16_t i = 0;
                for (auto l : t[1].cast<py::list>()) q.set(activity_id{i++}, l.cast<quota_limit>());
                return q;
            }));

    // --- Products and sizes ----------------------------------------------------------------------
    py::class_<product>(m, "Product", "A product of the vendor's catalogue.")
        .def(py::init([](std::string id, std::string name, std::string family) {
                 return product{std::move(id), std::move(name), std::move(family)};
             }),
             py::arg("id"), py::arg("name") = "", py::arg("family") = "")
        .def_readonly("id", &product::id)
        .def_readonly("name", &product::name)
        .def_readonly("family", &product::family)
        .def(py::self == py::self)
        .def("__repr__",
             [](const product& p) {
                 return "Product(" + python::quoted(p.id) + ", name=" + python::quoted(p.name) +
                        ", family=" + python::quoted(p.family) + ")";
             })
        .def(py::pickle(
            [](const product& p) {
                return py::make_tuple(value_state_version, p.id, p.name, p.family);
            },
            [](py::tuple t) {
                check_state(t, "Product");
                return product{t[1].cast<std::string>(), t[2].cast<std::string>(),
                               t[3].cast<std::string>()};
            }));

    py::class_<product_catalog>(m, "ProductCatalog",
                                "The vendor's products, each with a dense index 0..len-1 in "
                                "insertion order.")
        .def(py::init([](const py::handle& products) {
                 product_catalog c;
                 if (!products.is_none())
                     for (auto p : py::reinterpret_borrow<py::iterable>(products))
                         c.add(py::isinstance<py::str>(p) ? product{p.cast<std::string>(), "", ""}
                                                          : p.cast<product>());
                 return c;
             }),
             py::arg("products") = py::none(), "Products given as Product objects or plain ids.")
        .def("add", &product_catalog::add, py::arg("product"),
             "Adds a product and returns its index; raises ValidationError on an empty or "
             "duplicate id.")
        .def("find", &product_catalog::find, py::arg("id"), "The index of a product id, or None.")
        .def("at", &product_catalog::at, py::arg("id"),
             "The index of a product id; raises NotFoundError.")
        .def("__len__", &product_catalog::size)
        .def("__getitem__",
             [](const product_catalog& c, std::int64_t i) {
                 if (i < 0) i += static_cast<std::int64_t>(c.size());
                 if (i < 0 || static_cast<std::size_t>(i) >= c.size())
                     throw py::index_error("product index out of range");
                 return c[static_cast<product_catalog::index_type>(i)];
             })
        .def("__contains__",
             [](const product_catalog& c, const std::string& id) { return c.find(id).has_value(); })
        .def("__iter__", [](const product_catalog& c) { return py::iter(py::cast(c.products())); })
        .def_property_readonly("products", &product_catalog::products)
        .def_property_readonly("ids",
                               [](const product_catalog& c) {
                                   std::vector<std::string> ids;
                                   for (const auto& p : c.products()) ids.push_back(p.id);
                                   return ids;
                               })
        .def("__repr__",
             [](const product_catalog& c) {
                 return "ProductCatalog(" + std::to_string(c.size()) + " products)";
             })
        .def(py::pickle(
            [](const product_catalog& c) {
                return py::make_tuple(value_state_version, c.products());
            },
            [](py::tuple t) {
                check_state(t, "ProductCatalog");
                return product_catalog(t[1].cast<std::vector<product>>());
            }));

    py::class_<size_bands>(m, "SizeBands",
                           "Company size bands from their lower bounds in employees (default: "
                           "1-49, 50-249, 250-999,\n1,000-4,999, 5,000-19,999, 20,000+).")
        .def(py::init<std::vector<std::uint32_t>>(),
             py::arg("lower_bounds") = std::vector<std::uint32_t>{1, 50, 250, 1000, 5000, 20000})
        .def_property_readonly("count", &size_bands::count, "B, the number of bands.")
        .def("__len__", &size_bands::count)
        .def_property_readonly("lower_bounds", &size_bands::lower_bounds)
        .def("band_of", &size_bands::band_of, py::arg("employees"),
             "The band of a headcount; None below the first bound.")
        .def("label", &size_bands::label, py::arg("band"))
        .def("closeness", &size_bands::closeness, py::arg("a"), py::arg("b"),
             "1 - |a - b| / (B - 1); 0 when either band is None.")
        .def(py::self == py::self)
        .def("__repr__",
             [](const size_bands& s) {
                 return "SizeBands(" + py::repr(py::cast(s.lower_bounds())).cast<std::string>() +
                        ")";
             })
        .def(py::pickle(
            [](const size_bands& s) {
                return py::make_tuple(value_state_version, s.lower_bounds());
            },
            [](py::tuple t) {
                check_state(t, "SizeBands");
                return size_bands(t[1].cast<std::vector<std::uint32_t>>());
            }));

    // --- Taxonomy --------------------------------------------------------------------------------
    py::class_<taxonomy_entry>(m, "TaxonomyEntry", "One row of a taxonomy: code, title, parent.")
        .def(
            py::init([](std::string code, std::string title, std::string parent, std::size_t line) {
                return taxonomy_entry{std::move(code), std::move(title), std::move(parent), line};
            }),
            py::arg("code"), py::arg("title") = "", py::arg("parent") = "", py::arg("line") = 0)
        .def_readonly("code", &taxonomy_entry::code)
        .def_readonly("title", &taxonomy_entry::title)
        .def_readonly("parent", &taxonomy_entry::parent)
        .def_readonly("line", &taxonomy_entry::line)
        .def("__repr__", [](const taxonomy_entry& e) {
            return "TaxonomyEntry(" + python::quoted(e.code) + ", " + python::quoted(e.title) +
                   ", " + python::quoted(e.parent) + ")";
        });

    py::class_<taxonomy, std::shared_ptr<taxonomy>>(
        m, "Taxonomy",
        "A rooted tree of codes (NAICS industries, M49 geography) with O(1) lowest common "
        "ancestor and\nWu-Palmer similarity. Nodes are named by code (or alias, case ignored) "
        "or by node id.")
        .def(py::init([](const py::handle& entries, std::string root_code, std::string root_title,
                         std::string name, std::string source) {
                 auto list = to_entries(entries);
                 auto t = std::make_shared<taxonomy>(std::move(root_code), std::move(root_title),
                                                     list, source);
                 t->set_name(std::move(name));
                 return t;
             }),
             py::arg("entries"), py::kw_only(), py::arg("root_code") = "",
             py::arg("root_title") = "", py::arg("name") = "", py::arg("source") = "",
             "Builds the tree from (code, title, parent) rows in any order; parent '' or None "
             "is a top-level code.\nRaises ParseError on an empty or duplicate code, an unknown "
             "parent or a cycle.")
        .def_property("name", &taxonomy::name, &taxonomy::set_name)
        .def("__len__", &taxonomy::size)
        .def("__contains__",
             [](const taxonomy& t, const std::string& code) { return t.find(code).has_value(); })
        .def_property_readonly("max_depth", &taxonomy::max_depth)
        .def_property_readonly("root", &taxonomy::root)
        .def("find", &taxonomy::find, py::arg("code"), "The node id of a code or alias, or None.")
        .def("at", &taxonomy::at, py::arg("code"),
             "The node id of a code or alias; raises NotFoundError.")
        .def("add_alias", &taxonomy::add_alias, py::arg("alias"), py::arg("node"),
             "Registers another name for a node; False when the name is taken.")
        .def(
            "code", [](const taxonomy& t, const py::handle& n) { return t.code(node_of(t, n)); },
            py::arg("node"), "The code of a node (its canonical code for an alias).")
        .def(
            "title", [](const taxonomy& t, const py::handle& n) { return t.title(node_of(t, n)); },
            py::arg("node"))
        .def(
            "depth", [](const taxonomy& t, const py::handle& n) { return t.depth(node_of(t, n)); },
            py::arg("node"), "Depth of a node; top-level codes have depth 1.")
        .def(
            "parent",
            [](const taxonomy& t, const py::handle& n) -> std::optional<std::string> {
                const auto p = t.parent(node_of(t, n));
                if (p == taxonomy::npos) return std::nullopt;
                return t.code(p);
            },
            py::arg("node"), "The parent's code ('' for the root's code); None for the root.")
        .def(
            "children",
            [](const taxonomy& t, const py::handle& n) {
                std::vector<std::string> out;
                for (auto c : t.children(node_of(t, n))) out.push_back(t.code(c));
                return out;
            },
            py::arg("node") = 0, "Codes of the children, in input order.")
        .def(
            "ancestors",
            [](const taxonomy& t, const py::handle& n) {
                std::vector<std::string> out;
                for (auto a : t.ancestors(node_of(t, n))) out.push_back(t.code(a));
                return out;
            },
            py::arg("node"), "Codes from the parent up to the root.")
        .def(
            "lca",
            [](const taxonomy& t, const py::handle& a, const py::handle& b) {
                return t.code(t.lca(node_of(t, a), node_of(t, b)));
            },
            py::arg("a"), py::arg("b"), "Code of the lowest common ancestor.")
        .def(
            "is_ancestor",
            [](const taxonomy& t, const py::handle& a, const py::handle& d) {
                return t.is_ancestor(node_of(t, a), node_of(t, d));
            },
            py::arg("ancestor"), py::arg("node"))
        .def(
            "similarity",
            [](const taxonomy& t, const py::handle& a, const py::handle& b) {
                const auto na = a.is_none() ? taxonomy::npos
                                : py::isinstance<py::str>(a)
                                    ? t.find(a.cast<std::string>()).value_or(taxonomy::npos)
                                    : node_of(t, a);
                const auto nb = b.is_none() ? taxonomy::npos
                                : py::isinstance<py::str>(b)
                                    ? t.find(b.cast<std::string>()).value_or(taxonomy::npos)
                                    : node_of(t, b);
                return t.similarity(na, nb);
            },
            py::arg("a"), py::arg("b"),
            "Wu-Palmer similarity 2*depth(lca)/(depth(a)+depth(b)); 0 when either code is "
            "missing or unknown.")
        .def(
            "codes",
            [](const taxonomy& t) {
                std::vector<std::string> out;
                for (const auto& e : taxonomy_rows(t)) out.push_back(std::get<0>(e));
                return out;
            },
            "Every code but the root's, in depth-first pre-order.")
        .def("entries", &taxonomy_rows,
             "(code, title, parent) of every code, parents first; rebuilds the taxonomy "
             "(aliases excepted).")
        .def("__repr__", [](const taxonomy& t) {
            return "Taxonomy(name=" + python::quoted(t.name()) +
                   ", codes=" + std::to_string(t.size() - 1) +
                   ", max_depth=" + std::to_string(t.max_depth()) + ")";
        });

    // --- Vocabulary ------------------------------------------------------------------------------
    py::class_<vocabulary, std::shared_ptr<vocabulary>>(
        m, "Vocabulary",
        "The codes a program speaks in: industry and geography taxonomies, products, activity "
        "types, size bands.\nA Program keeps its own copy: changing a Vocabulary after building "
        "a program from it does not change the program.")
        .def(py::init([](const taxonomy* industries, const taxonomy* geography,
                         std::optional<product_catalog> products,
                         std::optional<activity_catalog> activities,
                         std::optional<size_bands> sizes) {
                 auto v = std::make_shared<vocabulary>();
                 if (industries) v->industries = *industries;
                 if (geography) v->geography = *geography;
                 if (products) v->products = std::move(*products);
                 if (activities) v->activities = std::move(*activities);
                 if (sizes) v->sizes = std::move(*sizes);
                 return v;
             }),
             py::kw_only(), py::arg("industries") = nullptr, py::arg("geography") = nullptr,
             py::arg("products") = py::none(), py::arg("activities") = py::none(),
             py::arg("sizes") = py::none())
        .def_property(
            "industries",
            [](const vocabulary& v) { return std::make_shared<taxonomy>(v.industries); },
            [](vocabulary& v, const taxonomy& t) { v.industries = t; }, "(a copy)")
        .def_property(
            "geography",
            [](const vocabulary& v) { return std::make_shared<taxonomy>(v.geography); },
            [](vocabulary& v, const taxonomy& t) { v.geography = t; }, "(a copy)")
        .def_readwrite("products", &vocabulary::products)
        .def_readwrite("activities", &vocabulary::activities)
        .def_readwrite("sizes", &vocabulary::sizes)
        .def("__repr__", [](const vocabulary& v) {
            return "Vocabulary(industries=" + python::quoted(v.industries.name()) + " (" +
                   std::to_string(v.industries.size() - 1) +
                   " codes), geography=" + python::quoted(v.geography.name()) + " (" +
                   std::to_string(v.geography.size() - 1) +
                   " codes), products=" + std::to_string(v.products.size()) +
                   ", activities=" + std::to_string(v.activities.size()) +
                   ", size_bands=" + std::to_string(v.sizes.count()) + ")";
        });

    // --- Records ---------------------------------------------------------------------------------
    py::enum_<reference_status>(m, "ReferenceStatus",
                                "Where a reference stands; only ACTIVE references are matched.")
        .value("CANDIDATE", reference_status::candidate)
        .value("ACTIVE", reference_status::active)
        .value("PAUSED", reference_status::paused)
        .value("RETIRED", reference_status::retired)
        .def(py::init(&status_from), py::arg("name"))
        .def_property_readonly("label",
                               [](reference_status s) { return std::string(to_string(s)); });
    py::implicitly_convertible<py::str, reference_status>();

    py::class_<activity_consent>(m, "ActivityConsent",
                                 "Consent to one activity, with the reference's own limit (None: "
                                 "the program default).")
        .def(py::init([](activity_id a, std::optional<quota_limit> limit) {
                 return activity_consent{a, limit};
             }),
             py::arg("activity"), py::arg("limit") = py::none())
        .def_readonly("activity", &activity_consent::activity)
        .def_readonly("limit", &activity_consent::limit)
        .def(py::self == py::self)
        .def("__repr__",
             [](const activity_consent& c) {
                 return "ActivityConsent(" + python::quoted(activity_label(c.activity)) +
                        (c.limit ? ", limit=" + py::repr(py::cast(*c.limit)).cast<std::string>()
                                 : std::string()) +
                        ")";
             })
        .def(py::pickle(
            [](const activity_consent& c) {
                return py::make_tuple(value_state_version, c.activity.value, c.limit);
            },
            [](py::tuple t) {
                check_state(t, "ActivityConsent");
                return activity_consent{activity_id{t[1].cast<std::uint16_t>()},
                                        t[2].cast<std::optional<quota_limit>>()};
            }));

    py::class_<reference_customer>(
        m, "ReferenceCustomer",
        "A reference customer. Codes stay text until a store resolves them against its "
        "vocabulary.\nconsents: a list of activities / ActivityConsent, or a dict {activity: "
        "QuotaLimit | None}.")
        .def(py::init(&make_reference), py::arg("id"), py::kw_only(), py::arg("name") = "",
             py::arg("industry") = "", py::arg("products") = py::list(), py::arg("country") = "",
             py::arg("size") = py::none(), py::arg("status") = "candidate",
             py::arg("consents") = py::list(), py::arg("nps") = py::none(),
             py::arg("csat") = py::none(), py::arg("health") = py::none(), py::arg("owner") = "",
             py::arg("last_contact") = py::none())
        .def_readwrite("id", &reference_customer::id)
        .def_readwrite("name", &reference_customer::name)
        .def_readwrite("industry", &reference_customer::industry)
        .def_property(
            "products", [](const reference_customer& r) { return r.products; },
            [](reference_customer& r, const py::handle& h) {
                r.products = to_strings(h, "products");
            },
            "Product ids in use (a copy: assign a new list to change it).")
        .def_readwrite("country", &reference_customer::country)
        .def_readwrite("size", &reference_customer::size)
        .def_property(
            "status", [](const reference_customer& r) { return r.status; },
            [](reference_customer& r, const py::handle& h) { r.status = to_status(h); })
        .def_property(
            "consents", [](const reference_customer& r) { return r.consents; },
            [](reference_customer& r, const py::handle& h) { r.consents = to_consents(h); })
        .def_property(
            "nps", [](const reference_customer& r) { return r.signals.nps; },
            [](reference_customer& r, std::optional<std::uint8_t> v) { r.signals.nps = v; })
        .def_property(
            "csat", [](const reference_customer& r) { return r.signals.csat; },
            [](reference_customer& r, std::optional<double> v) { r.signals.csat = v; })
        .def_property(
            "health", [](const reference_customer& r) { return r.signals.health; },
            [](reference_customer& r, std::optional<double> v) { r.signals.health = v; })
        .def_readwrite("owner", &reference_customer::owner)
        .def_property(
            "last_contact", [](const reference_customer& r) { return r.last_contact; },
            [](reference_customer& r, const py::handle& h) {
                r.last_contact = to_optional_date(h);
            })
        .def("consents_to", &reference_customer::consents_to, py::arg("activity"))
        .def("effective_limit", &reference_customer::effective_limit, py::arg("activity"),
             py::arg("policy"),
             "The limit in force: the reference's own if set, else the policy's.")
        .def("to_dict", &reference_to_dict)
        .def_static("from_dict", &reference_from_dict, py::arg("fields"))
        .def(py::self == py::self)
        .def("__repr__",
             [](const reference_customer& r) {
                 return "ReferenceCustomer(" + python::quoted(r.id) +
                        ", name=" + python::quoted(r.name) +
                        ", industry=" + python::quoted(r.industry) +
                        ", products=" + join_repr(r.products) +
                        ", country=" + python::quoted(r.country) +
                        ", size=" + optional_repr(r.size) +
                        ", status=" + python::quoted(to_string(r.status)) + ")";
             })
        .def(py::pickle(
            [](const reference_customer& r) {
                return py::make_tuple(value_state_version, reference_to_dict(r));
            },
            [](py::tuple t) {
                check_state(t, "ReferenceCustomer");
                return reference_from_dict(t[1].cast<py::dict>());
            }));

    py::class_<prospect>(m, "Prospect",
                         "A prospect (an open opportunity) that needs a reference. activity: "
                         "the activity requested (a name, an ActivityId, or None).")
        .def(py::init(&make_prospect), py::arg("id"), py::kw_only(), py::arg("name") = "",
             py::arg("industry") = "", py::arg("products") = py::list(), py::arg("country") = "",
             py::arg("size") = py::none(), py::arg("deal_value") = 0.0, py::arg("stage") = "",
             py::arg("activity") = py::none(), py::arg("needed_by") = py::none(),
             py::arg("exclusions") = py::list(), py::arg("owner") = "")
        .def_readwrite("id", &prospect::id)
        .def_readwrite("name", &prospect::name)
        .def_readwrite("industry", &prospect::industry)
        .def_property(
            "products", [](const prospect& p) { return p.products; },
            [](prospect& p, const py::handle& h) { p.products = to_strings(h, "products"); },
            "Products of interest (a copy: assign a new list to change it).")
        .def_readwrite("country", &prospect::country)
        .def_readwrite("size", &prospect::size)
        .def_readwrite("deal_value", &prospect::deal_value)
        .def_readwrite("stage", &prospect::stage)
        .def_property(
            "activity", [](const prospect& p) { return p.activity; },
            [](prospect& p, const py::handle& h) { p.activity = to_optional_activity(h); })
        .def_property(
            "needed_by", [](const prospect& p) { return p.needed_by; },
            [](prospect& p, const py::handle& h) { p.needed_by = to_optional_date(h); })
        .def_property(
            "exclusions", [](const prospect& p) { return p.exclusions; },
            [](prospect& p, const py::handle& h) { p.exclusions = to_strings(h, "exclusions"); },
            "Reference ids never to propose (a copy: assign a new list to change it).")
        .def_readwrite("owner", &prospect::owner)
        .def("to_dict", &prospect_to_dict)
        .def_static("from_dict", &prospect_from_dict, py::arg("fields"))
        .def(py::self == py::self)
        .def("__repr__",
             [](const prospect& p) {
                 return "Prospect(" + python::quoted(p.id) + ", name=" + python::quoted(p.name) +
                        ", industry=" + python::quoted(p.industry) +
                        ", products=" + join_repr(p.products) +
                        ", country=" + python::quoted(p.country) +
                        ", size=" + optional_repr(p.size) + ", activity=" +
                        (p.activity ? python::quoted(activity_label(*p.activity))
                                    : std::string("None")) +
                        ")";
             })
        .def(py::pickle(
            [](const prospect& p) {
                return py::make_tuple(value_state_version, prospect_to_dict(p));
            },
            [](py::tuple t) {
                check_state(t, "Prospect");
                return prospect_from_dict(t[1].cast<py::dict>());
            }));

    // --- Usage -----------------------------------------------------------------------------------
    py::class_<usage_event>(m, "UsageEvent", "One use of a reference.")
        .def(py::init(
                 [](std::string reference_id, activity_id a, date day, std::string opportunity_id) {
                     return usage_event{std::move(reference_id), a, std::move(opportunity_id), day};
                 }),
             py::arg("reference_id"), py::arg("activity"), py::arg("day"),
             py::arg("opportunity_id") = "")
        .def_readonly("reference_id", &usage_event::reference_id)
        .def_readonly("activity", &usage_event::activity)
        .def_readonly("opportunity_id", &usage_event::opportunity_id)
        .def_readonly("day", &usage_event::day)
        .def(py::self == py::self)
        .def("__repr__",
             [](const usage_event& e) {
                 return "UsageEvent(" + python::quoted(e.reference_id) + ", " +
                        python::quoted(activity_label(e.activity)) + ", " +
                        python::quoted(format_date(e.day)) +
                        (e.opportunity_id.empty()
                             ? ""
                             : ", opportunity_id=" + python::quoted(e.opportunity_id)) +
                        ")";
             })
        .def(py::pickle(
            [](const usage_event& e) {
                return py::make_tuple(value_state_version, e.reference_id, e.activity.value, e.day,
                                      e.opportunity_id);
            },
            [](py::tuple t) {
                check_state(t, "UsageEvent");
                return usage_event{t[1].cast<std::string>(),
                                   activity_id{t[2].cast<std::uint16_t>()},
                                   t[4].cast<std::string>(), t[3].cast<date>()};
            }));

    py::class_<usage_ledger>(m, "UsageLedger",
                             "Append-only record of usage events; answers quota questions. Safe "
                             "for concurrent use.")
        .def(py::init<>())
        .def("record", &usage_ledger::record, py::arg("event"),
             py::call_guard<py::gil_scoped_release>(),
             "Appends an event (no checks: Program.record_usage checks the reference and "
             "activity).")
        .def(
            "used",
            [](const usage_ledger& l, const std::string& reference_id, activity_id a,
               std::uint32_t window_days,
               date now) { return l.used(reference_id, a, window_days, now); },
            py::arg("reference_id"), py::arg("activity"), py::arg("window_days"), py::arg("now"),
            py::call_guard<py::gil_scoped_release>(),
            "Uses of the activity by the reference in the window (now - window_days, now].")
        .def(
            "last_use",
            [](const usage_ledger& l, const std::string& reference_id, activity_id a,
               std::optional<date> now) {
                return now ? l.last_use(reference_id, a, *now) : l.last_use(reference_id, a);
            },
            py::arg("reference_id"), py::arg("activity"), py::arg("now") = py::none(),
            py::call_guard<py::gil_scoped_release>(),
            "The latest use (on or before now, when given), or None.")
        .def("events", &usage_ledger::events, py::call_guard<py::gil_scoped_release>(),
             "All events, in recording order (a copy).")
        .def("__len__", &usage_ledger::size)
        .def("__repr__", [](const usage_ledger& l) {
            return "UsageLedger(" + std::to_string(l.size()) + " events)";
        });
}

}  // namespace refmatch::python
