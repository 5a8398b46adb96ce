// registry_basics: the webhook registry on a SQLite file.
//
// Shows: opening a store from a URI, creating a hook (with custom headers and
// an event filter), listing a project's hooks, a partial update that sets the
// label and clears the headers, what a validation error looks like, rotating
// the signing secret, and deleting. Every call returns a Result; nothing throws.
//
// Usage: registry_basics [DB_FILE]   (default: ./registry_basics.db)

#include <runhooks/runhooks.hpp>

#include <cstdio>
#include <string>

namespace {

int fail(const runhooks::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "registry_basics.db";
  auto store = runhooks::open_storage("sqlite:" + path);
  if (!store) return fail(store.error());
  runhooks::WebhookRegistry registry(*store);

  // Create: url is required; headers is a JSON object *string*; an empty
  // event list would mean "every event".
  runhooks::NewWebhook request;
  request.url = "https://example.com/ci-hook";
  request.headers = R"({"Authorization":"Bearer token"})";
  request.label = "CI notifications";
  request.hook_events = {runhooks::EventType::run_finish, runhooks::EventType::run_timeout};
  auto hook = registry.create("proj_demo", request);
  if (!hook) return fail(hook.error());
  std::printf("created %s\n", runhooks::to_json(*hook).c_str());
  std::printf("signing secret starts with %.6s (give it to the receiver)\n", hook->secret.c_str());

  auto hooks = registry.list("proj_demo");
  if (!hooks) return fail(hooks.error());
  std::printf("proj_demo has %zu hook(s)\n", hooks->size());

  // Update: set the label, clear the headers, leave everything else.
  runhooks::WebhookPatch patch;
  patch.label.set("Nightly runs");
  patch.headers.clear();
  auto updated = registry.update(hook->hook_id, patch);
  if (!updated) return fail(updated.error());
  std::printf("updated %s\n", runhooks::to_json(*updated).c_str());

  // Bad input is a value naming the field and the limit.
  runhooks::WebhookPatch bad;
  bad.url = "ftp://example.com/";
  auto refused = registry.update(hook->hook_id, bad);
  if (!refused) {
    std::printf("refused as expected: field '%s': %s\n", refused.error().field.c_str(),
                refused.error().message.c_str());
  }

  auto rotated = registry.rotate_secret(hook->hook_id);
  if (!rotated) return fail(rotated.error());
  std::printf("rotated secret; the old one signs too for 24 h (%zu secrets sign now)\n",
              rotated->signing_secrets(runhooks::Clock::system().now()).size());

  auto removed = registry.remove(hook->hook_id);
  if (!removed) return fail(removed.error());
  std::printf("deleted %s from %s\n", removed->hook_id.c_str(), removed->project_id.c_str());
  return 0;
}
