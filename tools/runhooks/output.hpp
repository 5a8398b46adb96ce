#pragma once
// What commands print: JSON documents (--json) and readable tables.

#include <runhooks/runhooks.hpp>

#include <string>
#include <utility>
#include <vector>

namespace runhooks::cli {

/// The API's Delivery objects (with the event type; `with_payload` as
/// GET /deliveries/{id} shows one), reading each event once; the store's error.
Result<std::string> deliveries_json(const Publisher& history, const std::vector<Delivery>& deliveries,
                                    bool with_payload = false);
/// The API's Attempt objects of one delivery, whose event is `event`.
std::string attempts_json(const std::vector<Attempt>& attempts, const OutboxEvent* event);
std::string to_json(const ApiKey& key);
std::string to_json(const std::vector<ApiKey>& keys);

/// `{"name":"value",...}` with every value a string, escaped.
std::string json_strings(const std::vector<std::pair<std::string, std::string>>& fields);

/// Prints rows as aligned columns under `header`.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace runhooks::cli
