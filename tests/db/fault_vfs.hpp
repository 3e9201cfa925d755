#pragma once
// A SQLite VFS that wraps the default one and fails writes and fsyncs on demand (tests only): the
// I/O fault injector of the database tests. Open a database with `database_options::vfs =
// fault_vfs::name` and arm it with `fault_vfs::fail_after(n)`: the n+1-th write or sync from then
// on, and every one after it, returns SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC, as a full or
// failing disk would.

namespace fault_vfs {

inline constexpr const char* name = "refmatch-fault";

/// Registers the VFS (once; not as the default).
void install();
/// Lets `n` more writes and syncs through, then fails every one; negative: never fail.
void fail_after(long n);
/// Writes and syncs failed since the last `fail_after`.
long failures();

}  // namespace fault_vfs
