// Reference requests: refmatch._refmatch.RequestBook (the refmatch package wraps it as
// refmatch.RequestBook with DataFrames out; see bindings/refmatch/_requests.py). Times are epoch
// seconds here; the Python layer converts datetimes.

#include "bind_requests.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refmatch::python {
namespace {

PyObject* illegal_transition_type = nullptr;
PyObject* hold_conflict_type = nullptr;

std::chrono::sys_seconds at(std::int64_t epoch) {
    return std::chrono::sys_seconds{std::chrono::seconds{epoch}};
}

std::int64_t epoch(std::chrono::sys_seconds t) {
    return t.time_since_epoch().count();
}

request_actor actor(const std::string& who, std::int64_t now, const std::string& comment) {
    return {who, at(now), comment};
}

py::dict request_dict(const py_request_book& b, const request& r) {
    py::dict d;
    d["id"] = r.id;
    d["requester"] = r.requester;
    d["opportunity_id"] = r.opportunity_id;
    d["activity"] = b.name(r.activity);
    d["wanted"] = r.wanted;
    d["needed_by"] = py::cast(r.needed_by);
    d["expires_on"] = py::cast(r.expires_on);
    d["planned_on"] = r.planned_on ? py::cast(*r.planned_on) : py::none();
    d["created_at"] = epoch(r.created_at);
    d["notes"] = r.notes;
    d["status"] = std::string(to_string(r.status));
    d["status_at"] = epoch(r.status_at);
    py::list refs;
    for (const auto& a : r.references)
        refs.append(py::make_tuple(a.reference_id, std::string(to_string(a.state)),
                                   a.hold_day ? py::cast(*a.hold_day) : py::none(),
                                   a.event_id ? py::cast(*a.event_id) : py::none(),
                                   a.customer_asked, a.approved));
    d["references"] = refs;
    py::list candidates;
    for (const auto& c : r.candidates)
        candidates.append(py::make_tuple(c.reference_id, c.final_score, c.reason));
    d["candidates"] = candidates;
    py::list trail;
    for (const auto& t : r.trail)
        trail.append(
            py::make_tuple(t.from ? py::cast(std::string(to_string(*t.from))) : py::none(),
                           std::string(to_string(t.to)), t.who, epoch(t.at), t.comment,
                           t.reference_id.empty() ? py::none() : py::cast(t.reference_id)));
    d["trail"] = trail;
    py::list outreach;
    for (const auto& o : r.outreach)
        outreach.append(py::make_tuple(std::string(to_string(o.channel)), py::cast(o.day),
                                       std::string(to_string(o.outcome)), o.who, epoch(o.at)));
    d["outreach"] = outreach;
    if (r.feedback)
        d["feedback"] = py::make_tuple(r.feedback->rating, r.feedback->outcome,
                                       r.feedback->would_do_again, r.feedback->comment);
    else
        d["feedback"] = py::none();
    return d;
}

py::list queue_rows(const py_request_book& b, const std::vector<queue_entry>& entries) {
    py::list out;
    for (const auto& e : entries)
        out.append(py::make_tuple(e.request_id, e.opportunity_id, b.name(e.activity), e.status,
                                  py::cast(e.needed_by), e.hours, e.references));
    return out;
}

py::list decline_rows(const std::vector<decline_rate>& rates) {
    py::list out;
    for (const auto& d : rates)
        out.append(py::make_tuple(d.key, d.owner_asked, d.owner_declined, d.customer_asked,
                                  d.customer_declined));
    return out;
}

py::list outreach_rows(const std::vector<outreach_rate>& rates) {
    py::list out;
    for (const auto& o : rates)
        out.append(py::make_tuple(o.key, o.attempts, o.responses, o.accepted));
    return out;
}

}  // namespace

void bind_requests(py::module_& m) {
    const auto base = m.attr("Error");
    illegal_transition_type = PyErr_NewExceptionWithDoc(
        "refmatch._refmatch.IllegalTransition",
        "An operation the request's status does not allow; nothing changed.", base.ptr(), nullptr);
    if (!illegal_transition_type) throw py::error_already_set();
    m.add_object("IllegalTransition", py::handle(illegal_transition_type));
    hold_conflict_type = PyErr_NewExceptionWithDoc(
        "refmatch._refmatch.HoldConflict",
        "A reference has no slot left for the hold (uses and live holds); nothing changed.",
        base.ptr(), nullptr);
    if (!hold_conflict_type) throw py::error_already_set();
    m.add_object("HoldConflict", py::handle(hold_conflict_type));
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const illegal_transition& e) {
            PyErr_SetString(illegal_transition_type, e.what());
        } catch (const hold_conflict& e) {
            PyErr_SetString(hold_conflict_type, e.what());
        }
    });

    using book = py_request_book;
    const auto released = py::call_guard<py::gil_scoped_release>();
    py::class_<book, std::shared_ptr<book>>(
        m, "RequestBook",
        "The reference requests of a program database (docs/requests.md); every operation is "
        "one transaction. Wrapped by refmatch.RequestBook.")
        .def(py::init([](std::shared_ptr<database> db, const std::string& holds_from,
                         std::uint32_t hold_expiry_days, std::uint32_t max_follow_ups,
                         std::uint32_t candidates, const std::vector<std::string>& self_serve) {
                 if (!db) throw py::type_error("RequestBook needs a Database");
                 request_policy p;
                 if (holds_from == "approval_asked")
                     p.holds_from = hold_start::approval_asked;
                 else if (holds_from != "approved")
                     throw py::value_error(
                         "holds_from: expected 'approved' or 'approval_asked', "
                         "got '" +
                         holds_from + "'");
                 p.hold_expiry_days = hold_expiry_days;
                 p.max_follow_ups = max_follow_ups;
                 p.candidates = candidates;
                 p.self_serve.clear();
                 for (const auto& name : self_serve)
                     p.self_serve.insert(db->program()->vocab->activities.at(name));
                 return std::make_shared<book>(db, std::move(p));
             }),
             py::arg("db"), py::arg("holds_from"), py::arg("hold_expiry_days"),
             py::arg("max_follow_ups"), py::arg("candidates"), py::arg("self_serve"))
        .def(
            "create",
            [](book& b, const std::string& opportunity, const std::string& activity,
               std::uint32_t wanted, date needed_by, const std::string& notes,
               const std::string& who, std::int64_t now) {
                new_request r;
                r.requester = who;
                r.opportunity_id = opportunity;
                r.activity = b.activity(activity);
                r.wanted = wanted;
                r.needed_by = needed_by;
                r.notes = notes;
                py::gil_scoped_release unlocked;
                return b.book.create(r, actor(who, now, ""));
            },
            py::arg("opportunity"), py::arg("activity"), py::arg("wanted"), py::arg("needed_by"),
            py::arg("notes"), py::arg("who"), py::arg("now"))
        .def(
            "propose",
            [](book& b, std::int64_t id, const std::string& who, std::int64_t now,
               const std::string& comment) {
                std::vector<request_candidate> out;
                {
                    py::gil_scoped_release unlocked;
                    const engine e(b.db->program());
                    out = b.book.propose(id, e, actor(who, now, comment));
                }
                py::list rows;
                for (const auto& c : out)
                    rows.append(py::make_tuple(c.reference_id, c.final_score, c.reason));
                return rows;
            },
            py::arg("id"), py::arg("who"), py::arg("now"), py::arg("comment"))
        .def(
            "pick",
            [](book& b, std::int64_t id, const std::vector<std::string>& refs,
               const std::string& who, std::int64_t now,
               const std::string& comment) { b.book.pick(id, refs, actor(who, now, comment)); },
            py::arg("id"), py::arg("references"), py::arg("who"), py::arg("now"),
            py::arg("comment"), released)
        .def(
            "transition",
            // approve, decline (of the whole request, or of one attached reference), accept,
            // cancel: the arrows with no input of their own.
            [](book& b, const std::string& verb, std::int64_t id, const std::string& who,
               std::int64_t now, const std::string& comment,
               const std::optional<std::string>& reference) {
                const auto a = actor(who, now, comment);
                py::gil_scoped_release unlocked;
                if (verb == "approve" && reference)
                    b.book.approve(id, *reference, a);
                else if (verb == "approve")
                    b.book.approve(id, a);
                else if (verb == "decline" && reference)
                    b.book.decline(id, *reference, a);
                else if (verb == "decline")
                    b.book.decline(id, a);
                else if (verb == "accept")
                    b.book.accept(id, a);
                else if (verb == "cancel")
                    b.book.cancel(id, a);
                else
                    throw validation_error("request operation", "verb",
                                           "approve, decline, accept or cancel", verb);
            },
            py::arg("verb"), py::arg("id"), py::arg("who"), py::arg("now"), py::arg("comment"),
            py::arg("reference") = py::none())
        .def(
            "contact",
            [](book& b, std::int64_t id, const std::string& channel,
               const std::optional<std::string>& outcome, const std::string& who, std::int64_t now,
               const std::string& comment) {
                const auto c = parse_outreach_channel(channel);
                if (!c)
                    throw validation_error("contact", "channel",
                                           "email, phone, video, in_person or social", channel);
                const auto a = actor(who, now, comment);
                if (!outcome) {
                    py::gil_scoped_release unlocked;
                    b.book.ask(id, *c, a);
                    return;
                }
                const auto o = parse_outreach_outcome(*outcome);
                if (!o)
                    throw validation_error("contact", "outcome", "no_answer, accepted or declined",
                                           *outcome);
                py::gil_scoped_release unlocked;
                b.book.contact(id, *c, *o, a);
            },
            py::arg("id"), py::arg("channel"), py::arg("outcome"), py::arg("who"), py::arg("now"),
            py::arg("comment"))
        .def(
            "schedule",
            [](book& b, std::int64_t id, date day, const std::string& who, std::int64_t now,
               const std::string& comment) { b.book.schedule(id, day, actor(who, now, comment)); },
            py::arg("id"), py::arg("day"), py::arg("who"), py::arg("now"), py::arg("comment"),
            released)
        .def(
            "fulfil",
            [](book& b, std::int64_t id, std::optional<date> day, const std::string& who,
               std::int64_t now,
               const std::string& comment) { b.book.fulfil(id, actor(who, now, comment), day); },
            py::arg("id"), py::arg("day"), py::arg("who"), py::arg("now"), py::arg("comment"),
            released)
        .def(
            "feedback",
            [](book& b, std::int64_t id, int rating, const std::string& outcome, bool again,
               const std::string& comment, const std::string& who, std::int64_t now) {
                b.book.feedback(id, {rating, outcome, again, comment}, actor(who, now, ""));
            },
            py::arg("id"), py::arg("rating"), py::arg("outcome"), py::arg("again"),
            py::arg("comment"), py::arg("who"), py::arg("now"), released)
        .def(
            "expire",
            [](book& b, const std::string& who, std::int64_t now) {
                return b.book.expire(actor(who, now, ""));
            },
            py::arg("who"), py::arg("now"), released)
        .def("get",
             [](const book& b, std::int64_t id) {
                 request r;
                 {
                     py::gil_scoped_release unlocked;
                     r = b.book.get(id);
                 }
                 return request_dict(b, r);
             })
        .def("list",
             [](const book& b) {
                 std::vector<request> rs;
                 {
                     py::gil_scoped_release unlocked;
                     rs = b.book.list();
                 }
                 py::list out;
                 for (const auto& r : rs) out.append(request_dict(b, r));
                 return out;
             })
        .def(
            "live_holds",
            [](const book& b, std::int64_t now) {
                std::vector<live_hold> hs;
                {
                    py::gil_scoped_release unlocked;
                    hs = b.book.live_holds(at(now));
                }
                py::list out;
                for (const auto& h : hs)
                    out.append(py::make_tuple(h.reference_id, b.name(h.activity), py::cast(h.day)));
                return out;
            })
        .def(
            "queues",
            [](const book& b, std::int64_t now, double due, double approval, double expiring) {
                queue_options o;
                o.due_within = std::chrono::hours(static_cast<long>(due));
                o.approval_waiting = std::chrono::hours(static_cast<long>(approval));
                o.expiring_within = std::chrono::hours(static_cast<long>(expiring));
                request_queues q;
                {
                    py::gil_scoped_release unlocked;
                    const engine e(b.db->program());
                    q = b.book.queues(at(now), e, o);
                }
                py::dict d;
                d["due_soon"] = queue_rows(b, q.due_soon);
                d["overdue"] = queue_rows(b, q.overdue);
                d["awaiting_approval"] = queue_rows(b, q.awaiting_approval);
                d["no_candidate"] = queue_rows(b, q.no_candidate);
                d["holds_expiring"] = queue_rows(b, q.holds_expiring);
                return d;
            },
            py::arg("now"), py::arg("due"), py::arg("approval"), py::arg("expiring"))
        .def(
            "service",
            [](const book& b, std::int64_t now) {
                service_figures s;
                {
                    py::gil_scoped_release unlocked;
                    s = b.book.service(at(now));
                }
                py::dict d;
                py::list times, on_time;
                for (const auto& t : s.time_to_fulfil)
                    times.append(py::make_tuple(b.name(t.activity), t.fulfilled, t.median_hours,
                                                t.p90_hours));
                for (const auto& t : s.on_time)
                    on_time.append(py::make_tuple(b.name(t.activity), t.settled, t.on_time));
                d["time_to_fulfil"] = times;
                d["on_time"] = on_time;
                d["by_reference"] = decline_rows(s.by_reference);
                d["by_activity"] = decline_rows(s.by_activity);
                d["by_channel"] = outreach_rows(s.by_channel);
                d["by_owner"] = outreach_rows(s.by_owner);
                return d;
            },
            py::arg("now"));
}

}  // namespace refmatch::python
