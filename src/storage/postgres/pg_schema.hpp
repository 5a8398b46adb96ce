#pragma once
// The PostgreSQL schema and its forward migrations.

#include "storage/postgres/pg_connection.hpp"

#include <string>

namespace runhooks::detail {

int postgres_schema_version();

/// Creates `schema` if missing and brings it to the current version, in one
/// transaction under an advisory lock, so processes starting at once do not
/// race. A newer schema is refused with `internal`.
Result<void> migrate_postgres_schema(PgConnection& conn, const std::string& schema);

}  // namespace runhooks::detail
