// tests/fault/fault_vfs.h: an SQLite VFS shim for fault loops. It wraps the
// default VFS under the name kFaultVfsName and counts every xWrite and xSync
// on every file (database, WAL); the Nth one (and, in persistent mode, every
// one after it) fails with the chosen error instead of reaching the disk.
// Single-threaded use only.
#pragma once

namespace hearth::testing {

inline constexpr const char* kFaultVfsName = "hearth_fault";

enum class FaultMode {
  kOnce,        // only op number fail_at fails
  kPersistent,  // op fail_at and every later op fail (a dead disk)
};

enum class FaultKind {
  kIoError,   // SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC
  kDiskFull,  // SQLITE_FULL
};

// Registers the shim once (not as the default VFS). Safe to call repeatedly.
void register_fault_vfs();

// Starts counting from zero; op number fail_at (1-based) fails.
void arm_fault_vfs(int fail_at, FaultMode mode, FaultKind kind);
// Stops failing and counting.
void disarm_fault_vfs();
// True when at least one op failed since the last arm.
bool fault_vfs_fired();
// Writes and syncs seen since the last arm.
int fault_vfs_ops();

}  // namespace hearth::testing
