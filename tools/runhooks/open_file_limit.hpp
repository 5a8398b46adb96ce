#pragma once
// The descriptors `serve` and `worker` may hold. Every connection is one —
// the server's and each of the worker's requests in flight — and the soft
// limit on open files is often 1024 while the hard one allows far more: a
// worker past it fails its new connections ("connect" errors, retried
// later) instead of delivering.

#include <cstddef>

namespace runhooks::cli {

/// Raises this process's soft limit on open files (RLIMIT_NOFILE) to its
/// hard limit, as servers do, and returns the soft limit then in force.
std::size_t raise_open_file_limit();

/// Connections that fit under `limit` open files, 256 descriptors being
/// kept for the rest of the process (the store, listeners, idle
/// connections libcurl keeps beyond those in flight); half of a limit too
/// small for that (at least 1).
std::size_t room_for_connections(std::size_t limit);

}  // namespace runhooks::cli
