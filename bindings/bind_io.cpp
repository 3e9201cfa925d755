// Files in and out, the shipped taxonomies and the sample program.

#include "bind_common.hpp"

#include <refmatch/generator.hpp>
#include <refmatch/io.hpp>
#include <refmatch/program.hpp>
#include <refmatch/shipped_data.hpp>

#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <memory>

namespace refmatch::python {
namespace {

file_format format_from(const std::string& name) {
    if (name == "csv") return file_format::csv;
    if (name == "json") return file_format::json;
    throw py::value_error("unknown format '" + name + "': expected 'csv' or 'json'");
}

// A program pickles as the io layer's serialised state (bytes); its version is checked there.
py::object program_state(const program& p) {
    std::string state;
    {
        py::gil_scoped_release unlocked;
        state = format_program_state(tables_of(p));
    }
    return py::bytes(state);
}

std::shared_ptr<program> program_from_state(const py::object& state) {
    if (!py::isinstance<py::bytes>(state))
        throw py::value_error(
            "cannot unpickle Program: expected the bytes of a program state "
            "(version " +
            std::to_string(program_state_version) + "), got " +
            py::repr(state).cast<std::string>().substr(0, 40));
    const auto bytes = state.cast<std::string>();
    py::gil_scoped_release unlocked;
    return parse_program_state(bytes).assemble();
}

py::dict error_dict(const parse_error& e) {
    py::dict d;
    d["file"] = e.file();
    d["line"] = e.line();
    d["field"] = e.field();
    d["expected"] = e.expected();
    d["found"] = e.found();
    d["message"] = std::string(e.what());
    return d;
}

// A table as columns from a dict {column name: sequence of str or None}, the GIL held.
table_columns columns_from(const py::dict& columns) {
    table_columns out;
    out.reserve(columns.size());
    for (const auto& [key, values] : columns) {
        table_column& column = out.emplace_back();
        column.name = py::str(key).cast<std::string>();
        // PySequence_Fast gives direct access to the items of a list or tuple.
        const auto seq = py::reinterpret_steal<py::object>(
            PySequence_Fast(values.ptr(), "expected a sequence of str or None per column"));
        if (!seq) throw py::error_already_set();
        const auto n = static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq.ptr()));
        PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
        column.values.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            PyObject* item = items[i];
            if (item == Py_None) continue;
            if (!PyUnicode_Check(item))
                throw py::type_error("column '" + column.name + "' row " + std::to_string(i) +
                                     ": expected str or None, got " +
                                     std::string(Py_TYPE(item)->tp_name));
            if (PyUnicode_IS_COMPACT_ASCII(item)) {  // ASCII text is its own UTF-8
                column.values[i].emplace(static_cast<const char*>(PyUnicode_DATA(item)),
                                         static_cast<std::size_t>(PyUnicode_GET_LENGTH(item)));
                continue;
            }
            Py_ssize_t size = 0;
            const char* text = PyUnicode_AsUTF8AndSize(item, &size);
            if (!text) throw py::error_already_set();
            column.values[i].emplace(text, static_cast<std::size_t>(size));
        }
    }
    return out;
}

// Parses a table from columns: converts them with the GIL, then parses and frees them without.
template <class Parse>
auto parse_columns(const py::dict& columns, Parse&& parse) {
    auto table = columns_from(columns);
    py::gil_scoped_release unlocked;
    auto out = parse(table);
    table_columns().swap(table);
    return out;
}

}  // namespace

std::vector<prospect> prospects_from_columns(const py::dict& columns, const vocabulary& v,
                                             const std::string& source) {
    return parse_columns(columns, [&](const table_columns& t) {
        return parse_prospects(t, v, read_options{source, {}, nullptr});
    });
}

void bind_io(py::module_& m) {
    m.def(
        "naics2022", [] { return std::make_shared<taxonomy>(naics2022()); },
        py::call_guard<py::gil_scoped_release>(),
        "NAICS 2022: all 2,125 codes in five levels (sector = depth 1).");
    m.def(
        "m49_geography", [] { return std::make_shared<taxonomy>(m49_geography()); },
        py::call_guard<py::gil_scoped_release>(),
        "UN M49 geography: World -> region -> sub-region -> (intermediate region) -> ISO "
        "3166-1 country.\nCountries resolve by alpha-2, alpha-3, numeric code and English "
        "name.");
    m.def(
        "standard_vocabulary",
        [](const py::handle& products, std::optional<activity_catalog> activities,
           std::optional<size_bands> sizes) {
            product_catalog catalog;
            if (!products.is_none()) {
                if (py::isinstance<product_catalog>(products))
                    catalog = products.cast<product_catalog>();
                else
                    for (auto p : py::reinterpret_borrow<py::iterable>(products))
                        catalog.add(py::isinstance<py::str>(p)
                                        ? product{p.cast<std::string>(), "", ""}
                                        : p.cast<product>());
            }
            py::gil_scoped_release unlocked;
            auto v =
                standard_vocabulary(std::move(catalog), activities.value_or(activity_catalog{}),
                                    sizes.value_or(size_bands{}));
            return std::make_shared<vocabulary>(*v);
        },
        py::arg("products") = py::none(), py::kw_only(), py::arg("activities") = py::none(),
        py::arg("sizes") = py::none(),
        "A vocabulary of NAICS 2022, UN M49, the given products (a ProductCatalog, Product "
        "objects or ids),\nthe activities (default: the standard twelve) and size bands "
        "(default: scoring.md's six).");
    m.def(
        "parse_taxonomy_csv",
        [](const std::string& text, const std::string& source, std::string root_code,
           std::string root_title) {
            return std::make_shared<taxonomy>(
                parse_taxonomy_csv(text, source, std::move(root_code), std::move(root_title)));
        },
        py::arg("text"), py::arg("source") = "<string>", py::kw_only(), py::arg("root_code") = "",
        py::arg("root_title") = "", py::call_guard<py::gil_scoped_release>(),
        "Parses a taxonomy from CSV text with the columns code,title,parent (and an optional "
        "level).");
    m.def(
        "load_taxonomy_csv",
        [](const std::filesystem::path& path, std::string root_code, std::string root_title) {
            return std::make_shared<taxonomy>(
                load_taxonomy_csv(path, std::move(root_code), std::move(root_title)));
        },
        py::arg("path"), py::kw_only(), py::arg("root_code") = "", py::arg("root_title") = "",
        py::call_guard<py::gil_scoped_release>(), "Reads a taxonomy CSV file.");

    // --- Whole programs --------------------------------------------------------------------------
    m.def(
        "load_program",
        [](const std::filesystem::path& directory, const py::object& progress) {
            progress_callback callback;
            if (!progress.is_none())
                callback = [&progress](const progress_update& at) {
                    py::gil_scoped_acquire gil;
                    // An exception (KeyboardInterrupt included) or a False answer abandons the
                    // load; loading is all-or-nothing, so nothing is left half-built.
                    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                    const py::object answer = progress(std::string(at.stage), at.done, at.total);
                    return answer.is_none() || py::bool_(answer);
                };
            std::unique_ptr<program> loaded;
            {
                py::gil_scoped_release unlocked;
                loaded = load_program(directory, callback);
            }
            return std::shared_ptr<program>(std::move(loaded));
        },
        py::arg("directory"), py::kw_only(), py::arg("progress") = py::none(),
        "Loads a program directory (products, quotas, references, prospects, usage as .csv or "
        ".json),\nall or nothing. progress(file, done_bytes, total_bytes) is called while "
        "reading; returning False cancels (Cancelled). Raises ParseError naming file, line and "
        "field.");
    m.def(
        "save_program",
        [](const program& p, const std::filesystem::path& directory, const std::string& format) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            save_program(p, directory, f);
        },
        py::arg("program"), py::arg("directory"), py::kw_only(), py::arg("format") = "csv",
        "Writes the five tables of a program into a directory, each file atomically.");
    m.def(
        "check_program",
        [](const std::filesystem::path& directory) {
            std::vector<parse_error> errors;
            {
                py::gil_scoped_release unlocked;
                errors = check_program(directory);
            }
            py::list out;
            for (const auto& e : errors) out.append(error_dict(e));
            return out;
        },
        py::arg("directory"),
        "Every error of every file of a program directory, as dicts (file, line, field, "
        "expected, found, message); empty when it loads.");

    // --- Tables as text --------------------------------------------------------------------------
    m.def(
        "parse_references",
        [](const std::string& text, const vocabulary& v, const std::string& format,
           const std::string& source) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return parse_references(text, f, v, read_options{source, {}, nullptr});
        },
        py::arg("text"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv",
        py::arg("source") = "references",
        "References from CSV or JSON text (columns id,name,industry,products,country,"
        "size_band,employees,status,consents,nps,csat,health,owner,last_contact).");
    m.def(
        "parse_prospects",
        [](const std::string& text, const vocabulary& v, const std::string& format,
           const std::string& source) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return parse_prospects(text, f, v, read_options{source, {}, nullptr});
        },
        py::arg("text"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv",
        py::arg("source") = "prospects",
        "Prospects from CSV or JSON text (columns id,name,industry,products,country,size_band,"
        "employees,deal_value,stage,activity,needed_by,exclusions,owner).");
    m.def(
        "parse_usage",
        [](const std::string& text, const vocabulary& v, const std::string& format,
           const std::string& source) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return parse_usage(text, f, v, read_options{source, {}, nullptr});
        },
        py::arg("text"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv",
        py::arg("source") = "usage",
        "Usage events from CSV or JSON text (columns reference_id,activity,opportunity_id,date).");
    m.def(
        "parse_references_columns",
        [](const py::dict& columns, const vocabulary& v, const std::string& source) {
            return parse_columns(columns, [&](const table_columns& t) {
                return parse_references(t, v, read_options{source, {}, nullptr});
            });
        },
        py::arg("columns"), py::arg("vocabulary"), py::kw_only(), py::arg("source") = "references",
        "References from columns {name: list of str or None} (the columns of references.csv); "
        "errors carry line = row + 1.");
    // The record tables of a program from columns {table: {column: list of str or None}}.
    const auto to_program_columns = [](const py::object& references, const py::object& prospects,
                                       const py::object& usage) {
        program_columns c;
        c.references_name = "references frame";
        c.prospects_name = "prospects frame";
        c.usage_name = "usage frame";
        if (!references.is_none()) c.references = columns_from(references.cast<py::dict>());
        if (!prospects.is_none()) c.prospects = columns_from(prospects.cast<py::dict>());
        if (!usage.is_none()) c.usage = columns_from(usage.cast<py::dict>());
        return c;
    };
    m.def(
        "read_program_columns",
        [to_program_columns](const vocabulary& v, const quota_policy& quotas,
                             const py::object& references, const py::object& prospects,
                             const py::object& usage) {
            const auto columns = to_program_columns(references, prospects, usage);
            const auto vocab = std::make_shared<const vocabulary>(v);
            py::gil_scoped_release unlocked;
            return read_program_columns(columns, vocab, quotas);
        },
        py::arg("vocabulary"), py::arg("quotas"), py::kw_only(), py::arg("references") = py::none(),
        py::arg("prospects") = py::none(), py::arg("usage") = py::none(),
        "ProgramTables from the columns of the references, prospects and usage tables (each a "
        "dict {column: list of str or None} or None); raises the first ParseError (line = row + "
        "1, file 'references frame', ...).");
    m.def(
        "check_program_columns",
        [to_program_columns](const vocabulary& v, const quota_policy& quotas,
                             const py::object& references, const py::object& prospects,
                             const py::object& usage) {
            const auto columns = to_program_columns(references, prospects, usage);
            const auto vocab = std::make_shared<const vocabulary>(v);
            std::vector<parse_error> errors;
            {
                py::gil_scoped_release unlocked;
                errors = check_program_columns(columns, vocab, quotas);
            }
            py::list out;
            for (const auto& e : errors) out.append(error_dict(e));
            return out;
        },
        py::arg("vocabulary"), py::arg("quotas"), py::kw_only(), py::arg("references") = py::none(),
        py::arg("prospects") = py::none(), py::arg("usage") = py::none(),
        "Every problem of the columns, as read_program_columns reads them and then assembly: a "
        "list of dicts (file, line, field, expected, found, message); empty when they make a "
        "program.");
    m.def(
        "parse_usage_columns",
        [](const py::dict& columns, const vocabulary& v, const std::string& source) {
            return parse_columns(columns, [&](const table_columns& t) {
                return parse_usage(t, v, read_options{source, {}, nullptr});
            });
        },
        py::arg("columns"), py::arg("vocabulary"), py::kw_only(), py::arg("source") = "usage",
        "Usage events from columns {name: list of str or None} (reference_id, activity, "
        "opportunity_id, date); errors carry line = row + 1.");
    m.def(
        "parse_products",
        [](const std::string& text, const std::string& format, const std::string& source) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return parse_products(text, f, read_options{source, {}, nullptr});
        },
        py::arg("text"), py::kw_only(), py::arg("format") = "csv", py::arg("source") = "products",
        "A product catalogue from CSV or JSON text (columns id,name,family).");
    m.def(
        "format_references",
        [](const std::vector<reference_customer>& r, const vocabulary& v,
           const std::string& format) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return format_references(r, v, f);
        },
        py::arg("references"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv");
    m.def(
        "format_prospects",
        [](const std::vector<prospect>& p, const vocabulary& v, const std::string& format) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return format_prospects(p, v, f);
        },
        py::arg("prospects"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv");
    m.def(
        "format_usage",
        [](const std::vector<usage_event>& e, const vocabulary& v, const std::string& format) {
            const auto f = format_from(format);
            py::gil_scoped_release unlocked;
            return format_usage(e, v, f);
        },
        py::arg("events"), py::arg("vocabulary"), py::kw_only(), py::arg("format") = "csv");

    m.def(
        "generate_program",
        [](std::uint64_t seed, std::size_t references, std::size_t prospects, std::size_t products,
           date now, std::uint32_t history_days) {
            generator_options o;
            o.seed = seed;
            o.references = references;
            o.prospects = prospects;
            o.products = products;
            o.now = now;
            o.history_days = history_days;
            py::gil_scoped_release unlocked;
            return std::shared_ptr<program>(generate_program(o));
        },
        py::kw_only(), py::arg("seed") = 42, py::arg("references") = 2000,
        py::arg("prospects") = 500, py::arg("products") = 50,
        py::arg("now") = generator_options{}.now, py::arg("history_days") = 365,
        "A deterministic, realistic program (the defaults make the bundled sample program): "
        "skewed sectors and\nregions, product families, a usage history with some references "
        "at quota, prospects with due dates.");

    // Pickling of programs goes through the io layer's serialised state, in memory.
    auto program_class =
        py::reinterpret_borrow<py::class_<program, std::shared_ptr<program>>>(m.attr("Program"));
    program_class.def(py::pickle([](const program& p) { return program_state(p); },
                                 [](const py::object& s) { return program_from_state(s); }));
    m.attr("_PROGRAM_STATE_VERSION") = program_state_version;
}

}  // namespace refmatch::python
