// Utilisation of a program on a day: the rows of refmatch::utilisation as columns, which
// Program.utilisation_frame (bindings/refmatch/_frames.py) turns into a DataFrame.

#include "bind_common.hpp"

#include <refmatch/utilisation.hpp>

namespace refmatch::python {

void bind_utilisation(py::module_& m) {
    m.def(
        "_utilisation_columns",
        [](const program& p, date now, const py::handle& activity, bool active_only) {
            utilisation_options o;
            if (!activity.is_none())
                o.activity = activity_from(activity, "utilisation", &p.vocab->activities);
            o.active_only = active_only;
            std::vector<utilisation_row> rows;
            {
                py::gil_scoped_release unlocked;
                rows = utilisation(p, now, o);
            }
            py::list reference_id, name, status, act, used, max_uses, window_days, cooldown_days,
                last_use, cooldown_end, headroom, never_used, eligible, reason;
            for (const auto& r : rows) {
                const auto& q = r.quota;
                reference_id.append(r.reference_id);
                name.append(r.reference_name);
                status.append(std::string(to_string(r.status)));
                act.append(p.vocab->activities.name(q.activity));
                used.append(q.used);
                max_uses.append(py::cast(q.max_uses));
                window_days.append(q.window_days);
                cooldown_days.append(q.cooldown_days);
                last_use.append(py::cast(q.last_use));
                // Only a cooldown that still runs on `now`.
                cooldown_end.append(q.cooling_down ? py::cast(q.cooldown_end) : py::none());
                headroom.append(py::cast(r.headroom));
                never_used.append(r.never_used);
                eligible.append(r.available());
                reason.append(r.status != reference_status::active
                                  ? std::string(to_string(r.status))
                                  : q.reason());
            }
            py::dict d;
            d["reference_id"] = reference_id;
            d["name"] = name;
            d["status"] = status;
            d["activity"] = act;
            d["used"] = used;
            d["max_uses"] = max_uses;
            d["window_days"] = window_days;
            d["cooldown_days"] = cooldown_days;
            d["last_use"] = last_use;
            d["cooldown_end"] = cooldown_end;
            d["headroom"] = headroom;
            d["never_used"] = never_used;
            d["eligible"] = eligible;
            d["reason"] = reason;
            return d;
        },
        py::arg("program"), py::arg("now"), py::arg("activity") = py::none(),
        py::arg("active_only") = false,
        "The utilisation rows of a program on a day (refmatch::utilisation), as columns.");
}

}  // namespace refmatch::python
