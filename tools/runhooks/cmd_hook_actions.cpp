// runhooks hooks enable ID | disable ID [--reason R]
//              | test ID [--event E] [--wait S [--allow-network CIDR]... [--ca-file FILE] [--ca-path DIR]]

#include "cli.hpp"
#include "deliver_now.hpp"
#include "hook_output.hpp"
#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

namespace {

struct ActionOptions {
  std::string id;
  std::string reason = "disabled from the command line";
  std::string event = "RUN_FINISH";
  std::int64_t wait_seconds = 0;
  std::vector<std::string> allow_network;
  CaOptions ca;
  bool json = false;
};

int set_enabled(const Context& context, const ActionOptions& o, bool enabled) {
  auto store = context.store();
  if (!store) return report(store.error());
  WebhookRegistry registry(*store);
  auto hook = enabled ? registry.enable(o.id) : registry.disable(o.id, o.reason);
  if (!hook) return report(hook.error());
  print_hook(*hook, o.json);
  return kOk;
}

// The test send's first attempt, as POST /webhooks/{id}/test?wait shows it.
int print_test_outcome(const Publisher& history, const NotifyReceipt& receipt, bool json) {
  const std::string& id = receipt.delivery_ids.front();
  auto attempts = history.attempts(AttemptFilter{id, "", 1});
  if (!attempts) return report(attempts.error());
  auto event = history.event(receipt.event_id);
  if (!event) return report(event.error());
  const Attempt* attempt = attempts->empty() ? nullptr : &attempts->front();
  if (json) {
    std::printf("{\"deliveryId\":\"%s\",\"eventId\":\"%s\",\"attempt\":%s}\n", id.c_str(), receipt.event_id.c_str(),
                attempt ? to_json(*attempt, &*event).c_str() : "null");
  } else if (attempt == nullptr) {
    std::printf("test delivery %s: no attempt within the wait\n", id.c_str());
  } else {
    std::printf("test delivery %s: %s, HTTP %s in %lld ms%s%s\n", id.c_str(),
                attempt->error_class == AttemptErrorClass::none ? "succeeded" : to_string(attempt->error_class),
                attempt->status_code == 0 ? "-" : std::to_string(attempt->status_code).c_str(),
                static_cast<long long>(attempt->duration.count()), attempt->error_message.empty() ? "" : ": ",
                attempt->error_message.c_str());
  }
  return attempt != nullptr && attempt->error_class == AttemptErrorClass::none ? kOk : kFailed;
}

int send_test(const Context& context, const ActionOptions& o) {
  const EventType type = parse_event(o.event, "--event: ");
  const NetworkPolicy policy = network_policy(o.allow_network);
  auto store = context.store();
  if (!store) return report(store.error());
  Publisher publisher(*store);
  auto receipt = publisher.send_test(o.id, type);
  if (!receipt) return report(receipt.error());
  if (o.wait_seconds == 0) {
    if (o.json) {
      std::printf("%s\n", json_strings({{"deliveryId", receipt->delivery_ids.front()}, {"eventId", receipt->event_id}}).c_str());
    } else {
      std::printf("test delivery %s stored: a worker sends it ahead of the hook's backlog\n",
                  receipt->delivery_ids.front().c_str());
    }
    return kOk;
  }
  auto sent = deliver_now(*store, receipt->delivery_ids, policy, o.ca, std::chrono::seconds(o.wait_seconds));
  if (!sent) return report(sent.error());
  return print_test_outcome(publisher, *receipt, o.json);
}

}  // namespace

void add_hook_actions(CLI::App& hooks, const Context& context, Run& run) {
  auto e = std::make_shared<ActionOptions>();
  CLI::App* enable = hooks.add_subcommand("enable", "enable a hook (runhooks disabled it, or someone did)");
  enable->add_option("HOOK_ID", e->id, "a hook id")->required();
  enable->add_flag("--json", e->json, "print the Webhook object");
  enable->callback([&context, &run, e] { run = [&context, e] { return set_enabled(context, *e, true); }; });

  auto d = std::make_shared<ActionOptions>();
  CLI::App* disable = hooks.add_subcommand("disable", "disable a hook: nothing is delivered to it");
  disable->add_option("HOOK_ID", d->id, "a hook id")->required();
  disable->add_option("--reason", d->reason, "kept with the hook, shown by hooks get");
  disable->add_flag("--json", d->json, "print the Webhook object");
  disable->callback([&context, &run, d] { run = [&context, d] { return set_enabled(context, *d, false); }; });

  auto t = std::make_shared<ActionOptions>();
  CLI::App* test = hooks.add_subcommand("test", "send a sample event to one hook");
  test->add_option("HOOK_ID", t->id, "a hook id")->required();
  test->add_option("--event", t->event, "RUN_START, RUN_FINISH (default), RUN_TIMEOUT or RUN_CANCELED");
  add_number(*test, "--wait", t->wait_seconds, 0, 3600, "deliver in this process and wait up to SECONDS");
  add_allow_network(*test, t->allow_network);
  add_ca_options(*test, t->ca);
  test->add_flag("--json", t->json, "print JSON");
  test->callback([&context, &run, t] { run = [&context, t] { return send_test(context, *t); }; });
}

}  // namespace runhooks::cli
