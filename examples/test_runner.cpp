// test_runner: a simulated test run, the way a runner embeds runhooks.
//
// Shows: one Notifier for the process; RUN_START when the run begins, then
// one terminal event — RUN_FINISH (passed or failed), RUN_TIMEOUT or
// RUN_CANCELED — with realistic counts; idempotency keys so a restarted
// runner does not announce the same run twice; flush() before exiting, with
// whatever is left picked up by the next Notifier or `runhooks worker`.
//
// Usage: test_runner STORE_URI PROJECT [finish|timeout|cancel]
//   e.g. test_runner sqlite:runhooks.db proj_demo finish
// Hooks are whatever the store has for PROJECT (create them with
// `runhooks hooks create`); loopback receivers need --allow... see below.

#include <runhooks/runhooks.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

struct Counts {
  std::int64_t passes = 0, failures = 0, pending = 0, skipped = 0, retries = 0, flaky = 0;
};

// Runs 40 pretend tests; some fail, some are flaky, some skipped.
Counts run_tests(std::mt19937& rng) {
  Counts c;
  std::uniform_int_distribution<int> roll(0, 99);
  for (int i = 0; i < 40; ++i) {
    const int r = roll(rng);
    if (r < 5) ++c.skipped;
    else if (r < 9) ++c.failures;
    else if (r < 14) { ++c.passes; ++c.flaky; ++c.retries; }
    else ++c.passes;
  }
  return c;
}

runhooks::RunEvent event(runhooks::EventType type, const std::string& run_id, const Counts& c) {
  runhooks::RunEvent e;
  e.type = type;
  e.run_url = "https://ci.example.com/run/" + run_id;
  e.build_id = "build-" + run_id;
  e.tags = {"nightly", "e2e"};
  e.commit = {"5a7edc9a156e417068060d67109021351fc7d9b8", "main", "Jane Roe", "jane@example.com",
              "fix: flaky login test", "https://github.com/org/repo.git", std::string("main")};
  e.overall = 40;
  e.passes = c.passes;
  e.failures = c.failures;
  e.pending = c.pending;
  e.skipped = c.skipped;
  e.retries = c.retries;
  e.flaky = c.flaky;
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: test_runner STORE_URI PROJECT [finish|timeout|cancel]\n");
    return 2;
  }
  const std::string ending = argc > 3 ? argv[3] : "finish";
  auto store = runhooks::open_storage(argv[1]);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  runhooks::NotifierOptions options;
  // Receivers on this machine (tests, a local n8n) are denied by default.
  if (const char* allow = std::getenv("RUNHOOKS_ALLOW_NETWORK")) (void)options.network.allow(allow);
  runhooks::Notifier notifier(*store, options);

  std::mt19937 rng(std::random_device{}());
  const std::string run_id = std::to_string(rng());
  // RUN_START, with the run's own idempotency key.
  auto started = notifier.notify(argv[2], event(runhooks::EventType::run_start, run_id, {}), run_id + "/start");
  if (!started) {
    std::fprintf(stderr, "notify: %s\n", started.error().message.c_str());
    return 1;
  }
  const Counts counts = run_tests(rng);
  runhooks::EventType end = runhooks::EventType::run_finish;
  if (ending == "timeout") end = runhooks::EventType::run_timeout;
  if (ending == "cancel") end = runhooks::EventType::run_canceled;
  auto ended = notifier.notify(argv[2], event(end, run_id, counts), run_id + "/end");
  if (!ended) {
    std::fprintf(stderr, "notify: %s\n", ended.error().message.c_str());
    return 1;
  }
  std::printf("run %s: %lld passed, %lld failed, %lld skipped, %lld flaky -> %s to %zu hook(s)\n",
              run_id.c_str(), static_cast<long long>(counts.passes), static_cast<long long>(counts.failures),
              static_cast<long long>(counts.skipped), static_cast<long long>(counts.flaky),
              std::string(runhooks::to_string(end)).c_str(), ended->delivery_ids.size());

  // Give deliveries up to 5 s; what is left stays stored for the next worker.
  const auto flushed = notifier.flush(std::chrono::seconds(5));
  const auto stats = notifier.stats();
  std::printf("flush: %s (%llu delivered, %llu failed)\n",
              flushed == runhooks::FlushResult::idle ? "idle" : "timed out, the rest stays queued",
              static_cast<unsigned long long>(stats.succeeded), static_cast<unsigned long long>(stats.failed));
  return 0;
}
