// The program database: refmatch._refmatch.Database (the refmatch package wraps it as
// refmatch.open_database, with DataFrames out; see bindings/refmatch/_database.py).

#include "bind_common.hpp"

#include <refmatch/db/database.hpp>

#include <pybind11/stl/filesystem.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refmatch::python {
namespace {

PyObject* database_error_type = nullptr;
PyObject* database_busy_error_type = nullptr;

// Who and when, from the Python arguments: `at` defaults to the current time (the interface
// reads the clock, as the command line does; the library never does).
recorded_by recorder(const std::string& who, const std::optional<std::int64_t>& at_epoch) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return {who, at_epoch ? std::chrono::sys_seconds{std::chrono::seconds{*at_epoch}} : now};
}

}  // namespace

void bind_db(py::module_& m) {
    const auto base = m.attr("Error");
    database_error_type = PyErr_NewExceptionWithDoc(
        "refmatch._refmatch.DatabaseError",
        "A SQLite failure, named by the operation and the file.", base.ptr(), nullptr);
    if (!database_error_type) throw py::error_already_set();
    m.add_object("DatabaseError", py::handle(database_error_type));
    database_busy_error_type = PyErr_NewExceptionWithDoc(
        "refmatch._refmatch.DatabaseBusyError",
        "Another connection held the write lock past the busy timeout; nothing was written.",
        database_error_type, nullptr);
    if (!database_busy_error_type) throw py::error_already_set();
    m.add_object("DatabaseBusyError", py::handle(database_busy_error_type));
    // Registered after the general translator, so tried before it.
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const database_busy_error& e) {
            PyErr_SetString(database_busy_error_type, e.what());
        } catch (const database_error& e) {
            PyErr_SetString(database_error_type, e.what());
        }
    });

    py::class_<database, std::shared_ptr<database>>(
        m, "Database",
        "A program held in a SQLite database file; writes are transactions, durable when they "
        "return. Open it with refmatch.open_database. One object may be shared by threads.")
        .def(py::init([](const std::filesystem::path& path, bool create, bool read_only,
                         double busy_timeout) {
                 database_options o;
                 o.create = create;
                 o.read_only = read_only;
                 o.busy_timeout =
                     std::chrono::milliseconds(static_cast<std::int64_t>(busy_timeout * 1000));
                 py::gil_scoped_release unlocked;
                 return std::make_shared<database>(path, o);
             }),
             py::arg("path"), py::kw_only(), py::arg("create") = false,
             py::arg("read_only") = false, py::arg("busy_timeout") = 5.0)
        .def_property_readonly("path", [](const database& d) { return d.path(); })
        .def_property_readonly(
            "program",
            // The in-memory program the database keeps in step; change it through the database.
            [](const database& d) { return std::const_pointer_cast<program>(d.program()); })
        .def("refresh", &database::refresh, py::call_guard<py::gil_scoped_release>(),
             "Applies other connections' commits; True if anything changed.")
        .def(
            "import_program",
            [](database& d, const std::filesystem::path& dir, const std::string& by,
               std::optional<std::int64_t> at) { d.import_program(dir, recorder(by, at)); },
            py::arg("directory"), py::kw_only(), py::arg("recorded_by") = "python",
            py::arg("recorded_at") = py::none(), py::call_guard<py::gil_scoped_release>())
        .def(
            "import_program",
            // A program in memory (a CRM import) and its outcomes, in one transaction.
            [](database& d, const program& p,
               const std::vector<measurement::opportunity_outcome>& outcomes, const std::string& by,
               std::optional<std::int64_t> at) { d.import_program(p, recorder(by, at), outcomes); },
            py::arg("program"), py::arg("outcomes"), py::kw_only(),
            py::arg("recorded_by") = "python", py::arg("recorded_at") = py::none(),
            py::call_guard<py::gil_scoped_release>())
        .def(
            "export_program",
            [](const database& d, const std::filesystem::path& dir, const std::string& format) {
                if (format != "csv" && format != "json")
                    throw py::value_error("unknown format '" + format +
                                          "': expected 'csv' or 'json'");
                py::gil_scoped_release unlocked;
                d.export_program(dir, format == "json" ? file_format::json : file_format::csv);
            },
            py::arg("directory"), py::arg("format") = "csv")
        .def(
            "record_usage",
            [](database& d, const usage_event& e, const std::string& by,
               std::optional<std::int64_t> at) { return d.record_usage(e, recorder(by, at)); },
            py::arg("event"), py::kw_only(), py::arg("recorded_by") = "python",
            py::arg("recorded_at") = py::none(), py::call_guard<py::gil_scoped_release>())
        .def(
            "record_usage_batch",
            [](database& d, const std::vector<usage_event>& es, const std::string& by,
               std::optional<std::int64_t> at) { return d.record_usage(es, recorder(by, at)); },
            py::arg("events"), py::kw_only(), py::arg("recorded_by") = "python",
            py::arg("recorded_at") = py::none(), py::call_guard<py::gil_scoped_release>())
        .def("add_reference", &database::add_reference, py::arg("reference"),
             py::call_guard<py::gil_scoped_release>())
        .def("add_references", &database::add_references, py::arg("references"),
             py::call_guard<py::gil_scoped_release>())
        .def("update_reference", &database::update_reference, py::arg("reference"),
             py::call_guard<py::gil_scoped_release>())
        .def(
            "set_reference_status",
            [](database& d, const std::string& id, const std::string& status) {
                const auto s = status_from(status);
                py::gil_scoped_release unlocked;
                d.set_reference_status(id, s);
            },
            py::arg("reference_id"), py::arg("status"))
        .def("add_prospect", &database::add_prospect, py::arg("prospect"),
             py::call_guard<py::gil_scoped_release>())
        .def("update_prospect", &database::update_prospect, py::arg("prospect"),
             py::call_guard<py::gil_scoped_release>())
        .def(
            "history_rows",
            [](const database& d, const std::string& reference_id) {
                std::vector<ledger_entry> rows;
                {
                    py::gil_scoped_release unlocked;
                    rows = d.history(reference_id);
                }
                py::list out;
                for (const auto& r : rows)
                    out.append(py::make_tuple(r.event_id, r.event, r.recorded_by, r.recorded_at));
                return out;
            },
            py::arg("reference_id") = "",
            "(event_id, UsageEvent, recorded_by, recorded_at) of one reference (all when empty).")
        .def("check", &database::check, py::call_guard<py::gil_scoped_release>(),
             "Problems found by the integrity and foreign-key checks and a full load (empty: ok).");
}

}  // namespace refmatch::python
