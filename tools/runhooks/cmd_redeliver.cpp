// runhooks redeliver DELIVERY_ID [--wait SECONDS [--allow-network CIDR]... [--ca-file FILE] [--ca-path DIR]]
//          | recover --hook ID --since T

#include "cli.hpp"
#include "deliver_now.hpp"
#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

namespace {

struct RedeliverOptions {
  std::string delivery_id;
  std::int64_t wait_seconds = 0;
  std::vector<std::string> allow_network;
  CaOptions ca;
  bool json = false;
};

struct RecoverOptions {
  std::string hook_id;
  std::string since;
  bool json = false;
};

int redeliver(const Context& context, const RedeliverOptions& o) {
  const NetworkPolicy policy = network_policy(o.allow_network);
  auto store = context.store();
  if (!store) return report(store.error());
  Publisher publisher(*store);
  auto delivery = publisher.redeliver(o.delivery_id);
  if (!delivery) return report(delivery.error());
  std::vector<Delivery> deliveries{*delivery};
  if (o.wait_seconds > 0) {
    auto sent = deliver_now(*store, {delivery->delivery_id}, policy, o.ca, std::chrono::seconds(o.wait_seconds));
    if (!sent) return report(sent.error());
    deliveries = std::move(*sent);
  }
  if (o.json) {
    auto json = deliveries_json(publisher, deliveries, true);
    if (!json) return report(json.error());
    // One delivery, as POST /deliveries/{id}/redeliver answers it.
    std::printf("%s\n", json->substr(1, json->size() - 2).c_str());
  } else if (o.wait_seconds == 0) {
    std::printf("delivery %s queued again (webhook-id unchanged)\n", delivery->delivery_id.c_str());
  } else {
    print_outcomes(deliveries);
  }
  return o.wait_seconds == 0 || all_succeeded(deliveries) ? kOk : kFailed;
}

int recover(const Context& context, const RecoverOptions& o) {
  auto since = parse_iso8601(o.since, "since");
  if (!since) throw UsageError("--since: " + since.error().message);
  auto store = context.store();
  if (!store) return report(store.error());
  auto count = Publisher(*store).recover(o.hook_id, *since);
  if (!count) return report(count.error());
  if (o.json) std::printf("{\"count\":%zu}\n", *count);
  else std::printf("%zu failed delivery(ies) queued again\n", *count);
  return kOk;
}

}  // namespace

void add_redeliver_commands(CLI::App& app, const Context& context, Run& run) {
  auto r = std::make_shared<RedeliverOptions>();
  CLI::App* redeliver_app = app.add_subcommand("redeliver", "send a delivery again, with the same webhook-id");
  redeliver_app->add_option("DELIVERY_ID", r->delivery_id, "a delivery id")->required();
  add_number(*redeliver_app, "--wait", r->wait_seconds, 0, 3600, "deliver in this process, waiting up to SECONDS");
  add_allow_network(*redeliver_app, r->allow_network);
  add_ca_options(*redeliver_app, r->ca);
  redeliver_app->add_flag("--json", r->json, "print the API's Delivery object");
  redeliver_app->callback([&context, &run, r] { run = [&context, r] { return redeliver(context, *r); }; });

  auto c = std::make_shared<RecoverOptions>();
  CLI::App* recover_app = app.add_subcommand("recover", "queue again a hook's deliveries that failed since T");
  recover_app->add_option("--hook", c->hook_id, "the hook")->required();
  recover_app->add_option("--since", c->since, "an ISO-8601 date-time, e.g. 2026-11-30T00:00:00Z")->required();
  recover_app->add_flag("--json", c->json, "print {\"count\":N}");
  recover_app->callback([&context, &run, c] { run = [&context, c] { return recover(context, *c); }; });
}

}  // namespace runhooks::cli
