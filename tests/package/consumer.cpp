// What every package consumer runs: the umbrella header, a store, a hook.
#include <runhooks/runhooks.hpp>

#include <cstdio>
#include <cstring>

int main() {
  auto store = runhooks::open_storage("memory:");
  if (!store) return 1;
  runhooks::WebhookRegistry registry(*store);
  auto hook = registry.create("proj", {"https://example.com/hook", std::nullopt, "pkg", {}});
  if (!hook) {
    std::fprintf(stderr, "%s\n", hook.error().to_string().c_str());
    return 2;
  }
  if (std::strcmp(runhooks::kVersion, RUNHOOKS_VERSION_STRING) != 0) return 3;
  std::printf("runhooks %s: %s\n", runhooks::kVersion, runhooks::to_json(*hook).c_str());
  return registry.list("proj")->size() == 1 ? 0 : 4;
}
