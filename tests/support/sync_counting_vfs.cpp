#include "support/sync_counting_vfs.hpp"

#include <sqlite3.h>

#include <cstring>
#include <stdexcept>

namespace runhooks::test {

namespace {

std::atomic<std::size_t> g_syncs{0};
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

// A file of ours: SQLite allocates szOsFile bytes; the base VFS's file
// follows our header in the same block.
struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file)->real; }

int x_close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), b, n, o); }
int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return real(f)->pMethods->xWrite(real(f), b, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) {
  ++g_syncs;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_lock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); }
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), offset, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real(f)->pMethods->xUnfetch(real(f), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,           x_close,     x_read,        x_write,        x_truncate,  x_sync,
    x_file_size, x_lock,      x_unlock,      x_check_lock,   x_file_control, x_sector_size,
    x_device,    x_shm_map,   x_shm_lock,    x_shm_barrier,  x_shm_unmap, x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* ours = reinterpret_cast<CountingFile*>(file);
  ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
  const int rc = g_base->xOpen(g_base, name, ours->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set, and the base file must be
  // closed when it opened.
  ours->base.pMethods = ours->real->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}

}  // namespace

SyncCountingVfs::SyncCountingVfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr || g_base->iVersion < 1) throw std::runtime_error("no default SQLite VFS");
  g_vfs = *g_base;
  g_vfs.zName = "runhooks-sync-counting";
  g_vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_base->szOsFile;
  g_vfs.xOpen = x_open;
  g_syncs = 0;
  sqlite3_vfs_register(&g_vfs, 1);
}

SyncCountingVfs::~SyncCountingVfs() {
  sqlite3_vfs_unregister(&g_vfs);
  sqlite3_vfs_register(g_base, 1);
}

std::size_t SyncCountingVfs::syncs() const { return g_syncs.load(); }

}  // namespace runhooks::test
