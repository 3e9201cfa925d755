// CRM import and export: exports (paths or columns) in, the program and its import report out;
// taxonomy title search. Conversion only: mapping, checks and reports are refmatch::crm's.

#include "bind_common.hpp"

#include <refmatch/crm/crosswalk.hpp>
#include <refmatch/crm/export.hpp>
#include <refmatch/crm/import.hpp>
#include <refmatch/crm/mapping.hpp>
#include <refmatch/program.hpp>

#include <pybind11/stl/filesystem.h>

#include <memory>

namespace refmatch::python {
namespace {

PyObject* import_error_type = nullptr;

py::dict problem_dict(const crm::row_problem& p) {
    py::dict d;
    d["file"] = p.file;
    d["line"] = p.line;
    d["column"] = p.column;
    d["value"] = p.value;
    d["expected"] = p.expected;
    d["suggestions"] = p.suggestions;
    d["reason"] = p.reason;
    d["message"] = p.message();
    return d;
}

// An export from Python: a path (str or os.PathLike) or a dict of column name -> texts.
crm::crm_export export_from(const std::string& table, const py::handle& value) {
    if (py::isinstance<py::dict>(value)) {
        table_columns columns;
        for (auto item : value.cast<py::dict>()) {
            table_column c;
            c.name = py::str(item.first).cast<std::string>();
            for (auto cell : item.second.cast<py::list>())
                c.values.push_back(
                    cell.is_none() ? std::nullopt
                                   : std::optional<std::string>(py::str(cell).cast<std::string>()));
            columns.push_back(std::move(c));
        }
        return crm::crm_export::from_columns(table, std::move(columns));
    }
    return crm::crm_export::from_file(value.cast<std::filesystem::path>());
}

std::string report_repr(const crm::import_report& r) {
    return "ImportReport(rows_read=" + std::to_string(r.rows_read()) +
           ", rows_mapped=" + std::to_string(r.rows_mapped()) +
           ", rows_rejected=" + std::to_string(r.rows_rejected()) +
           ", references=" + std::to_string(r.references) +
           ", prospects=" + std::to_string(r.prospects) + ")";
}

}  // namespace

void bind_crm(py::module_& m) {
    py::class_<crm::import_report>(m, "ImportReport",
                                   "What a CRM import read, mapped, skipped and rejected.")
        .def_property_readonly("rows_read", &crm::import_report::rows_read)
        .def_property_readonly("rows_mapped", &crm::import_report::rows_mapped)
        .def_property_readonly("rows_rejected", &crm::import_report::rows_rejected)
        .def_readonly("references", &crm::import_report::references)
        .def_readonly("prospects", &crm::import_report::prospects)
        .def_readonly("products", &crm::import_report::products)
        .def_readonly("rejected_by_reason", &crm::import_report::rejected_by_reason)
        .def_property_readonly("files",
                               [](const crm::import_report& r) {
                                   py::list out;
                                   for (const auto& f : r.files) {
                                       py::dict d;
                                       d["file"] = f.file;
                                       d["table"] = f.table;
                                       d["read"] = f.read;
                                       d["mapped"] = f.mapped;
                                       d["skipped"] = f.skipped;
                                       d["rejected"] = f.rejected;
                                       out.append(d);
                                   }
                                   return out;
                               })
        .def_property_readonly("problems",
                               [](const crm::import_report& r) {
                                   py::list out;
                                   for (const auto& p : r.problems) out.append(problem_dict(p));
                                   return out;
                               })
        .def_property_readonly("rejected",
                               [](const crm::import_report& r) {
                                   py::list out;
                                   for (const auto& x : r.rejected) {
                                       py::dict d;
                                       d["file"] = x.file;
                                       d["line"] = x.line;
                                       d["reason"] = x.reason;
                                       d["fields"] = x.fields;
                                       out.append(d);
                                   }
                                   return out;
                               })
        .def("summary", &crm::import_report::summary)
        .def("rejects_csv", &crm::import_report::rejects_csv, py::arg("file"))
        .def("__repr__", &report_repr);

    import_error_type = PyErr_NewExceptionWithDoc(
        "refmatch.CrmImportError",
        "A CRM import that mapped nothing because rows could not be mapped (or an export was "
        "unusable).\n\nAttribute: report (an ImportReport listing every problem).",
        py::make_tuple(m.attr("Error")).ptr(), nullptr);
    if (!import_error_type) throw py::error_already_set();
    m.add_object("CrmImportError", py::handle(import_error_type));
    // Registered after bind_errors' translator, so tried before it.
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const crm::import_error& e) {
            py::object instance =
                py::reinterpret_borrow<py::object>(import_error_type)(std::string(e.what()));
            py::setattr(instance, "report", py::cast(e.report()));
            PyErr_SetObject(import_error_type, instance.ptr());
        }
    });

    m.def(
        "_import_crm",
        [](const py::dict& exports, const std::string& mapping, bool skip_bad_rows) {
            crm::crm_exports e;
            for (auto item : exports) {
                const auto table = py::str(item.first).cast<std::string>();
                auto value = export_from(table, item.second);
                if (table == "accounts")
                    e.accounts = std::move(value);
                else if (table == "opportunities")
                    e.opportunities = std::move(value);
                else if (table == "opportunity_products")
                    e.opportunity_products = std::move(value);
                else if (table == "products")
                    e.products = std::move(value);
                else
                    throw py::value_error("unknown export '" + table +
                                          "': expected accounts, opportunities, "
                                          "opportunity_products or products");
            }
            crm::import_options options;
            options.skip_bad_rows = skip_bad_rows;
            crm::import_result result;
            {
                py::gil_scoped_release unlocked;
                result = crm::import_crm(e, crm::load_mapping(mapping), options);
            }
            return py::make_tuple(std::shared_ptr<program>(std::move(result.imported)),
                                  std::move(result.report), std::move(result.outcomes));
        },
        py::arg("exports"), py::arg("mapping"), py::arg("skip_bad_rows") = false,
        "Imports a program from CRM exports (see refmatch.import_crm).");

    m.def("crm_presets", &crm::preset_names, "The shipped mapping presets.");

    auto taxonomy_class = py::reinterpret_borrow<py::class_<taxonomy>>(m.attr("Taxonomy"));
    taxonomy_class.def(
        "search",
        [](const taxonomy& t, const std::string& text, std::size_t n) {
            py::list out;
            for (const auto& hit : t.search(text, n))
                out.append(py::make_tuple(hit.code, hit.title, hit.score));
            return out;
        },
        py::arg("text"), py::arg("n") = 5,
        "The codes whose titles best match free text, best first: a list of (code, title, "
        "score); case and accents ignored.");
}

}  // namespace refmatch::python
