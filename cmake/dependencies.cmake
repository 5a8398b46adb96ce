# Everything here comes from Debian's packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(CURL 7.80 REQUIRED)
find_package(SQLite3 3.35 REQUIRED)
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
# RapidJSON is header-only and used by runhooks' sources only, never by its
# public headers, so it is an include path, not a target a consumer inherits.
find_package(RapidJSON 1.1 REQUIRED CONFIG)
set(RUNHOOKS_RAPIDJSON_INCLUDE_DIRS ${RapidJSON_INCLUDE_DIRS} ${RAPIDJSON_INCLUDE_DIRS})

# PostgreSQL (libpq) for the postgresql:// backend: on when libpq is found.
find_package(PostgreSQL QUIET)
option(RUNHOOKS_WITH_POSTGRES "Build the PostgreSQL storage backend" ${PostgreSQL_FOUND})
if(RUNHOOKS_WITH_POSTGRES)
  find_package(PostgreSQL REQUIRED)
endif()
