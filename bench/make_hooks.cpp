// Makes many hooks at once for bench/slow_hooks.sh, through the registry as
// `runhooks hooks create` does, without a process per hook (that costs
// ~20-40 ms here: 10,000 hooks would take minutes).
//
//   make_hooks STORE URL_PREFIX HOOKS PROJECT_PREFIX
//
// Hook i gets URL_PREFIX<i> and project PROJECT_PREFIX<i / 100>: a project
// holds 100 hooks at most (RegistryOptions' default, which the CLI keeps).
// Prints one line of key=value.

#include <runhooks/runhooks.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: make_hooks STORE URL_PREFIX HOOKS PROJECT_PREFIX\n");
    return 2;
  }
  const std::string prefix = argv[2], project_prefix = argv[4];
  const long hooks = std::strtol(argv[3], nullptr, 10);
  auto store = runhooks::open_storage(argv[1]);
  if (!store) {
    std::fprintf(stderr, "make_hooks: %s\n", store.error().message.c_str());
    return 1;
  }
  runhooks::WebhookRegistry registry(*store);
  const long per_project = static_cast<long>(registry.options().max_hooks_per_project);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < hooks; ++i) {
    const std::string project = project_prefix + std::to_string(i / per_project);
    auto made = registry.create(project, {prefix + std::to_string(i), {}, {}, {}});
    if (!made) {
      std::fprintf(stderr, "make_hooks: hook %ld: %s\n", i, made.error().message.c_str());
      return 1;
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("mode=hooks hooks=%ld projects=%ld seconds=%.3f\n", hooks, (hooks + per_project - 1) / per_project,
              took.count());
  return 0;
}
