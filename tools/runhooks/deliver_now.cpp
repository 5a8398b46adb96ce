#include "deliver_now.hpp"

#include <cstdio>

namespace runhooks::cli {

Result<std::vector<Delivery>> deliver_now(const std::shared_ptr<Storage>& store,
                                          const std::vector<std::string>& delivery_ids, const NetworkPolicy& policy,
                                          const CaOptions& ca, std::chrono::seconds wait) {
  if (!delivery_ids.empty()) {  // an empty list would mean "everything"
    WorkerOptions options;
    options.network = policy;
    options.ca_file = ca.file;
    options.ca_path = ca.path;
    options.only_deliveries = delivery_ids;
    Worker worker(store, options);
    worker.flush(wait);
    worker.stop(std::chrono::seconds(1));
  }
  const Publisher history(store);
  std::vector<Delivery> deliveries;
  for (const std::string& id : delivery_ids) {
    auto d = history.delivery(id);
    if (!d) return std::move(d).error();
    deliveries.push_back(std::move(*d));
  }
  return deliveries;
}

void print_outcomes(const std::vector<Delivery>& deliveries) {
  for (const Delivery& d : deliveries) {
    std::printf("%s -> hook %s: %s after %d attempt(s)%s%s\n", d.delivery_id.c_str(), d.hook_id.c_str(),
                to_string(d.status), d.attempt_count, d.last_error.empty() ? "" : ": ", d.last_error.c_str());
  }
}

bool all_succeeded(const std::vector<Delivery>& deliveries) {
  for (const Delivery& d : deliveries) {
    if (d.status != DeliveryStatus::succeeded) return false;
  }
  return true;
}

}  // namespace runhooks::cli
