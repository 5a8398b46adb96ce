#pragma once
// Flat text forms of the list-valued fields, for backends that keep a row per
// record (SQLite, PostgreSQL). The forms are internal to runhooks' schema.

#include <runhooks/error.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/webhook.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks::detail {

/// "RUN_FINISH,RUN_START"; empty for every event.
std::string encode_events(const std::vector<EventType>& events);
std::vector<EventType> decode_events(std::string_view text);

/// The events as a bit mask (`event_bit`); 0 for every event. Lets a backend
/// select the hooks an event goes to in its own query language.
std::uint32_t event_mask(const std::vector<EventType>& events);

/// "whsec_a@1700000000000;whsec_b@1700000001000": secret@expiry-ms pairs.
/// Secrets are `whsec_` + base64, which never contains '@' or ';'.
std::string encode_retired_secrets(const std::vector<RetiredSecret>& secrets);
std::vector<RetiredSecret> decode_retired_secrets(std::string_view text);

/// Newline-separated project ids (project ids are printable ASCII).
std::string encode_projects(const std::vector<std::string>& projects);
std::vector<std::string> decode_projects(std::string_view text);

/// `[["name","value"],...]`: header fields in order, as JSON; "" for none (so
/// attempts stored before headers were kept read as none). Any bytes survive,
/// a NUL or invalid UTF-8 included (a response's headers are as received):
/// backends store it as a blob, and it is read back without validating its
/// encoding. Text that is not such an array reads as none.
std::string encode_headers(const HeaderList& headers);
HeaderList decode_headers(std::string_view text);

/// `["a","b"]`: strings as a JSON array, for SQL `json_each` and the like.
std::string json_string_array(const std::vector<std::string>& items);

std::int64_t to_millis(Timestamp t);
Timestamp from_millis(std::int64_t ms);

}  // namespace runhooks::detail
