// The private extension module `refmatch._refmatch`; the `refmatch` package re-exports it.

#include "bind_common.hpp"
#include "bind_engine.hpp"

#include <refmatch/version.hpp>

PYBIND11_MODULE(_refmatch, m) {
    m.doc() = "refmatch: customer reference programs and their matching engine (C++ core).";
    m.attr("__version__") = refmatch::version_string;
    refmatch::python::bind_errors(m);
    refmatch::python::bind_model(m);
    refmatch::python::bind_store(m);
    refmatch::python::bind_io(m);
    refmatch::python::bind_engine(m);
    refmatch::python::bind_utilisation(m);
    refmatch::python::bind_db(m);
    refmatch::python::bind_requests(m);
    refmatch::python::bind_crm(m);
    refmatch::python::bind_assignment(m);
    refmatch::python::bind_simulation(m);
    refmatch::python::bind_referrals(m);
    refmatch::python::bind_measurement(m);
}
