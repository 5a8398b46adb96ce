// open_storage: from a URI to a backend.

#include <runhooks/storage.hpp>

#include "storage/memory/memory_storage.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#if RUNHOOKS_WITH_POSTGRES
#include "storage/postgres/pg_storage.hpp"
#endif

namespace runhooks {

Storage::~Storage() = default;

Result<CompletedAttempt> Storage::complete_attempt(std::string_view owner, const AttemptResult& result) {
  auto results = complete_attempts(owner, {result});
  if (!results) return std::move(results).error();
  return std::move(results->front());
}

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The parameters of a sqlite: URI, `a=b&c=d`, applied to `read_only` and
// `options`.
Result<void> apply_sqlite_parameters(std::string_view parameters, bool& read_only, StorageOptions& options) {
  while (!parameters.empty()) {
    const auto amp = parameters.find('&');
    const std::string_view parameter = parameters.substr(0, amp);
    parameters = amp == std::string_view::npos ? std::string_view() : parameters.substr(amp + 1);
    if (parameter == "mode=ro" || parameter == "mode=rw") {
      read_only = parameter == "mode=ro";
    } else if (parameter == "synchronous=full" || parameter == "synchronous=normal") {
      options.sqlite_synchronous = parameter == "synchronous=full" ? SqliteSync::full : SqliteSync::normal;
    } else {
      return Error::invalid("store", "unknown sqlite option '" + std::string(parameter) +
                                         "' (supported: mode=ro, mode=rw, synchronous=normal, synchronous=full)");
    }
  }
  return {};
}

Result<std::shared_ptr<Storage>> open_sqlite(std::string_view spec, StorageOptions options) {
  std::string_view path = spec;
  bool read_only = false;
  if (const auto query = spec.rfind('?'); query != std::string_view::npos) {
    if (auto applied = apply_sqlite_parameters(spec.substr(query + 1), read_only, options); !applied) {
      return std::move(applied).error();
    }
    path = spec.substr(0, query);
  }
  // sqlite:///abs/path and sqlite://localhost/abs/path are the URL spellings
  // of sqlite:/abs/path.
  if (starts_with(path, "//localhost/")) path.remove_prefix(11);
  else if (starts_with(path, "///")) path.remove_prefix(2);
  if (path.empty()) return Error::invalid("store", "sqlite store needs a path: sqlite:/path/to/file.db");
  return detail::SqliteStorage::open(std::string(path), read_only, options);
}

// `runhooks_schema=NAME` is ours, not libpq's: taken out of the URI's query.
Result<std::shared_ptr<Storage>> open_postgres(std::string_view uri, const StorageOptions& options) {
#if RUNHOOKS_WITH_POSTGRES
  std::string conninfo(uri);
  std::string schema = options.schema;
  static constexpr std::string_view kParam = "runhooks_schema=";
  if (const auto q = conninfo.find('?'); q != std::string::npos) {
    std::string query = conninfo.substr(q + 1);
    std::string kept;
    std::size_t start = 0;
    while (start <= query.size()) {
      const auto amp = query.find('&', start);
      const std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (pair.rfind(kParam, 0) == 0) schema = pair.substr(kParam.size());
      else if (!pair.empty()) kept += (kept.empty() ? "" : "&") + pair;
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
    conninfo = conninfo.substr(0, q) + (kept.empty() ? "" : "?" + kept);
  }
  return detail::PostgresStorage::open(conninfo, schema, options);
#else
  (void)uri;
  (void)options;
  return Error::invalid("store", "this runhooks was built without PostgreSQL (RUNHOOKS_WITH_POSTGRES)");
#endif
}

}  // namespace

Result<std::shared_ptr<Storage>> open_storage(std::string_view uri, const StorageOptions& options) {
  if (starts_with(uri, "sqlite:")) return open_sqlite(uri.substr(7), options);
  if (starts_with(uri, "postgresql://") || starts_with(uri, "postgres://")) return open_postgres(uri, options);
  if (uri == "memory:") return std::shared_ptr<Storage>(std::make_shared<detail::MemoryStorage>());
  return Error::invalid("store", "unknown store '" + std::string(uri.substr(0, 64)) +
                                     "' (expected sqlite:PATH, memory: or postgresql://...)");
}

}  // namespace runhooks
