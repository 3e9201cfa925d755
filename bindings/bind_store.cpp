// The stores and the program. Calls that take a store's or the ledger's lock release the GIL
// first: a match running on another thread may hold a read lock while it waits for the GIL (to
// report progress), so holding the GIL while waiting for a write lock would deadlock.

#include "bind_common.hpp"

#include <refmatch/program.hpp>
#include <refmatch/program_tables.hpp>
#include <refmatch/prospect_store.hpp>
#include <refmatch/reference_store.hpp>

#include <memory>

namespace refmatch::python {
namespace {

using release = py::call_guard<py::gil_scoped_release>;

template <class Store>
std::vector<typename Store::record_type> to_records(const py::handle& h) {
    if (py::isinstance<typename Store::record_type>(h))
        return {h.cast<typename Store::record_type>()};
    return h.cast<std::vector<typename Store::record_type>>();
}

// The methods both stores share.
template <class Store, class Class>
void bind_store_common(Class& c, const char* noun) {
    using record = typename Store::record_type;
    c.def(
         "add", [](Store& s, record r) { s.add(std::move(r)); }, py::arg(noun), release(),
         "Adds one record. Raises ValidationError (duplicate id, unknown code); the store is "
         "unchanged then.")
        .def(
            "add_all",
            [](Store& s, const py::handle& records) {
                auto list = to_records<Store>(records);
                py::gil_scoped_release unlocked;
                s.add_all(std::move(list));
            },
            py::arg("records"),
            "Adds many records, all or nothing: every record is validated before any is "
            "inserted.")
        .def(
            "update", [](Store& s, record r) { s.update(std::move(r)); }, py::arg(noun), release(),
            "Replaces the record with the same id; raises NotFoundError.")
        .def(
            "remove", [](Store& s, const std::string& id) { s.remove(id); }, py::arg("id"),
            release(), "Removes a record; raises NotFoundError.")
        .def(
            "find", [](const Store& s, const std::string& id) { return s.find(id); }, py::arg("id"),
            release(), "The record with this id, or None.")
        .def(
            "at", [](const Store& s, const std::string& id) { return s.at(id); }, py::arg("id"),
            release(), "The record with this id; raises NotFoundError.")
        .def(
            "__getitem__", [](const Store& s, const std::string& id) { return s.at(id); },
            release())
        .def(
            "__contains__", [](const Store& s, const std::string& id) { return s.contains(id); },
            release())
        .def(
            "__len__", [](const Store& s) { return s.size(); }, release())
        .def_property_readonly(
            "version", [](const Store& s) { return s.version(); },
            "Changes with every successful write; equal versions mean equal contents.")
        .def(
            "all", [](const Store& s) { return s.all(); }, release(),
            "All records in ascending id order (copies).")
        .def("__iter__", [](const Store& s) {
            std::vector<record> all;
            {
                py::gil_scoped_release unlocked;
                all = s.all();
            }
            return py::iter(py::cast(std::move(all)));
        });
}

}  // namespace

void bind_store(py::module_& m) {
    py::class_<reference_store> refs(
        m, "ReferenceStore",
        "The reference customers of a program, indexed by id, status, industry and geography "
        "subtree.\nEvery write validates against the vocabulary and changes nothing on error. "
        "Safe for concurrent use.");
    refs.def(py::init([](const vocabulary& v) {
                 return std::make_unique<reference_store>(std::make_shared<const vocabulary>(v));
             }),
             py::arg("vocabulary"), "An empty store over a copy of the vocabulary.");
    bind_store_common<reference_store>(refs, "reference");
    refs.def("with_status", &reference_store::with_status, py::arg("status"), release(),
             "References with a status, in id order.")
        .def("in_industry", &reference_store::in_industry, py::arg("code"), release(),
             "References whose industry lies under a code of any level, in id order.")
        .def("in_geography", &reference_store::in_geography, py::arg("code"), release(),
             "References whose country lies under a country/region code or name, in id order.")
        .def("__repr__", [](const reference_store& s) {
            return "ReferenceStore(" + std::to_string(s.size()) + " references)";
        });

    py::class_<prospect_store> pros(m, "ProspectStore",
                                    "The prospects of a program (its pipeline). Safe for "
                                    "concurrent use.");
    pros.def(py::init([](const vocabulary& v) {
                 return std::make_unique<prospect_store>(std::make_shared<const vocabulary>(v));
             }),
             py::arg("vocabulary"), "An empty store over a copy of the vocabulary.");
    bind_store_common<prospect_store>(pros, "prospect");
    pros.def("due_by", &prospect_store::due_by, py::arg("day"), release(),
             "Prospects needed on or before a day, earliest first.")
        .def("__repr__", [](const prospect_store& s) {
            return "ProspectStore(" + std::to_string(s.size()) + " prospects)";
        });

    py::class_<program, std::shared_ptr<program>>(
        m, "Program",
        "A customer reference program: vocabulary, quota policy, references, prospects and "
        "usage ledger.")
        .def(py::init([](const vocabulary& v) {
                 return std::make_shared<program>(std::make_shared<const vocabulary>(v));
             }),
             py::arg("vocabulary"), "An empty program over a copy of the vocabulary.")
        .def_property_readonly(
            "vocabulary", [](const program& p) { return std::make_shared<vocabulary>(*p.vocab); },
            "A copy of the program's vocabulary (the program's own cannot change).")
        .def_property(
            "quotas", [](const program& p) { return p.quotas; },
            [](program& p, const quota_policy& q) { p.quotas = q; },
            "The program's default quota policy (a copy: assign a new policy, or use "
            "set_quota, to change it).")
        .def(
            "set_quota",
            [](program& p, const py::handle& a, const quota_limit& l) {
                p.quotas.set(activity_from(a, "set_quota", &p.vocab->activities), l);
            },
            py::arg("activity"), py::arg("limit"), "Replaces the default limit of an activity.")
        .def_property_readonly(
            "references", [](program& p) -> reference_store& { return p.references; },
            py::return_value_policy::reference_internal)
        .def_property_readonly(
            "prospects", [](program& p) -> prospect_store& { return p.prospects; },
            py::return_value_policy::reference_internal)
        .def_property_readonly(
            "usage", [](program& p) -> usage_ledger& { return p.usage; },
            py::return_value_policy::reference_internal)
        .def("record_usage", &program::record_usage, py::arg("event"), release(),
             "Records a use after checking that the reference exists and the activity is "
             "registered.")
        .def(
            "record_usage",
            [](program& p, const py::handle& reference_id, const py::handle& activity,
               const py::handle& day, const py::handle& opportunity_id) {
                // Each argument converted here, so that a None or a bad name is a
                // ValidationError naming it rather than "incompatible function arguments".
                constexpr std::string_view subject = "record_usage";
                usage_event e;
                e.reference_id = text_from(reference_id, subject, "reference_id",
                                           "a reference id of the program");
                e.activity = activity_from(activity, subject, &p.vocab->activities);
                std::optional<date> d;
                if (!day.is_none()) {
                    try {
                        d = day.cast<date>();
                    } catch (const py::cast_error&) {
                    }
                }
                if (!d)
                    throw validation_error(
                        std::string(subject), "day", "a datetime.date or an ISO date YYYY-MM-DD",
                        day.is_none() ? "None" : py::repr(day).cast<std::string>());
                e.day = *d;
                if (!opportunity_id.is_none())
                    e.opportunity_id = text_from(opportunity_id, subject, "opportunity_id",
                                                 "an opportunity id (text) or None");
                py::gil_scoped_release unlocked;
                p.record_usage(std::move(e));
            },
            py::arg("reference_id"), py::arg("activity"), py::arg("day"),
            py::arg("opportunity_id") = "")
        .def("effective_limit", &program::effective_limit, py::arg("reference"),
             py::arg("activity"), "The limit in force for a reference and an activity.")
        .def(
            "copy", [](const program& p) { return std::make_shared<program>(p); },
            "A deep copy (the vocabulary is shared, it is immutable).")
        .def("__copy__", [](const program& p) { return std::make_shared<program>(p); })
        .def(
            "__deepcopy__", [](const program& p, py::dict) { return std::make_shared<program>(p); },
            py::arg("memo"))
        .def(
            "tables", [](const program& p) { return tables_of(p); }, release(),
            "The program's tables (ProgramTables): tables().assemble() is an equal program.")
        .def("__repr__", [](const program& p) {
            return "Program(references=" + std::to_string(p.references.size()) +
                   ", prospects=" + std::to_string(p.prospects.size()) +
                   ", usage_events=" + std::to_string(p.usage.size()) +
                   ", products=" + std::to_string(p.vocab->products.size()) + ")";
        });

    py::class_<program_tables>(
        m, "ProgramTables",
        "A program as plain tables: vocabulary, default quotas, references, prospects and usage "
        "events.\nEvery way of making a program ends in assemble() (files, DataFrames, pickles).")
        .def(py::init([](const vocabulary& v, const quota_policy& quotas,
                         std::vector<reference_customer> references,
                         std::vector<prospect> prospects, std::vector<usage_event> usage) {
                 return program_tables{std::make_shared<const vocabulary>(v), quotas,
                                       std::move(references), std::move(prospects),
                                       usage_batch(usage)};
             }),
             py::arg("vocabulary"), py::kw_only(), py::arg("quotas") = quota_policy(),
             py::arg("references") = std::vector<reference_customer>{},
             py::arg("prospects") = std::vector<prospect>{},
             py::arg("usage") = std::vector<usage_event>{})
        .def_property_readonly(
            "vocabulary",
            [](const program_tables& t) { return std::make_shared<vocabulary>(*t.vocab); },
            "A copy of the tables' vocabulary.")
        .def_readwrite("quotas", &program_tables::quotas)
        .def_property(
            "references", [](const program_tables& t) { return t.references.unpack(); },
            [](program_tables& t, std::vector<reference_customer> references) {
                t.references = std::move(references);
            },
            "The references in id order (a list of ReferenceCustomer; a copy).")
        .def_readwrite("prospects", &program_tables::prospects)
        .def_property(
            "usage", [](const program_tables& t) { return t.usage.events(); },
            [](program_tables& t, const std::vector<usage_event>& events) {
                t.usage = usage_batch(events);
            },
            "The usage events in recording order (a list of UsageEvent; a copy).")
        .def(
            "assemble",
            [](const program_tables& t) { return std::shared_ptr<program>(t.assemble()); },
            release(),
            "The program of these tables, all or nothing (raises ValidationError as the stores "
            "and record_usage do).")
        .def("__repr__", [](const program_tables& t) {
            return "ProgramTables(references=" + std::to_string(t.references.size()) +
                   ", prospects=" + std::to_string(t.prospects.size()) +
                   ", usage_events=" + std::to_string(t.usage.size()) + ")";
        });
}

}  // namespace refmatch::python
