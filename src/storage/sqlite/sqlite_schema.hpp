#pragma once
// The SQLite schema and its forward migrations, versioned by PRAGMA user_version.

#include "storage/sqlite/sqlite_connection.hpp"

#include <cstdint>
#include <string_view>

namespace runhooks::detail {

/// The schema version this build writes.
int sqlite_schema_version();

/// deliveries.run_key and hook_key: a text as a 64-bit integer (FNV-1a and
/// MurmurHash3's finalizer, never 0), 0 for the empty text. Two texts may share a key: queries on
/// these keys also compare the text.
std::int64_t text_key(std::string_view text);

/// Brings the file up to the current schema in one IMMEDIATE transaction (so
/// two processes opening a new file at once do not both migrate); a file
/// already current is only read. A file of
/// a newer schema is refused with `internal`. A read-only connection only
/// checks the version.
Result<void> migrate_sqlite_schema(SqliteConnection& connection, bool read_only);

}  // namespace runhooks::detail
