// The processes the crash and fault-injection tests kill, stop and resume.
//
// Usage:
//   crash_child STORE_URI N
//       notifies N run events to every hook of project "proj" in the store,
//       then delivers them until killed (crash_test.cpp)
//   crash_child notify-threads STORE_URI THREADS
//       notifies run events to project "proj" from THREADS threads until
//       killed, without delivering; prints each stored event's id on a line
//       of its own, flushed, once notify has returned it
//   crash_child slow-worker STORE_URI
//       delivers with a 2 s lease, 4 requests at a time, each allowed 60 s,
//       until SIGTERM; then drains and exits 0 (a worker the test stops with
//       SIGSTOP past its lease)

#include <runhooks/runhooks.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

runhooks::RunEvent run_event(const std::string& run) {
  runhooks::RunEvent event;
  event.type = runhooks::EventType::run_finish;
  event.run_url = "https://app.example.com/run/" + run;
  event.build_id = "build-" + run;
  return event;
}

int notify_then_deliver(const char* uri, int n) {
  auto store = runhooks::open_storage(uri);
  if (!store) return 3;
  runhooks::NotifierOptions options;
  if (!options.network.allow("127.0.0.0/8")) return 4;
  options.lease = std::chrono::seconds(1);
  options.max_concurrency = 8;
  options.per_endpoint_concurrency = 8;
  options.poll_interval = std::chrono::milliseconds(20);
  runhooks::Notifier notifier(*store, options);
  for (int i = 0; i < n; ++i) {
    if (!notifier.notify("proj", run_event(std::to_string(i)))) return 5;
  }
  std::puts("notified");
  std::fflush(stdout);
  notifier.flush(std::chrono::minutes(5));
  return 0;
}

int notify_from_threads(const char* uri, int threads) {
  auto store = runhooks::open_storage(uri);
  if (!store) return 3;
  runhooks::NotifierOptions options;
  options.deliver = false;
  runhooks::Notifier notifier(*store, options);
  std::mutex out;
  std::vector<std::thread> notifiers;
  for (int t = 0; t < threads; ++t) {
    notifiers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto receipt = notifier.notify("proj", run_event(std::to_string(t) + "-" + std::to_string(i)));
        if (!receipt) {
          std::fprintf(stderr, "crash_child: notify failed: %s\n", receipt.error().message.c_str());
          std::_Exit(5);
        }
        std::lock_guard lock(out);
        std::printf("%s\n", receipt->event_id.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& n : notifiers) n.join();  // never: the test kills us
  return 0;
}

int slow_worker(const char* uri) {
  // Blocked here, before any thread starts, so sigwait alone takes SIGTERM.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto store = runhooks::open_storage(uri);
  if (!store) return 3;
  runhooks::NotifierOptions options;
  if (!options.network.allow("127.0.0.0/8")) return 4;
  // A lease far shorter than a request may take: requests held by the
  // receiver never time out before the test stops this process, however
  // slow the machine, and the lease runs out while it is stopped. The
  // options' own timeout would be cut to half the lease (sanitized), which
  // is what keeps a real worker from this: the transport is built here.
  options.lease = std::chrono::seconds(2);
  runhooks::CurlTransportOptions transport;
  transport.total_timeout = std::chrono::seconds(60);
  transport.network = options.network;
  options.transport = runhooks::make_curl_transport(transport);
  options.max_concurrency = 4;
  options.per_endpoint_concurrency = 4;
  options.poll_interval = std::chrono::milliseconds(20);
  runhooks::Notifier notifier(*store, options);
  std::puts("delivering");
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  notifier.stop(std::chrono::seconds(20));  // drains: the late completions are written (or refused)
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "notify-threads") == 0) {
    return notify_from_threads(argv[2], std::atoi(argv[3]));
  }
  if (argc == 3 && std::strcmp(argv[1], "slow-worker") == 0) return slow_worker(argv[2]);
  if (argc == 3) return notify_then_deliver(argv[1], std::atoi(argv[2]));
  return 2;
}
