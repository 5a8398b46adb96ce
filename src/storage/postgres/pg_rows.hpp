#pragma once
// What the PostgreSQL backend's files share: parameters made from values,
// and records read from result rows (storage/row_readers.hpp's readers).

#include "storage/postgres/pg_connection.hpp"
#include "storage/row_readers.hpp"

#include <optional>
#include <string>
#include <vector>

namespace runhooks::detail::pg {

using Params = std::vector<PgParam>;

/// The channel `notify` and redeliveries NOTIFY, and workers LISTEN on.
inline constexpr const char* kNotifyChannel = "runhooks_enqueued";

inline PgParam boolean(bool b) { return PgParam(b ? "true" : "false"); }
inline PgParam millis(Timestamp t) { return PgParam(to_millis(t)); }
inline PgParam optional_millis(const std::optional<Timestamp>& t) { return t ? millis(*t) : PgParam(); }

inline PgParam text_array(const std::vector<std::string>& items) {
  PgArray array(PgArray::Type::text);
  for (const std::string& item : items) array.add(item);
  return array.param();
}

/// One row of a result, with the Row interface of storage/row_readers.hpp.
/// Column c is the result's column first + c.
struct PgRow {
  const PgResult& result;
  int row;
  int first = 0;
  std::string text(int c) const { return result.text(row, first + c); }
  std::optional<std::string> nullable_text(int c) const { return result.nullable_text(row, first + c); }
  std::int64_t integer(int c) const { return result.integer(row, first + c); }
  bool boolean(int c) const { return result.text(row, first + c) == "t"; }
  bool is_null(int c) const { return result.is_null(row, first + c); }
  std::string bytes(int c) const { return result.bytes(row, first + c); }
};

inline Webhook read_hook(const PgResult& r, int i) { return read_hook_row(PgRow{r, i}); }
inline Delivery read_delivery(const PgResult& r, int i) { return read_delivery_row(PgRow{r, i}); }
inline OutboxEvent read_event(const PgResult& r, int i, int first) { return read_event_row(PgRow{r, i}, first); }
inline Attempt read_attempt(const PgResult& r, int i) { return read_attempt_row(PgRow{r, i}); }
inline ApiKey read_key(const PgResult& r, int i) { return read_api_key_row(PgRow{r, i}); }

template <class T, class Reader>
std::vector<T> read_rows(const PgResult& r, Reader read) {
  std::vector<T> rows;
  rows.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) rows.push_back(read(r, i));
  return rows;
}

}  // namespace runhooks::detail::pg
