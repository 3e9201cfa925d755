#pragma once
/// @file dated_request.hpp
/// One reference request of a period, as a replay reads it (refmatch/assignment/simulation.hpp):
/// a plain value, so that a generated year, a CSV file and the open or historic requests of a
/// program's database all convert into the same list.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>

#include <cstdint>
#include <string>

namespace refmatch {

/// A request for references, dated: asked on `day` for the prospect `prospect_id` of the
/// program (its codes, products and exclusions come from the program's prospect store), wanting
/// `count` distinct references for `activity` by `due`, worth `value` (the deal value, or any
/// priority) when filled in time.
struct dated_request {
    std::string id;  ///< unique within a replay
    date day;        ///< the day it is asked (opened)
    std::string prospect_id;
    activity_id activity;
    std::uint32_t count = 1;  ///< references wanted (at least 1)
    date due;                 ///< needed by; the planned day of the activity
    double value = 0.0;       ///< finite and >= 0
    bool operator==(const dated_request&) const = default;
};

}  // namespace refmatch
