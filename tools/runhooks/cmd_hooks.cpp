// runhooks hooks create | list | get | delete | update | secret | rotate-secret

#include "cli.hpp"
#include "output.hpp"

#include <cstdio>
#include <sstream>

namespace runhooks::cli {

namespace {

std::vector<EventType> parse_events(const std::string& list) {
  std::vector<EventType> events;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    auto type = parse_event_type(name);
    if (!type) throw UsageError("unknown event '" + name + "' (RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED)");
    events.push_back(*type);
  }
  return events;
}

std::string events_text(const Webhook& h) {
  if (h.hook_events.empty()) return "(all)";
  std::string text;
  for (EventType t : h.hook_events) text += (text.empty() ? "" : ",") + std::string(to_string(t));
  return text;
}

void print_hooks(const std::vector<Webhook>& hooks, bool json) {
  if (json) {
    std::printf("%s\n", to_json(hooks).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Webhook& h : hooks) {
    rows.push_back({h.hook_id, h.enabled ? "enabled" : "disabled: " + h.disabled_reason, events_text(h),
                    h.label.value_or(""), h.url});
  }
  print_table({"HOOK ID", "STATE", "EVENTS", "LABEL", "URL"}, rows);
}

void print_hook(const Webhook& h, bool json) {
  if (json) {
    std::printf("%s\n", to_json(h).c_str());
    return;
  }
  std::printf("hookId:     %s\nprojectId:  %s\nurl:        %s\nheaders:    %s\nhookEvents: %s\n"
              "label:      %s\nstate:      %s\ncreatedAt:  %s\nupdatedAt:  %s\n",
              h.hook_id.c_str(), h.project_id.c_str(), h.url.c_str(), h.headers.value_or("null").c_str(),
              events_text(h).c_str(), h.label.value_or("null").c_str(),
              h.enabled ? "enabled" : ("disabled: " + h.disabled_reason).c_str(),
              format_iso8601(h.created_at).c_str(), format_iso8601(h.updated_at).c_str());
}

void print_secret(const std::string& secret, bool json) {
  if (json) std::printf("%s\n", json_strings({{"secret", secret}}).c_str());
  else std::printf("%s\n", secret.c_str());
}

}  // namespace

int run_hooks(const Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) throw UsageError("a subcommand is required: create, list, get, update, delete, secret, rotate-secret");
  const std::string sub = argv[0];
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  const Args args(rest, {"project", "url", "headers", "label", "events"},
                  {"json", "clear-headers", "clear-label", "enable", "disable"});
  const bool json = args.has("json");
  auto store = context.store();
  if (!store) return report(store.error());
  WebhookRegistry registry(*store);

  if (sub == "create") {
    args.at_most(0);
    NewWebhook request;
    request.url = args.required("url");
    request.headers = args.value("headers");
    request.label = args.value("label");
    if (auto events = args.value("events")) request.hook_events = parse_events(*events);
    auto hook = registry.create(args.required("project"), request);
    if (!hook) return report(hook.error());
    print_hook(*hook, json);
    return kOk;
  }
  if (sub == "list") {
    args.at_most(0);
    auto hooks = registry.list(args.required("project"));
    if (!hooks) return report(hooks.error());
    print_hooks(*hooks, json);
    return kOk;
  }
  if (sub == "get" || sub == "delete" || sub == "secret" || sub == "rotate-secret") {
    args.at_most(1);
    const std::string id = args.positional(0, "a hook id");
    if (sub == "delete") {
      auto removed = registry.remove(id);
      if (!removed) return report(removed.error());
      if (json) std::printf("%s\n", to_json(*removed).c_str());
      else std::printf("deleted %s from %s\n", removed->hook_id.c_str(), removed->project_id.c_str());
      return kOk;
    }
    auto hook = sub == "rotate-secret" ? registry.rotate_secret(id) : registry.get(id);
    if (!hook) return report(hook.error());
    if (sub == "get") print_hook(*hook, json);
    else print_secret(hook->secret, json);
    return kOk;
  }
  if (sub == "update") {
    args.at_most(1);
    const std::string id = args.positional(0, "a hook id");
    if (args.has("headers") && args.has("clear-headers")) throw UsageError("--headers and --clear-headers exclude each other");
    if (args.has("label") && args.has("clear-label")) throw UsageError("--label and --clear-label exclude each other");
    if (args.has("enable") && args.has("disable")) throw UsageError("--enable and --disable exclude each other");
    WebhookPatch patch;
    patch.url = args.value("url");
    if (auto headers = args.value("headers")) patch.headers.set(*headers);
    if (args.has("clear-headers")) patch.headers.clear();
    if (auto label = args.value("label")) patch.label.set(*label);
    if (args.has("clear-label")) patch.label.clear();
    if (auto events = args.value("events")) patch.hook_events = parse_events(*events);
    const bool toggles = args.has("enable") || args.has("disable");
    Result<Webhook> hook = patch.empty() && toggles ? registry.get(id) : registry.update(id, patch);
    if (!hook) return report(hook.error());
    if (args.has("enable")) hook = registry.enable(id);
    if (args.has("disable")) hook = registry.disable(id, "disabled from the command line");
    if (!hook) return report(hook.error());
    print_hook(*hook, json);
    return kOk;
  }
  throw UsageError("unknown subcommand '" + sub + "'");
}

}  // namespace runhooks::cli
