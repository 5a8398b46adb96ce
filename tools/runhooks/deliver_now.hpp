#pragma once
// Delivering a few deliveries in this process and waiting for them
// (`fire --wait`, `redeliver --wait`, `hooks test --wait`): a Worker that
// claims those ids alone (WorkerOptions::only_deliveries), so that nothing
// else of the store is sent under this process's network policy.

#include "options.hpp"

#include <runhooks/runhooks.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace runhooks::cli {

/// Sends `delivery_ids` (none: nothing is sent) under `policy`, trusting
/// `ca` over HTTPS, for up to `wait`, then reads them back. The error is the
/// store's.
Result<std::vector<Delivery>> deliver_now(const std::shared_ptr<Storage>& store,
                                          const std::vector<std::string>& delivery_ids, const NetworkPolicy& policy,
                                          const CaOptions& ca, std::chrono::seconds wait);

/// One line per delivery: id, hook, status, attempts and the last error
/// (which names the --allow-network that opens a blocked address).
void print_outcomes(const std::vector<Delivery>& deliveries);

bool all_succeeded(const std::vector<Delivery>& deliveries);

}  // namespace runhooks::cli
