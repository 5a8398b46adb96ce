// runhooks deliveries | attempts DELIVERY_ID | redeliver DELIVERY_ID

#include "cli.hpp"
#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

int run_deliveries(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv, {"project", "hook", "event", "status", "limit"}, {"json"});
  args.at_most(0);
  DeliveryFilter filter;
  filter.project_id = args.value("project").value_or("");
  filter.hook_id = args.value("hook").value_or("");
  filter.event_id = args.value("event").value_or("");
  if (auto status = args.value("status")) {
    if (*status == "pending") filter.status = DeliveryStatus::pending;
    else if (*status == "succeeded") filter.status = DeliveryStatus::succeeded;
    else if (*status == "failed") filter.status = DeliveryStatus::failed;
    else throw UsageError("--status must be pending, succeeded or failed");
  }
  if (auto limit = args.value("limit")) filter.limit = static_cast<std::size_t>(std::stoul(*limit));
  auto store = context.store();
  if (!store) return report(store.error());
  auto deliveries = Publisher(*store).deliveries(filter);
  if (!deliveries) return report(deliveries.error());
  if (args.has("json")) {
    std::printf("%s\n", to_json(*deliveries).c_str());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Delivery& d : *deliveries) {
    rows.push_back({d.delivery_id, d.hook_id, to_string(d.status), std::to_string(d.attempt_count),
                    format_iso8601(d.created_at), d.last_error});
  }
  print_table({"DELIVERY ID", "HOOK ID", "STATUS", "ATTEMPTS", "CREATED", "LAST ERROR"}, rows);
  return kOk;
}

int run_attempts(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv, {"limit"}, {"json"});
  args.at_most(1);
  const std::string id = args.positional(0, "a delivery id");
  auto store = context.store();
  if (!store) return report(store.error());
  const Publisher history(*store);
  if (auto d = history.delivery(id); !d) return report(d.error());
  auto attempts = history.attempts(AttemptFilter{id, "", 100});
  if (!attempts) return report(attempts.error());
  if (args.has("json")) {
    std::printf("%s\n", to_json(*attempts).c_str());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Attempt& a : *attempts) {
    rows.push_back({format_iso8601(a.started_at), to_string(a.trigger), std::to_string(a.status_code),
                    to_string(a.error_class), std::to_string(a.duration.count()) + " ms", a.error_message});
  }
  print_table({"STARTED", "TRIGGER", "STATUS", "CLASS", "DURATION", "ERROR"}, rows);
  return kOk;
}

int run_redeliver(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"json"});
  args.at_most(1);
  const std::string id = args.positional(0, "a delivery id");
  auto store = context.store();
  if (!store) return report(store.error());
  auto delivery = Publisher(*store).redeliver(id);  // a worker or `serve` sends it
  if (!delivery) return report(delivery.error());
  if (args.has("json")) std::printf("%s\n", to_json(*delivery).c_str());
  else std::printf("delivery %s queued again (webhook-id unchanged)\n", delivery->delivery_id.c_str());
  return kOk;
}

}  // namespace runhooks::cli
