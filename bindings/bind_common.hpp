#pragma once
// Conversions shared by the bind_<area>.cpp files: calendar days <-> datetime.date, activity ids
// and statuses from their names, and small helpers for __repr__. Everything here converts; no
// refmatch logic lives in the bindings.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
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
void bind_utilisation(py::module_& m);
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

/// The activities a name may be, for messages: the catalogue's, or the standard ones.
inline std::string activity_choices(const activity_catalog* activities) {
    std::string out;
    if (activities) {
        for (const auto& n : activities->names()) out += (out.empty() ? "" : ", ") + n;
    } else {
        for (const auto n : activity::standard_names)
            out += (out.empty() ? "" : ", ") + std::string(n);
    }
    return out;
}

/// An activity from a standard name (case ignored).
/// @throws validation_error naming `subject` and listing the standard activities.
inline activity_id standard_activity(std::string_view name, std::string_view subject = "activity") {
    const std::string lower = detail::ascii_lower(name);
    for (std::uint16_t i = 0; i < activity::standard_count; ++i)
        if (activity::standard_names[i] == lower) return activity_id{i};
    throw validation_error(std::string(subject), "activity",
                           "one of the activities " + activity_choices(nullptr), std::string(name));
}

/// An activity argument: an ActivityId, its number, or a name (case ignored) of `activities`
/// (a program's catalogue, custom activities included) or, without one, a standard name.
/// Converted here rather than by pybind's implicit conversion, which would hide the reason.
/// @throws validation_error naming `subject` and the `field`, listing the valid activities.
inline activity_id activity_from(const py::handle& h, std::string_view subject,
                                 const activity_catalog* activities = nullptr,
                                 std::string_view field = "activity") {
    const auto fail = [&](std::string found) {
        return validation_error(std::string(subject), std::string(field),
                                "one of the activities " + activity_choices(activities),
                                std::move(found));
    };
    if (py::isinstance<activity_id>(h)) return h.cast<activity_id>();
    if (py::isinstance<py::str>(h)) {
        const auto name = h.cast<std::string>();
        if (!activities) return standard_activity(name, subject);
        if (auto a = activities->find(name)) return *a;
        throw fail(name);
    }
    if (py::isinstance<py::int_>(h) && !py::isinstance<py::bool_>(h)) {
        const auto n = h.cast<long long>();
        const std::size_t count = activities ? activities->size() : activity::standard_count;
        if (n >= 0 && static_cast<std::size_t>(n) < count)
            return activity_id{static_cast<std::uint16_t>(n)};
        throw fail(std::to_string(n));
    }
    throw fail(h.is_none() ? "None" : py::repr(h).cast<std::string>());
}

/// A text argument that may not be None. @throws validation_error naming `subject` and `field`.
inline std::string text_from(const py::handle& h, std::string_view subject, std::string_view field,
                             std::string_view expected) {
    if (py::isinstance<py::str>(h)) return h.cast<std::string>();
    throw validation_error(std::string(subject), std::string(field), std::string(expected),
                           h.is_none() ? "None" : py::repr(h).cast<std::string>());
}

/// A reference status from its name (`"active"`, case ignored, as the files read it).
/// @throws validation_error listing the statuses, in the words of the files' message.
inline reference_status status_from(const std::string& name) {
    if (auto s = parse_reference_status(name)) return *s;
    throw validation_error("reference", "status", "one of candidate, active, paused, retired",
                           name);
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
