#pragma once
// Writers of the Delivery and Attempt objects into a document being built
// (a list, an envelope), behind include/runhooks/history_json.hpp.

#include <runhooks/outbox.hpp>

#include "core/json_writer.hpp"

namespace runhooks::detail {

void write_delivery(JsonWriter& w, const Delivery& delivery, const OutboxEvent* event, bool with_payload);
void write_attempt(JsonWriter& w, const Attempt& attempt, const OutboxEvent* event);

}  // namespace runhooks::detail
