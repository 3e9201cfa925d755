// The fault-injecting VFS: a shim whose files forward every method to the default VFS's file,
// counting writes and syncs.

#include "fault_vfs.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <sqlite3.h>

namespace fault_vfs {
namespace {

std::atomic<long> budget{-1};  // writes and syncs still allowed; negative: unlimited
std::atomic<long> failed{0};

bool allow() {
    long b = budget.load();
    while (b >= 0) {
        if (b == 0) {
            ++failed;
            return false;
        }
        if (budget.compare_exchange_weak(b, b - 1)) return true;
    }
    return true;
}

sqlite3_vfs* base = nullptr;
sqlite3_vfs shim;

// Our file: the methods pointer SQLite calls, then the wrapped file in the same allocation.
struct shim_file {
    sqlite3_file header;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
shim_file* self(sqlite3_file* f) {
    return reinterpret_cast<shim_file*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
    return self(f)->real();
}

int x_close(sqlite3_file* f) {
    return real(f)->pMethods->xClose(real(f));
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
    return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
    if (!allow()) return SQLITE_IOERR_WRITE;
    return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (!allow()) return SQLITE_IOERR_TRUNCATE;
    return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
    if (!allow()) return SQLITE_IOERR_FSYNC;
    return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xLock(real(f), l);
}
int x_unlock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xUnlock(real(f), l);
}
int x_check_reserved(sqlite3_file* f, int* out) {
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
    return real(f)->pMethods->xSectorSize(real(f));
}
int x_device_characteristics(sqlite3_file* f) {
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
    return real(f)->pMethods->xShmUnmap(real(f), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
    return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return real(f)->pMethods->xUnfetch(real(f), off, p);
}

sqlite3_io_methods methods = {3,
                              x_close,
                              x_read,
                              x_write,
                              x_truncate,
                              x_sync,
                              x_file_size,
                              x_lock,
                              x_unlock,
                              x_check_reserved,
                              x_file_control,
                              x_sector_size,
                              x_device_characteristics,
                              x_shm_map,
                              x_shm_lock,
                              x_shm_barrier,
                              x_shm_unmap,
                              x_fetch,
                              x_unfetch};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* s = self(f);
    s->header.pMethods = nullptr;
    const int rc = base->xOpen(base, name, s->real(), flags, out_flags);
    // SQLite calls xClose only on a file whose pMethods is set: set it when the real one is.
    if (s->real()->pMethods) s->header.pMethods = &methods;
    return rc;
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
    if (!allow()) return SQLITE_IOERR_DELETE;
    return base->xDelete(base, name, sync_dir);
}

}  // namespace

void install() {
    static std::once_flag once;
    std::call_once(once, [] {
        base = sqlite3_vfs_find(nullptr);
        shim = *base;
        shim.zName = name;
        shim.szOsFile = static_cast<int>(sizeof(shim_file)) + base->szOsFile;
        shim.pNext = nullptr;
        shim.xOpen = x_open;
        shim.xDelete = x_delete;
        sqlite3_vfs_register(&shim, 0);
    });
}

void fail_after(long n) {
    failed = 0;
    budget = n;
}

long failures() {
    return failed.load();
}

}  // namespace fault_vfs
