#include "support/tmpfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace runhooks::test {

namespace {

std::string size_option(std::size_t bytes) { return "size=" + std::to_string(bytes); }

// Writes `size` bytes of `chunk`; what write() managed, -1 for an error
// other than a full disk.
long long write_some(int fd, const char* chunk, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, chunk + done, size - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno == ENOSPC || errno == EDQUOT) break;
    return -1;
  }
  return static_cast<long long>(done);
}

}  // namespace

std::unique_ptr<Tmpfs> Tmpfs::mount(std::size_t bytes, std::string& why) {
  std::unique_ptr<Tmpfs> fs(new Tmpfs());
  fs->path_ = fs->dir_.file("mnt");
  std::error_code error;
  std::filesystem::create_directory(fs->path_, error);
  if (error) {
    why = "cannot create " + fs->path_ + ": " + error.message();
    return nullptr;
  }
  const std::string options = size_option(bytes);
  if (::mount("tmpfs", fs->path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    why = "cannot mount a tmpfs on " + fs->path_ + " (" + std::strerror(errno) +
          "): fault-injection tests need root";
    return nullptr;
  }
  fs->mounted_ = true;
  return fs;
}

Tmpfs::~Tmpfs() {
  // MNT_DETACH when busy: a test that failed early may still hold a store open.
  if (mounted_ && ::umount2(path_.c_str(), 0) != 0) ::umount2(path_.c_str(), MNT_DETACH);
}

bool Tmpfs::resize(std::size_t bytes) {
  const std::string options = size_option(bytes);
  return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
}

std::size_t Tmpfs::free_bytes() const {
  struct statvfs stats {};
  if (::statvfs(path_.c_str(), &stats) != 0) return 0;
  return static_cast<std::size_t>(stats.f_bavail) * stats.f_frsize;
}

long long fill_until_full(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  static const std::string chunk(1 << 16, 'f');
  long long total = 0;
  // Big writes first, then down to single bytes, so that even the last
  // partly used page is taken.
  for (std::size_t size = chunk.size(); size >= 1; size /= 2) {
    for (;;) {
      const long long n = write_some(fd, chunk.data(), size);
      if (n < 0) {
        ::close(fd);
        return -1;
      }
      total += n;
      if (static_cast<std::size_t>(n) < size) break;
    }
  }
  ::close(fd);
  return total;
}

bool write_filler(const std::string& path, std::size_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  static const std::string chunk(1 << 16, 'f');
  bool ok = true;
  while (ok && bytes > 0) {
    const std::size_t size = std::min(bytes, chunk.size());
    ok = write_some(fd, chunk.data(), size) == static_cast<long long>(size);
    bytes -= size;
  }
  return ::close(fd) == 0 && ok;
}

}  // namespace runhooks::test
