// refmatch's C++ exceptions as a small Python hierarchy:
//
//   Error(Exception)                  refmatch::error
//   ├── ParseError(Error, ValueError)      refmatch::parse_error: file, line, field, expected,
//   found ├── ValidationError(Error, ValueError) refmatch::validation_error: field, expected, found
//   ├── NotFoundError(Error, LookupError)  refmatch::not_found_error
//   └── Cancelled(Error)                   refmatch::cancelled: a long job stopped by its progress
//       └── MatchCancelled(Cancelled)      refmatch::match_cancelled
//
// The message is the C++ what(), unchanged. LookupError rather than KeyError: KeyError's str()
// quotes its message.

#include "bind_common.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/error.hpp>

namespace refmatch::python {
namespace {

PyObject* error_type = nullptr;
PyObject* parse_error_type = nullptr;
PyObject* validation_error_type = nullptr;
PyObject* not_found_error_type = nullptr;
PyObject* cancelled_type = nullptr;
PyObject* match_cancelled_type = nullptr;

PyObject* new_exception(py::module_& m, const char* name, const char* doc, py::tuple bases) {
    const std::string qualified = std::string("refmatch.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (!type) throw py::error_already_set();
    m.add_object(name, py::handle(type));
    return type;
}

// Raises `type(message)` with the given attributes set on the instance.
void raise_with(PyObject* type, const char* message, py::dict attributes) {
    py::object instance = py::reinterpret_borrow<py::object>(type)(message);
    for (auto item : attributes) py::setattr(instance, item.first, item.second);
    PyErr_SetObject(type, instance.ptr());
}

py::object text_or_none(const std::string& s) {
    return s.empty() ? py::object(py::none()) : py::object(py::str(s));
}

}  // namespace

void bind_errors(py::module_& m) {
    error_type = new_exception(m, "Error", "Base class of every error refmatch raises.",
                               py::make_tuple(py::handle(PyExc_Exception)));
    parse_error_type = new_exception(
        m, "ParseError",
        "Input that does not have the expected shape (a file, a CSV row, a JSON value).\n\n"
        "Attributes: file, line (1-based, or None), field, expected, found.",
        py::make_tuple(py::handle(error_type), py::handle(PyExc_ValueError)));
    validation_error_type = new_exception(
        m, "ValidationError",
        "A well-formed value that is not allowed (an unknown code, a duplicate id, a bad "
        "weight).\n\nAttributes: file and line (None: not from a file), field, expected, found "
        "(None when the error is not about one field).",
        py::make_tuple(py::handle(error_type), py::handle(PyExc_ValueError)));
    not_found_error_type =
        new_exception(m, "NotFoundError", "A lookup by id or code that found nothing.",
                      py::make_tuple(py::handle(error_type), py::handle(PyExc_LookupError)));

    cancelled_type = new_exception(
        m, "Cancelled",
        "A long job (a load, an import, a batch) stopped by its progress callback returning "
        "False; nothing of it is kept.",
        py::make_tuple(py::handle(error_type)));
    match_cancelled_type = new_exception(
        m, "MatchCancelled",
        "A batch stopped by its progress callback returning False (no partial result).",
        py::make_tuple(py::handle(cancelled_type)));

    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const match_cancelled& e) {
            PyErr_SetString(match_cancelled_type, e.what());
        } catch (const cancelled& e) {
            PyErr_SetString(cancelled_type, e.what());
        } catch (const parse_error& e) {
            py::dict a;
            a["file"] = text_or_none(e.file());
            a["line"] = e.line() ? py::object(py::int_(e.line())) : py::object(py::none());
            a["field"] = text_or_none(e.field());
            a["expected"] = py::str(e.expected());
            a["found"] = py::str(e.found());
            raise_with(parse_error_type, e.what(), a);
        } catch (const validation_error& e) {
            py::dict a;
            a["file"] = py::none();
            a["line"] = py::none();
            a["field"] = text_or_none(e.field());
            a["expected"] = text_or_none(e.expected());
            a["found"] =
                e.field().empty() ? py::object(py::none()) : py::object(py::str(e.found()));
            raise_with(validation_error_type, e.what(), a);
        } catch (const not_found_error& e) {
            PyErr_SetString(not_found_error_type, e.what());
        } catch (const error& e) {
            PyErr_SetString(error_type, e.what());
        }
    });
}

}  // namespace refmatch::python
