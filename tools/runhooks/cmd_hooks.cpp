// runhooks hooks create | list | get | delete | update | secret | rotate-secret

#include "cli.hpp"
#include "hook_output.hpp"
#include "output.hpp"

#include <arpa/inet.h>
#include <cstdio>
#include <netinet/in.h>

namespace runhooks::cli {

namespace {

struct HookOptions {
  std::string id;
  std::string project, url, headers, label;
  std::vector<std::string> events;
  bool clear_headers = false, clear_label = false, enable = false, disable = false;
  bool json = false;
};

// The host of an http(s) URL, brackets removed ("" when there is none).
std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

// A hook is made whatever its address; a worker with the default policy
// would refuse this one, so say which option opens it.
void warn_if_denied(const std::string& url) {
  const std::string host = url_host(url);
  unsigned char address[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), address) != 1 && inet_pton(AF_INET6, host.c_str(), address) != 1) return;
  const auto denial = NetworkPolicy().denial(host);
  if (!denial) return;
  const bool v6 = host.find(':') != std::string::npos;
  std::fprintf(stderr,
               "runhooks hooks create: warning: %s: the default network policy denies %s (%s); a worker delivers to "
               "it only with --allow-network %s/%s (NetworkPolicy::allow in the library)\n",
               url.c_str(), host.c_str(), denial->c_str(), host.c_str(), v6 ? "128" : "32");
}

int create(WebhookRegistry& registry, const HookOptions& o) {
  NewWebhook request;
  request.url = o.url;
  if (!o.headers.empty()) request.headers = o.headers;
  if (!o.label.empty()) request.label = o.label;
  request.hook_events = parse_events(o.events);
  auto hook = registry.create(o.project, request);
  if (!hook) return report(hook.error());
  warn_if_denied(hook->url);
  print_hook(*hook, o.json);
  return kOk;
}

int update(WebhookRegistry& registry, const HookOptions& o) {
  WebhookPatch patch;
  if (!o.url.empty()) patch.url = o.url;
  if (!o.headers.empty()) patch.headers.set(o.headers);
  if (o.clear_headers) patch.headers.clear();
  if (!o.label.empty()) patch.label.set(o.label);
  if (o.clear_label) patch.label.clear();
  if (!o.events.empty()) patch.hook_events = parse_events(o.events);
  const bool toggles = o.enable || o.disable;
  Result<Webhook> hook = patch.empty() && toggles ? registry.get(o.id) : registry.update(o.id, patch);
  if (!hook) return report(hook.error());
  if (o.enable) hook = registry.enable(o.id);
  if (o.disable) hook = registry.disable(o.id, "disabled from the command line");
  if (!hook) return report(hook.error());
  print_hook(*hook, o.json);
  return kOk;
}

int by_id(WebhookRegistry& registry, const std::string& sub, const HookOptions& o) {
  if (sub == "delete") {
    auto removed = registry.remove(o.id);
    if (!removed) return report(removed.error());
    if (o.json) std::printf("%s\n", to_json(*removed).c_str());
    else std::printf("deleted %s from %s\n", removed->hook_id.c_str(), removed->project_id.c_str());
    return kOk;
  }
  auto hook = sub == "rotate-secret" ? registry.rotate_secret(o.id) : registry.get(o.id);
  if (!hook) return report(hook.error());
  if (sub == "get") print_hook(*hook, o.json);
  else print_secret(hook->secret, o.json);
  return kOk;
}

int run_sub(const Context& context, const std::string& sub, const HookOptions& o) {
  auto store = context.store();
  if (!store) return report(store.error());
  WebhookRegistry registry(*store);
  if (sub == "create") return create(registry, o);
  if (sub == "update") return update(registry, o);
  if (sub == "list") {
    auto hooks = registry.list(o.project);
    if (!hooks) return report(hooks.error());
    print_hooks(*hooks, o.json);
    return kOk;
  }
  return by_id(registry, sub, o);
}

}  // namespace

void add_hooks_commands(CLI::App& app, const Context& context, Run& run) {
  CLI::App* hooks = app.add_subcommand("hooks", "the registry of webhooks");
  hooks->require_subcommand(1);
  auto add = [&](const std::string& sub, const std::string& description) {
    auto o = std::make_shared<HookOptions>();
    CLI::App* cmd = hooks->add_subcommand(sub, description);
    cmd->add_flag("--json", o->json, "print JSON");
    cmd->callback([&context, &run, o, sub] { run = [&context, o, sub] { return run_sub(context, sub, *o); }; });
    return std::make_pair(cmd, o);
  };
  {
    auto [cmd, o] = add("create", "register a webhook");
    cmd->add_option("--project", o->project, "its project")->required();
    cmd->add_option("--url", o->url, "where to deliver (http or https)")->required();
    cmd->add_option("--headers", o->headers, "a JSON object of header fields sent with each delivery");
    cmd->add_option("--label", o->label, "a name to show");
    add_repeatable(*cmd, "--events", o->events, "E1,E2 (repeatable); none means every event");
  }
  {
    auto [cmd, o] = add("list", "the hooks of a project");
    cmd->add_option("--project", o->project, "the project")->required();
  }
  for (const char* sub : {"get", "delete", "secret", "rotate-secret"}) {
    auto [cmd, o] = add(sub, std::string(sub) + " a hook");
    cmd->add_option("HOOK_ID", o->id, "a hook id")->required();
  }
  {
    auto [cmd, o] = add("update", "change a hook");
    cmd->add_option("HOOK_ID", o->id, "a hook id")->required();
    cmd->add_option("--url", o->url, "a new URL");
    auto* headers = cmd->add_option("--headers", o->headers, "new header fields (a JSON object)");
    auto* clear_headers = cmd->add_flag("--clear-headers", o->clear_headers, "remove the header fields");
    auto* label = cmd->add_option("--label", o->label, "a new label");
    auto* clear_label = cmd->add_flag("--clear-label", o->clear_label, "remove the label");
    add_repeatable(*cmd, "--events", o->events, "E1,E2 (repeatable)");
    auto* enable = cmd->add_flag("--enable", o->enable, "enable the hook");
    auto* disable = cmd->add_flag("--disable", o->disable, "disable the hook");
    headers->excludes(clear_headers);
    label->excludes(clear_label);
    enable->excludes(disable);
  }
  add_hook_actions(*hooks, context, run);
}

}  // namespace runhooks::cli
