// runhooks deliveries [filters] | attempts DELIVERY_ID: the delivery history,
// as the management API shows it (--json prints its Delivery and Attempt objects).

#include "cli.hpp"
#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

namespace {

struct DeliveriesOptions {
  std::string project, hook, event, status;
  std::int64_t limit = 100;
  bool json = false;
};

struct AttemptsOptions {
  std::string delivery_id;
  std::int64_t limit = 100;
  bool full = false;
  bool json = false;
};

int list_deliveries(const Context& context, const DeliveriesOptions& o) {
  DeliveryFilter filter;
  filter.project_id = o.project;
  filter.hook_id = o.hook;
  filter.event_id = o.event;
  if (!o.status.empty()) {
    if (o.status == "pending") filter.status = DeliveryStatus::pending;
    else if (o.status == "succeeded") filter.status = DeliveryStatus::succeeded;
    else if (o.status == "failed") filter.status = DeliveryStatus::failed;
    else throw UsageError("--status must be pending, succeeded or failed");
  }
  filter.limit = static_cast<std::size_t>(o.limit);
  auto store = context.store();
  if (!store) return report(store.error());
  const Publisher history(*store);
  auto deliveries = history.deliveries(filter);
  if (!deliveries) return report(deliveries.error());
  if (o.json) {
    auto json = deliveries_json(history, *deliveries);
    if (!json) return report(json.error());
    std::printf("%s\n", json->c_str());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Delivery& d : *deliveries) {
    auto event = history.event(d.event_id);
    rows.push_back({d.delivery_id, event ? std::string(to_string(event->type)) : "?", d.hook_id, to_string(d.status),
                    std::to_string(d.attempt_count), format_iso8601(d.created_at), d.last_error});
  }
  print_table({"DELIVERY ID", "EVENT", "HOOK ID", "STATUS", "ATTEMPTS", "CREATED", "LAST ERROR"}, rows);
  return kOk;
}

void print_headers(const char* indent, const HeaderList& headers) {
  for (const auto& [name, value] : headers) std::printf("%s%s: %s\n", indent, name.c_str(), value.c_str());
}

// The request as sent and the response as received, as the API's Attempt has them.
void print_exchange(const Attempt& a, const OutboxEvent& event) {
  std::printf("\nattempt %s (%s, %s)\n", a.attempt_id.c_str(), format_iso8601(a.started_at).c_str(),
              to_string(a.trigger));
  if (a.request_url.empty()) {
    std::printf("  no request was made%s%s\n", a.error_message.empty() ? "" : ": ", a.error_message.c_str());
    return;
  }
  std::printf("  request: POST %s\n", a.request_url.c_str());
  print_headers("    ", a.request_headers);
  std::printf("    body: %s\n", event.payload.c_str());
  if (a.status_code == 0) {
    std::printf("  no response: %s\n", a.error_message.c_str());
    return;
  }
  std::printf("  response: %d\n", a.status_code);
  print_headers("    ", a.response_headers);
  std::printf("    body: %s%s\n", a.response_body.c_str(), a.response_truncated ? " [truncated]" : "");
}

int list_attempts(const Context& context, const AttemptsOptions& o) {
  auto store = context.store();
  if (!store) return report(store.error());
  const Publisher history(*store);
  auto delivery = history.delivery(o.delivery_id);
  if (!delivery) return report(delivery.error());
  auto event = history.event(delivery->event_id);
  if (!event) return report(event.error());
  auto attempts = history.attempts(AttemptFilter{o.delivery_id, "", static_cast<std::size_t>(o.limit)});
  if (!attempts) return report(attempts.error());
  if (o.json) {
    std::printf("%s\n", attempts_json(*attempts, &*event).c_str());
    return kOk;
  }
  std::printf("delivery %s: %s to hook %s, %s\n", delivery->delivery_id.c_str(), std::string(to_string(event->type)).c_str(),
              delivery->hook_id.c_str(), to_string(delivery->status));
  std::vector<std::vector<std::string>> rows;
  for (const Attempt& a : *attempts) {
    rows.push_back({format_iso8601(a.started_at), to_string(a.trigger),
                    a.status_code == 0 ? "-" : std::to_string(a.status_code), to_string(a.error_class),
                    std::to_string(a.duration.count()) + " ms", a.request_url, a.error_message});
  }
  print_table({"STARTED", "TRIGGER", "STATUS", "CLASS", "DURATION", "URL", "ERROR"}, rows);
  if (o.full) {
    for (const Attempt& a : *attempts) print_exchange(a, *event);
  }
  return kOk;
}

}  // namespace

void add_history_commands(CLI::App& app, const Context& context, Run& run) {
  auto d = std::make_shared<DeliveriesOptions>();
  CLI::App* deliveries = app.add_subcommand("deliveries", "list deliveries, newest first");
  deliveries->add_option("--project", d->project, "of this project");
  deliveries->add_option("--hook", d->hook, "to this hook");
  deliveries->add_option("--event", d->event, "of this event id");
  deliveries->add_option("--status", d->status, "pending, succeeded or failed");
  add_number(*deliveries, "--limit", d->limit, 1, 10000, "at most N (default 100)");
  deliveries->add_flag("--json", d->json, "print the API's Delivery objects");
  deliveries->callback([&context, &run, d] { run = [&context, d] { return list_deliveries(context, *d); }; });

  auto a = std::make_shared<AttemptsOptions>();
  CLI::App* attempts = app.add_subcommand("attempts", "the attempts of one delivery, newest first");
  attempts->add_option("DELIVERY_ID", a->delivery_id, "a delivery id")->required();
  add_number(*attempts, "--limit", a->limit, 1, 10000, "at most N (default 100)");
  attempts->add_flag("--full", a->full, "also print each request as sent and response as received");
  attempts->add_flag("--json", a->json, "print the API's Attempt objects");
  attempts->callback([&context, &run, a] { run = [&context, a] { return list_attempts(context, *a); }; });
}

}  // namespace runhooks::cli
