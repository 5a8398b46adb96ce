#pragma once
// A small tmpfs mounted for one test, so that a test can fill a disk on
// purpose (and free it again). Mounting needs root (CAP_SYS_ADMIN): CI runs
// as root; elsewhere `mount` says why not, and the test skips.

#include "support/temp_dir.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace runhooks::test {

class Tmpfs {
 public:
  /// Mounts a tmpfs of `bytes` on a fresh temporary directory; null, with
  /// `why` set, when this process may not mount one.
  static std::unique_ptr<Tmpfs> mount(std::size_t bytes, std::string& why);
  /// Unmounts (lazily if a file on it is still open) and removes the directory.
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  const std::string& path() const { return path_; }
  /// path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Remounts it with a new size, keeping its files; false when refused
  /// (shrinking below what is stored, say).
  bool resize(std::size_t bytes);
  /// Bytes still free for files.
  std::size_t free_bytes() const;

 private:
  Tmpfs() = default;
  TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

/// Appends to `path` (created if missing) until its filesystem is full
/// (ENOSPC, down to the last page); the bytes written, or -1 when the
/// writes failed otherwise. Never throws: safe on any thread.
long long fill_until_full(const std::string& path);

/// Writes a file of `bytes` bytes; false on any error.
bool write_filler(const std::string& path, std::size_t bytes);

}  // namespace runhooks::test
