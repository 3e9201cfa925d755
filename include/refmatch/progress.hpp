#pragma once
// One progress report and one way to cancel for every long job of the library: loading tables
// and programs, importing a program directory into a database, match and gap batches.

#include <refmatch/error.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace refmatch {

/// Where a long job is: `done` of `total` units of `stage` (the file being read, counted in
/// bytes or rows; "matching", counted in prospects). `total` is 0 when it is not known.
struct progress_update {
    std::string_view stage;
    std::size_t done = 0;
    std::size_t total = 0;
};

/// Called by a long job on the thread that called it, at intervals and once when a stage ends.
/// Return false to cancel: the job stops at that report and throws `cancelled`, and leaves
/// nothing half-done (a load returns nothing, a database import writes nothing). Exceptions
/// thrown by the callback propagate the same way.
using progress_callback = std::function<bool(const progress_update&)>;

/// Thrown by a long job that its progress callback (or its stop token) cancelled.
class cancelled : public error {
public:
    explicit cancelled(const std::string& job) : error(job + " cancelled") {}
};

namespace detail {
/// Reports `update` to `progress` (if set); throws `cancelled` naming `job` when it answers false.
inline void report(const progress_callback& progress, const progress_update& update,
                   std::string_view job) {
    if (progress && !progress(update)) throw cancelled(std::string(job));
}
}  // namespace detail

}  // namespace refmatch
