#include "fault_vfs.h"

#include <sqlite3.h>

#include <cstring>

namespace hearth::testing {
namespace {

struct FaultState {
  bool armed = false;
  int fail_at = 0;
  FaultMode mode = FaultMode::kOnce;
  FaultKind kind = FaultKind::kIoError;
  int n_ops = 0;
  bool fired = false;
};
FaultState g_state;

sqlite3_vfs* g_real_vfs = nullptr;  // the default VFS we wrap
sqlite3_vfs g_fault_vfs;
sqlite3_io_methods g_methods;

// Our file object; the real VFS's file object follows it in the same block.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

// Counts one write or sync and says whether it must fail.
bool next_op_fails() {
  if (!g_state.armed) return false;
  ++g_state.n_ops;
  const bool fail = g_state.n_ops == g_state.fail_at ||
                    (g_state.mode == FaultMode::kPersistent && g_state.n_ops > g_state.fail_at);
  if (fail) g_state.fired = true;
  return fail;
}

int fault_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int fault_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int fault_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (next_op_fails()) return g_state.kind == FaultKind::kDiskFull ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int fault_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int fault_sync(sqlite3_file* f, int flags) {
  if (next_op_fails()) return g_state.kind == FaultKind::kDiskFull ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int fault_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int fault_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int fault_unlock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xUnlock(real_of(f), level); }
int fault_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int fault_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int fault_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int fault_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int fault_shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, page_size, extend, out);
}
int fault_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void fault_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int fault_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}
int fault_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
}
int fault_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

int fault_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  FaultFile* f = reinterpret_cast<FaultFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  int rc = g_real_vfs->xOpen(g_real_vfs, name, f->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set, so mirror the real file.
  f->base.pMethods = f->real->pMethods != nullptr ? &g_methods : nullptr;
  return rc;
}

// The remaining VFS calls go to the real VFS with its own pointer.
int fault_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_real_vfs->xDelete(g_real_vfs, name, sync_dir);
}
int fault_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real_vfs->xAccess(g_real_vfs, name, flags, out);
}
int fault_full_pathname(sqlite3_vfs*, const char* name, int n_out, char* out) {
  return g_real_vfs->xFullPathname(g_real_vfs, name, n_out, out);
}
int fault_randomness(sqlite3_vfs*, int n, char* out) { return g_real_vfs->xRandomness(g_real_vfs, n, out); }
int fault_sleep(sqlite3_vfs*, int us) { return g_real_vfs->xSleep(g_real_vfs, us); }
int fault_current_time(sqlite3_vfs*, double* out) { return g_real_vfs->xCurrentTime(g_real_vfs, out); }
int fault_get_last_error(sqlite3_vfs*, int n, char* out) { return g_real_vfs->xGetLastError(g_real_vfs, n, out); }
int fault_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real_vfs->xCurrentTimeInt64(g_real_vfs, out);
}

}  // namespace

void register_fault_vfs() {
  if (g_real_vfs != nullptr) return;
  g_real_vfs = sqlite3_vfs_find(nullptr);

  std::memset(&g_methods, 0, sizeof(g_methods));
  g_methods.iVersion = 3;
  g_methods.xClose = fault_close;
  g_methods.xRead = fault_read;
  g_methods.xWrite = fault_write;
  g_methods.xTruncate = fault_truncate;
  g_methods.xSync = fault_sync;
  g_methods.xFileSize = fault_file_size;
  g_methods.xLock = fault_lock;
  g_methods.xUnlock = fault_unlock;
  g_methods.xCheckReservedLock = fault_check_reserved_lock;
  g_methods.xFileControl = fault_file_control;
  g_methods.xSectorSize = fault_sector_size;
  g_methods.xDeviceCharacteristics = fault_device_characteristics;
  g_methods.xShmMap = fault_shm_map;
  g_methods.xShmLock = fault_shm_lock;
  g_methods.xShmBarrier = fault_shm_barrier;
  g_methods.xShmUnmap = fault_shm_unmap;
  g_methods.xFetch = fault_fetch;
  g_methods.xUnfetch = fault_unfetch;

  std::memset(&g_fault_vfs, 0, sizeof(g_fault_vfs));
  g_fault_vfs.iVersion = 2;
  g_fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real_vfs->szOsFile;
  g_fault_vfs.mxPathname = g_real_vfs->mxPathname;
  g_fault_vfs.zName = kFaultVfsName;
  g_fault_vfs.xOpen = fault_open;
  g_fault_vfs.xDelete = fault_delete;
  g_fault_vfs.xAccess = fault_access;
  g_fault_vfs.xFullPathname = fault_full_pathname;
  g_fault_vfs.xRandomness = fault_randomness;
  g_fault_vfs.xSleep = fault_sleep;
  g_fault_vfs.xCurrentTime = fault_current_time;
  g_fault_vfs.xGetLastError = fault_get_last_error;
  g_fault_vfs.xCurrentTimeInt64 = fault_current_time_int64;
  sqlite3_vfs_register(&g_fault_vfs, /*makeDflt=*/0);
}

void arm_fault_vfs(int fail_at, FaultMode mode, FaultKind kind) {
  g_state = FaultState{};
  g_state.armed = true;
  g_state.fail_at = fail_at;
  g_state.mode = mode;
  g_state.kind = kind;
}

void disarm_fault_vfs() { g_state.armed = false; }
bool fault_vfs_fired() { return g_state.fired; }
int fault_vfs_ops() { return g_state.n_ops; }

}  // namespace hearth::testing
