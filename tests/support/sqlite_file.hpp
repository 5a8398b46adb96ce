#pragma once
// A runhooks SQLite file looked at the way another program would: through a
// connection of its own, with the plain SQLite API, not through runhooks.

#include <cstdint>
#include <string>

namespace runhooks::test {

/// What `PRAGMA integrity_check` says of the file: "ok" when it is sound,
/// else the problems found (or why the check could not run).
std::string integrity_check(const std::string& path);

/// The first column of the first row of `sql` (e.g. `SELECT count(*) FROM
/// events`) as an integer; -1 when the query fails.
std::int64_t query_int(const std::string& path, const std::string& sql);

/// Copies the whole WAL into the database and truncates the WAL to zero
/// bytes (PRAGMA wal_checkpoint(TRUNCATE)), waiting up to 10 s for other
/// connections' transactions to end; false when that did not happen. The
/// next commit by anyone must then allocate new space for the WAL.
bool checkpoint_truncate(const std::string& path);

/// Whether a write transaction could begin on the file right now (BEGIN
/// IMMEDIATE without waiting, then rolled back): false while another
/// connection, of any process, holds the write lock.
bool write_lock_free(const std::string& path);

}  // namespace runhooks::test
