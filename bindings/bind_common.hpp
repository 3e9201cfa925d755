#pragma once
// Conversions shared by the bind_<area>.cpp files: calendar days <-> datetime.date, activity ids
// and statuses from their names, and small helpers for __repr__. Everything here converts; no
// refmatch logic lives in the bindings.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/fwd.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/taxonomy.hpp>

#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <datetime.h>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace refmatch::python {
namespace py = pybind11;

// The binding functions module.cpp calls, one per area.
void bind_errors(py::module_& m);
void bind_model(py::module_& m);
void bind_store(py::module_& m);
void bind_io(py::module_& m);
void bind_engine(py::module_& m);
void bind_db(py::module_& m);
void bind_requests(py::module_& m);
void bind_crm(py::module_& m);
void bind_simulation(py::module_& m);
void bind_referrals(py::module_& m);
void bind_measurement(py::module_& m);

/// Python's repr() of a string ('abc'), for __repr__ implementations.
inline std::string quoted(std::string_view s) {
    return py::repr(py::str(std::string(s))).cast<std::string>();
}

/// Text of an optional value for __repr__: its str() or None.
template <class T>
std::string optional_repr(const std::optional<T>& v) {
    if (!v) return "None";
    return py::repr(py::cast(*v)).template cast<std::string>();
}

/// The name of an activity: the standard name, or `activity_<n>` for custom ones (their names live
/// in the program's activity catalogue).
inline std::string activity_label(activity_id a) {
    if (a.value < activity::standard_count) return std::string(activity::standard_names[a.value]);
    return "activity_" + std::to_string(a.value);
}

/// An activity from a standard name (case ignored) or a number.
inline activity_id standard_activity(std::string_view name) {
    const std::string lower = detail::ascii_lower(name);
    for (std::uint16_t i = 0; i < activity::standard_count; ++i)
        if (activity::standard_names[i] == lower) return activity_id{i};
    throw py::value_error("unknown activity '" + std::string(name) +
                          "': expected one of the standard activities (name_drop ... site_visit); "
                          "look custom ones up with vocabulary.activities.at(name)");
}

/// A reference status from its name (`"active"`) or the enum.
inline reference_status status_from(const std::string& name) {
    if (auto s = parse_reference_status(detail::ascii_lower(name))) return *s;
    throw py::value_error("unknown reference status '" + name +
                          "': expected candidate, active, paused or retired");
}

/// (code, title, parent) of every node but the root, parents before children (pre-order); the
/// rows rebuild the taxonomy (aliases excepted).
inline std::vector<std::tuple<std::string, std::string, std::string>> taxonomy_rows(
    const taxonomy& t) {
    std::vector<taxonomy::node_id> order(t.size());
    for (taxonomy::node_id n = 0; n < t.size(); ++n) order[t.preorder(n)] = n;
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    out.reserve(t.size());
    for (auto n : order) {
        if (n == t.root()) continue;
        const auto p = t.parent(n);
        out.emplace_back(t.code(n), t.title(n), p == t.root() ? "" : t.code(p));
    }
    return out;
}

/// Prospects parsed by the io layer from a dict {column name: list of str or None} (the columns
/// of prospects.csv; defined in bind_io.cpp). Converts the columns with the GIL held, then parses
/// without it. @throws ParseError (line = row + 1), TypeError for a cell not str or None.
std::vector<prospect> prospects_from_columns(const py::dict& columns, const vocabulary& v,
                                             const std::string& source);

}  // namespace refmatch::python

namespace pybind11::detail {

// refmatch::date <-> datetime.date. Loading also accepts datetime.datetime (its date part, so
// pandas.Timestamp works) and ISO 8601 text 'YYYY-MM-DD'.
template <>
struct type_caster<refmatch::date> {
public:
    PYBIND11_TYPE_CASTER(refmatch::date, const_name("datetime.date"));

    bool load(handle src, bool convert) {
        if (!src) return false;
        if (!PyDateTimeAPI) PyDateTime_IMPORT;
        if (PyDate_Check(src.ptr())) {
            const std::chrono::year_month_day ymd{
                std::chrono::year{PyDateTime_GET_YEAR(src.ptr())},
                std::chrono::month{static_cast<unsigned>(PyDateTime_GET_MONTH(src.ptr()))},
                std::chrono::day{static_cast<unsigned>(PyDateTime_GET_DAY(src.ptr()))}};
            value = refmatch::date{ymd};
            return true;
        }
        if (convert && PyUnicode_Check(src.ptr())) {
            const auto text = src.cast<std::string>();
            if (auto d = refmatch::parse_date(text)) {
                value = *d;
                return true;
            }
            throw value_error("expected an ISO date YYYY-MM-DD, got '" + text + "'");
        }
        return false;
    }

    static handle cast(refmatch::date d, return_value_policy, handle) {
        if (!PyDateTimeAPI) PyDateTime_IMPORT;
        const std::chrono::year_month_day ymd{d};
        return PyDate_FromDate(static_cast<int>(ymd.year()),
                               static_cast<int>(unsigned(ymd.month())),
                               static_cast<int>(unsigned(ymd.day())));
    }
};

}  // namespace pybind11::detail
