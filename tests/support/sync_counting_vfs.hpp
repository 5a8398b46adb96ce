#pragma once
// A SQLite VFS that forwards to the default one and counts the syncs
// (fsync/fdatasync) SQLite asks of it: how durability settings are seen from
// outside, without timing anything.

#include <atomic>
#include <cstddef>

struct sqlite3_vfs;

namespace runhooks::test {

/// Made the default VFS while it lives (so stores opened meanwhile use it);
/// the previous default is restored on destruction. One at a time.
class SyncCountingVfs {
 public:
  SyncCountingVfs();
  ~SyncCountingVfs();
  SyncCountingVfs(const SyncCountingVfs&) = delete;
  SyncCountingVfs& operator=(const SyncCountingVfs&) = delete;

  std::size_t syncs() const;
};

}  // namespace runhooks::test
