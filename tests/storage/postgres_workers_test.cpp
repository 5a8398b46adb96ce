// Several `runhooks worker` processes sharing one PostgreSQL outbox.

#include "support/notifier_fixture.hpp"
#include "support/process.hpp"

#include <csignal>
#include <map>
#include <mutex>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

struct SharedOutbox {
  PostgresBackend backend;
  std::shared_ptr<Storage> store = backend.open();
  mutable std::mutex mutex;
  std::map<std::string, int> seen;  // webhook-id -> times received
  TestReceiver receiver{[this](const ReceivedRequest& r) {
    std::lock_guard lock(mutex);
    ++seen[r.header("webhook-id")];
    return Reply{};
  }};

  // Four projects with a hook each, so the per-endpoint cap (8 per worker)
  // does not make one hook the bottleneck.
  explicit SharedOutbox(const std::string& base_uri = "") {
    if (!base_uri.empty()) store = open_storage(base_uri).value();
    for (int p = 0; p < 4; ++p) {
      REQUIRE(WebhookRegistry(store).create("proj" + std::to_string(p),
                                            NewWebhook{receiver.url("/h" + std::to_string(p)), {}, {}, {}}));
    }
  }

  // Stores `events` run events from 4 threads at once, as 4 runner hosts
  // would, thread t for project t.
  void enqueue(int events) {
    std::vector<std::thread> producers;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
      producers.emplace_back([&, t] {
        NotifierOptions quiet;
        quiet.deliver = false;
        Notifier producer(store, quiet);
        for (int i = t; i < events; i += 4) {
          if (!producer.notify("proj" + std::to_string(t), sample_run(EventType::run_finish, std::to_string(i)))) {
            ++failures;
          }
        }
      });
    }
    for (auto& p : producers) p.join();
    REQUIRE(failures == 0);
  }

  // A short lease lets the others take over a killed worker's deliveries
  // quickly; a test counting duplicates without kills uses a long one, or a
  // loaded machine that delays one completion past the lease sends twice.
  std::vector<std::unique_ptr<RunningProcess>> start_workers(const std::string& uri, int n, const std::string& concurrency,
                                                             const std::string& lease = "2") {
    std::vector<std::unique_ptr<RunningProcess>> workers;
    for (int i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<RunningProcess>(std::vector<std::string>{
          RUNHOOKS_CLI, "--store", uri, "worker", "--allow-network", "127.0.0.0/8", "--lease", lease,
          "--concurrency", concurrency}));
      REQUIRE_THAT(workers.back()->read_line(), Catch::StartsWith("delivering from"));
    }
    return workers;
  }

  std::map<std::string, int> received() const {
    std::lock_guard lock(mutex);
    return seen;
  }

  std::size_t distinct() const {
    std::lock_guard lock(mutex);
    return seen.size();
  }

  // Until nothing is pending: what a killed worker sent but never recorded
  // is sent again once its lease runs out.
  bool wait_settled(std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pending() == 0) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  bool wait_distinct(std::size_t n, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (distinct() >= n) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::size_t pending() const {
    auto listed = store->list_deliveries(DeliveryFilter{"", "", "", DeliveryStatus::pending, 10, {}, {}});
    return listed ? listed->size() : 1;  // a failed read (server restarting) is not "settled"
  }
};

std::size_t duplicates(const std::map<std::string, int>& seen) {
  std::size_t extra = 0;
  for (const auto& [id, n] : seen) extra += static_cast<std::size_t>(n - 1);
  return extra;
}

}  // namespace

TEST_CASE("4 workers deliver 20,000 events, none twice", "[postgres][workers]") {
  SharedOutbox outbox;
  const auto t0 = std::chrono::steady_clock::now();
  outbox.enqueue(20000);
  const auto t1 = std::chrono::steady_clock::now();
  auto workers = outbox.start_workers(outbox.backend.uri(), 4, "16", "60");
  REQUIRE(outbox.wait_distinct(20000, 240s));
  REQUIRE(outbox.wait_settled(60s));
  const auto t2 = std::chrono::steady_clock::now();
  INFO("enqueue " << std::chrono::duration<double>(t1 - t0).count() << " s, deliver "
                  << std::chrono::duration<double>(t2 - t1).count() << " s");
  for (auto& w : workers) CHECK(w->stop(SIGTERM) == 0);
  const auto seen = outbox.received();
  CHECK(seen.size() == 20000);
  CHECK(duplicates(seen) == 0);
  CHECK(outbox.pending() == 0);
}

TEST_CASE("a worker killed with SIGKILL: its leases go to the others", "[postgres][workers]") {
  SharedOutbox outbox;
  outbox.enqueue(3000);
  auto workers = outbox.start_workers(outbox.backend.uri(), 4, "16");
  REQUIRE(outbox.wait_distinct(600, 120s));
  CHECK(workers[0]->stop(SIGKILL) == 128 + SIGKILL);
  REQUIRE(outbox.wait_distinct(3000, 120s));
  REQUIRE(outbox.wait_settled(60s));
  for (std::size_t i = 1; i < workers.size(); ++i) CHECK(workers[i]->stop(SIGTERM) == 0);
  const auto seen = outbox.received();
  CHECK(seen.size() == 3000);
  INFO("duplicates: " << duplicates(seen));
  CHECK(duplicates(seen) <= 16);  // at most what the killed worker had in flight (--concurrency 16)
  CHECK(outbox.pending() == 0);
}

TEST_CASE("PostgreSQL crashed mid-run: every acknowledged notify is kept and delivered", "[postgres][workers]") {
  // A server of its own, durable as PostgreSQL is by default
  // (synchronous_commit=on, which runhooks' guarantee assumes): the shared
  // test server turns it off for speed, and then a crash loses acknowledged
  // commits. Notifies go on from 4 threads while it crashes (an immediate
  // shutdown, then recovery from its WAL); those that fail meanwhile were
  // never acknowledged.
  TempDir dir;
  const std::string state = dir.file("pg.state");
  auto started = run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "start", state, "durable"});
  REQUIRE(started.exit_code == 0);
  struct StopAtEnd {
    std::string state;
    ~StopAtEnd() { run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "stop", state}); }
  } stop_at_end{state};
  const std::string uri = started.out.substr(0, started.out.find('\n')) + "?runhooks_schema=restart";
  {
    SharedOutbox outbox(uri);
    auto workers = outbox.start_workers(uri, 2, "16");
    std::mutex acked_mutex;
    std::vector<NotifyReceipt> acked;  // the notifies that returned success
    std::atomic<bool> stop{false};
    std::vector<std::thread> producers;
    // A failed REQUIRE leaves by an exception: the producers are stopped
    // and joined on the way out, or their destructors would end the process.
    struct JoinAtEnd {
      std::atomic<bool>& stop;
      std::vector<std::thread>& threads;
      ~JoinAtEnd() {
        stop = true;
        for (auto& t : threads) {
          if (t.joinable()) t.join();
        }
      }
    } join_at_end{stop, producers};
    for (int t = 0; t < 4; ++t) {
      producers.emplace_back([&, t] {
        NotifierOptions quiet;
        quiet.deliver = false;
        Notifier producer(outbox.store, quiet);
        for (int i = 0; !stop; ++i) {
          const std::string run = std::to_string(t) + "-" + std::to_string(i);
          auto receipt = producer.notify("proj" + std::to_string(t), sample_run(EventType::run_finish, run));
          if (!receipt) {
            std::this_thread::sleep_for(10ms);  // the server is away
            continue;
          }
          std::lock_guard lock(acked_mutex);
          acked.push_back(*receipt);
        }
      });
    }
    REQUIRE(outbox.wait_distinct(400, 120s));
    REQUIRE(run_process({"/bin/sh", RUNHOOKS_PG_CLUSTER_SCRIPT, "crash", state}).exit_code == 0);
    const auto acked_before_crash_returned = [&] {
      std::lock_guard lock(acked_mutex);
      return acked.size();
    }();
    // Notifies succeed again once it is back.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(acked_mutex);
        if (acked.size() >= acked_before_crash_returned + 200) break;
      }
      std::this_thread::sleep_for(50ms);
    }
    stop = true;
    for (auto& p : producers) p.join();
    INFO(acked.size() << " notifies acknowledged, " << acked_before_crash_returned << " before the crash ended");
    REQUIRE(acked.size() >= acked_before_crash_returned + 200);

    // Every acknowledged event survived the crash, and each of its
    // deliveries is received once the workers have caught up. (A notify
    // whose commit landed as the server went down may have failed all the
    // same: its event is delivered too, but was never acknowledged.)
    for (const auto& receipt : acked) {
      INFO(receipt.event_id);
      REQUIRE(outbox.store->get_event(receipt.event_id));
      REQUIRE(receipt.delivery_ids.size() == 1);
    }
    CHECK(outbox.wait_settled(180s));
    const auto received = outbox.received();
    std::size_t missing = 0;
    for (const auto& receipt : acked) {
      if (received.count("msg_" + receipt.delivery_ids.front()) == 0) ++missing;
    }
    CHECK(missing == 0);
    for (auto& w : workers) CHECK(w->stop(SIGTERM) == 0);
  }
}
