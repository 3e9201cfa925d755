#pragma once
// What bind_engine.cpp shares with the bindings built on the engine (bind_assignment.cpp): the
// Python-side engine object and the conversion of a call's prospects.

#include "bind_common.hpp"

#include <refmatch/engine.hpp>

#include <memory>
#include <string>
#include <vector>

namespace refmatch::python {

// An engine together with the program it matches (the engine keeps it alive too).
struct py_engine {
    py_engine(std::shared_ptr<program> p, scan_kernel k, std::string requested)
        : prog(std::move(p)),
          eng(std::shared_ptr<const program>(prog), engine_options{k}),
          requested_kernel(std::move(requested)) {}
    std::shared_ptr<program> prog;
    engine eng;
    std::string requested_kernel;  // as asked ("automatic" stays automatic when unpickled)
};

// The prospects of a call: a ProspectBatch, a Prospect, or a sequence of Prospect objects and/or
// ids of prospects in the program's store.
std::vector<prospect> to_prospects(const py_engine& e, const py::handle& h);

void bind_assignment(py::module_& m);

}  // namespace refmatch::python
