// The process the crash test kills: notifies N run events to every hook of
// project "proj" in the store, then delivers them until killed.
//
// Usage: crash_child STORE_URI N

#include <runhooks/runhooks.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto store = runhooks::open_storage(argv[1]);
  if (!store) return 3;
  runhooks::NotifierOptions options;
  if (!options.network.allow("127.0.0.0/8")) return 4;
  options.lease = std::chrono::seconds(1);
  options.max_concurrency = 8;
  options.per_endpoint_concurrency = 8;
  options.poll_interval = std::chrono::milliseconds(20);
  runhooks::Notifier notifier(*store, options);
  const int n = std::atoi(argv[2]);
  for (int i = 0; i < n; ++i) {
    runhooks::RunEvent event;
    event.type = runhooks::EventType::run_finish;
    event.run_url = "https://app.example.com/run/" + std::to_string(i);
    event.build_id = "build-" + std::to_string(i);
    if (!notifier.notify("proj", event)) return 5;
  }
  std::puts("notified");
  std::fflush(stdout);
  notifier.flush(std::chrono::minutes(5));
  return 0;
}
