// runhooks fire EVENT --project P [--payload FILE|-] [--idempotency-key K] [--wait SECONDS]

#include "cli.hpp"
#include "fire_payload.hpp"
#include "output.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace runhooks::cli {

namespace {

std::string read_payload(const std::string& source) {
  if (source == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(source, std::ios::binary);
  if (!in) throw UsageError("cannot read payload file '" + source + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The payload with its "event" member set to `type`.
std::string with_event(const std::string& payload, EventType type) {
  auto rewritten = payload_with_event(payload, type);
  if (!rewritten) throw UsageError(rewritten.error().message);
  return std::move(*rewritten);
}

}  // namespace

int run_fire(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv, {"project", "payload", "idempotency-key", "wait", "allow-network"}, {"json"});
  args.at_most(1);
  const std::string name = args.positional(0, "an event (RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED)");
  const auto type = parse_event_type(name);
  if (!type) throw UsageError("unknown event '" + name + "'");
  const std::string project = args.required("project");
  const std::string payload = with_event(args.has("payload") ? read_payload(*args.value("payload")) : "{}", *type);
  int wait_seconds = 0;
  if (auto wait = args.value("wait")) {
    try {
      wait_seconds = std::stoi(*wait);
    } catch (const std::exception&) {
      throw UsageError("--wait needs a number of seconds");
    }
    if (wait_seconds < 0) throw UsageError("--wait needs a number of seconds");
  }
  auto store = context.store();
  if (!store) return report(store.error());

  Publisher publisher(*store);
  auto receipt = publisher.notify(project, Event{*type, payload, ""}, args.value("idempotency-key").value_or(""));
  if (!receipt) return report(receipt.error());

  const bool json = args.has("json");
  if (wait_seconds == 0) {
    if (json) {
      std::string ids;
      for (const std::string& id : receipt->delivery_ids) ids += (ids.empty() ? "\"" : ",\"") + id + "\"";
      std::printf("{\"eventId\":\"%s\",\"deliveryIds\":[%s],\"duplicate\":%s}\n", receipt->event_id.c_str(),
                  ids.c_str(), receipt->duplicate ? "true" : "false");
    } else {
      std::printf("event %s stored with %zu delivery(ies)%s\n", receipt->event_id.c_str(),
                  receipt->delivery_ids.size(), receipt->duplicate ? " (duplicate: nothing new)" : "");
    }
    return kOk;
  }

  WorkerOptions options;
  options.network = network_policy(args);
  Worker worker(*store, options);
  worker.flush(std::chrono::seconds(wait_seconds));
  worker.stop(std::chrono::seconds(1));
  std::vector<Delivery> deliveries;
  bool all_succeeded = true;
  for (const std::string& id : receipt->delivery_ids) {
    auto d = publisher.delivery(id);
    if (!d) return report(d.error());
    all_succeeded = all_succeeded && d->status == DeliveryStatus::succeeded;
    deliveries.push_back(*d);
  }
  if (json) {
    std::printf("%s\n", to_json(deliveries).c_str());
  } else {
    for (const Delivery& d : deliveries) {
      std::printf("%s -> hook %s: %s after %d attempt(s)%s%s\n", d.delivery_id.c_str(), d.hook_id.c_str(),
                  to_string(d.status), d.attempt_count, d.last_error.empty() ? "" : ": ", d.last_error.c_str());
    }
  }
  return all_succeeded ? kOk : kFailed;
}

}  // namespace runhooks::cli
