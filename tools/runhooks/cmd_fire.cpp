// runhooks fire EVENT --project P [--payload FILE|-] [run flags] [--idempotency-key K]
//                     [--wait SECONDS [--allow-network CIDR]... [--ca-file FILE] [--ca-path DIR]]
//                     [--allow-no-hooks] [--json]

#include "cli.hpp"
#include "deliver_now.hpp"
#include "fire_payload.hpp"
#include "output.hpp"
#include "run_flags.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

namespace runhooks::cli {

namespace {

struct FireOptions {
  std::string event;
  std::string project;
  std::string payload_source;  ///< FILE, "-" for stdin, "" for none
  std::string idempotency_key;
  std::int64_t wait_seconds = 0;
  std::vector<std::string> allow_network;
  CaOptions ca;
  bool allow_no_hooks = false;
  bool json = false;
  RunFlags run;
};

std::string read_payload(const std::string& source) {
  if (source.empty()) return "{}";
  if (source == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(source, std::ios::binary);
  if (!in) throw UsageError("cannot read payload file '" + source + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The payload to store: --payload's object, the flags over it, "event" set
// from EVENT, checked against the run payload's types.
Result<std::string> build_payload(const FireOptions& o, EventType type) {
  auto payload = payload_with_event(read_payload(o.payload_source), type);
  if (!payload) return payload;
  std::string built = apply_run_flags(*payload, o.run);
  if (auto valid = validate_run_payload(built); !valid) return std::move(valid).error();
  return built;
}

void print_receipt(const NotifyReceipt& receipt, bool json) {
  if (json) {
    std::string ids;
    for (const std::string& id : receipt.delivery_ids) ids += (ids.empty() ? "\"" : ",\"") + id + "\"";
    std::printf("{\"eventId\":\"%s\",\"deliveryIds\":[%s],\"duplicate\":%s}\n", receipt.event_id.c_str(), ids.c_str(),
                receipt.duplicate ? "true" : "false");
  } else {
    std::printf("event %s stored with %zu delivery(ies)%s\n", receipt.event_id.c_str(), receipt.delivery_ids.size(),
                receipt.duplicate ? " (duplicate: nothing new)" : "");
  }
}

int fire(const Context& context, const FireOptions& o) {
  const EventType type = parse_event(o.event, "");
  const NetworkPolicy policy = network_policy(o.allow_network);
  auto payload = build_payload(o, type);
  if (!payload) return report(payload.error());
  auto store = context.store();
  if (!store) return report(store.error());

  Publisher publisher(*store);
  auto receipt = publisher.notify(o.project, Event{type, *payload, ""}, o.idempotency_key);
  if (!receipt) return report(receipt.error());
  const bool no_hooks = receipt->delivery_ids.empty();
  if (no_hooks) {
    std::fprintf(stderr, "runhooks fire: no enabled hook of project '%s' takes %s: nothing will be delivered%s\n",
                 o.project.c_str(), std::string(to_string(type)).c_str(), o.allow_no_hooks ? "" : " (--allow-no-hooks exits 0)");
  }
  const int no_hooks_status = no_hooks && !o.allow_no_hooks ? kNoHooks : kOk;
  if (o.wait_seconds == 0) {
    print_receipt(*receipt, o.json);
    return no_hooks_status;
  }
  auto deliveries = deliver_now(*store, receipt->delivery_ids, policy, o.ca, std::chrono::seconds(o.wait_seconds));
  if (!deliveries) return report(deliveries.error());
  if (o.json) {
    auto json = deliveries_json(publisher, *deliveries);
    if (!json) return report(json.error());
    std::printf("%s\n", json->c_str());
  } else {
    print_outcomes(*deliveries);
  }
  if (no_hooks_status != kOk) return no_hooks_status;
  return all_succeeded(*deliveries) ? kOk : kFailed;
}

}  // namespace

void add_fire_command(CLI::App& app, const Context& context, Run& run) {
  auto o = std::make_shared<FireOptions>();
  CLI::App* fire_app = app.add_subcommand("fire", "notify a run event (and optionally wait for its delivery)");
  fire_app->add_option("EVENT", o->event, "RUN_START, RUN_FINISH, RUN_TIMEOUT or RUN_CANCELED")->required();
  fire_app->add_option("--project", o->project, "the project whose hooks receive it")->required();
  fire_app->add_option("--payload", o->payload_source, "a JSON object: FILE, or - for stdin");
  fire_app->add_option("--idempotency-key", o->idempotency_key, "a second fire with this key stores nothing");
  add_number(*fire_app, "--wait", o->wait_seconds, 0, 3600, "deliver in this process, waiting up to SECONDS");
  add_allow_network(*fire_app, o->allow_network);
  add_ca_options(*fire_app, o->ca);
  fire_app->add_flag("--allow-no-hooks", o->allow_no_hooks, "exit 0 when no enabled hook takes the event");
  fire_app->add_flag("--json", o->json, "print JSON");
  add_run_flags(*fire_app, o->run);
  fire_app->callback([&context, &run, o] { run = [&context, o] { return fire(context, *o); }; });
}

}  // namespace runhooks::cli
