// Delivery history benchmarks (issue 12), each a mode of this program;
// bench/run.sh runs them, bench/README.md ("Listing deliveries") quotes them.
//
//   listing_bench list STORE [DELIVERIES [HOOKS [PENDING_PERMILLE]]]
//       fills STORE with DELIVERIES deliveries (1,000,000) over HOOKS hooks
//       (100: ten projects of ten, an event fanning out to one project's ten),
//       attempted and finished as a worker would (1 % failed for good,
//       PENDING_PERMILLE ‰ still pending, retried later: 10 ‰ by default),
//       then times listings: one hook's latest 50, its latest 50 failed, the
//       page after those 50, its pending ones, the latest 1 of a hook with no
//       deliveries, and count_pending. Fill time is not counted.
//   listing_bench frames SQLITE_STORE HOOKS COUNT
//       SQLite WAL frames written per notify (an event fanning out to HOOKS
//       hooks, COUNT notifies into a growing outbox, no worker), then per
//       delivery completed by a worker-sized batch (64): what an index costs
//       the writers. Counted by a VFS that sees every frame written.
//
// Output: one line of key=value pairs per measurement.

#include <runhooks/runhooks.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using runhooks::Timestamp;

template <class T>
T check(runhooks::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void check(runhooks::Result<void> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string uuid(std::uint64_t n) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
  return text;
}

runhooks::Webhook hook(int i, const std::string& project) {
  runhooks::Webhook h;
  h.hook_id = uuid(static_cast<std::uint64_t>(i) + 1);
  h.project_id = project;
  h.url = "https://hooks.example.com/" + std::to_string(i);
  h.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  h.created_at = h.updated_at = runhooks::Clock::system().now();
  return h;
}

std::string project_of(int i) { return "project-" + std::to_string(i); }

// ---- frames -------------------------------------------------------------------

// A VFS that is the default one but for WAL files, whose writes of a frame
// header (24 bytes, one write each) it counts: one per page a commit writes.
// Only the method table of such a file is swapped; the file is the real one.
std::atomic<std::uint64_t> g_frames{0};
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;
const sqlite3_io_methods* g_wal_real = nullptr;
sqlite3_io_methods g_wal_counting;

int write_counting(sqlite3_file* f, const void* bytes, int n, sqlite3_int64 offset) {
  if (n == 24) ++g_frames;
  return g_wal_real->xWrite(f, bytes, n, offset);
}

int open_counting(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  const int rc = g_base->xOpen(g_base, name, file, flags, out_flags);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) != 0 && file->pMethods != nullptr) {
    if (g_wal_real == nullptr) {
      g_wal_real = file->pMethods;
      g_wal_counting = *g_wal_real;
      g_wal_counting.xWrite = write_counting;
    }
    file->pMethods = &g_wal_counting;
  }
  return rc;
}

void count_frames() {
  g_base = sqlite3_vfs_find(nullptr);
  g_vfs = *g_base;
  g_vfs.zName = "runhooks-frame-counting";
  g_vfs.xOpen = open_counting;
  sqlite3_vfs_register(&g_vfs, 1);
}

runhooks::RunEvent run_event(int i) {
  runhooks::RunEvent e;
  e.type = runhooks::EventType::run_finish;
  e.run_url = "https://ci.example.com/run/" + std::to_string(i);
  e.build_id = "build-" + std::to_string(i);
  e.commit.sha = "5a7edc9a156e417068060d67109021351fc7d9b8";
  e.commit.branch = "main";
  e.overall = 100;
  e.passes = 99;
  e.failures = 1;
  return e;
}

runhooks::AttemptResult finished(const runhooks::ClaimedDelivery& c, runhooks::DeliveryStatus status,
                                 Timestamp at, std::uint64_t n) {
  runhooks::AttemptResult r;
  r.attempt.attempt_id = uuid(n);
  r.attempt.delivery_id = c.delivery.delivery_id;
  r.attempt.hook_id = c.delivery.hook_id;
  r.attempt.started_at = at;
  r.attempt.duration = std::chrono::milliseconds(3);
  r.attempt.status_code = status == runhooks::DeliveryStatus::failed ? 500 : 200;
  r.attempt.error_class = status == runhooks::DeliveryStatus::failed ? runhooks::AttemptErrorClass::http_status
                                                                     : runhooks::AttemptErrorClass::none;
  r.next.status = status;
  r.next.attempt_count = c.delivery.attempt_count + 1;
  r.next.next_attempt_at = status == runhooks::DeliveryStatus::pending ? at + std::chrono::hours(24 * 365)
                                                                       : c.delivery.next_attempt_at;
  if (status != runhooks::DeliveryStatus::pending) r.next.completed_at = at;
  if (status != runhooks::DeliveryStatus::succeeded) r.next.last_error = "HTTP 500";
  return r;
}

int frames(const std::string& uri, int hooks, int count) {
  count_frames();
  auto store = check(runhooks::open_storage(uri), "open store");
  for (int i = 0; i < hooks; ++i) check(store->insert_hook(hook(i, "bench"), 100000), "insert hook");
  runhooks::Publisher publisher(store);
  const std::uint64_t before = g_frames;
  for (int i = 0; i < count; ++i) check(publisher.notify("bench", run_event(i)), "notify");
  const std::uint64_t notified = g_frames - before;
  // Then a worker's share: claim 64, complete them in one batch.
  const Timestamp now = runhooks::Clock::system().now();
  const std::uint64_t claims_before = g_frames;
  std::uint64_t completed = 0, completion_frames = 0;
  for (;;) {
    auto claimed = check(store->claim_due({"w", now, std::chrono::seconds(60), 64, 0, {}, {}}), "claim");
    if (claimed.empty()) break;
    std::vector<runhooks::AttemptResult> batch;
    for (const auto& c : claimed) batch.push_back(finished(c, runhooks::DeliveryStatus::succeeded, now, ++completed));
    const std::uint64_t start = g_frames;
    check(store->complete_attempts("w", batch), "complete");
    completion_frames += g_frames - start;
  }
  std::printf("mode=frames hooks=%d notifies=%d frames_per_notify=%.2f deliveries=%llu "
              "frames_per_completion=%.3f frames_per_claimed=%.3f\n",
              hooks, count, static_cast<double>(notified) / count, static_cast<unsigned long long>(completed),
              static_cast<double>(completion_frames) / static_cast<double>(completed),
              static_cast<double>(g_frames - claims_before - completion_frames) / static_cast<double>(completed));
  return 0;
}

// ---- list ---------------------------------------------------------------------

// What a worker leaves: the events stored (each by a notify's enqueue, four
// threads at it), then claimed and finished in batches of 1,000. Event i
// goes to project i % 10's ten hooks, made one millisecond after event
// i - 1. Each delivery, drawn at random, is still pending (a retry a year
// away) with pending_permille ‰, failed for good with 1 %, succeeded
// otherwise.
void fill(runhooks::Storage& store, int deliveries, int hooks, int pending_permille) {
  const int projects = std::max(1, hooks / 10);
  for (int i = 0; i < hooks; ++i) check(store.insert_hook(hook(i, project_of(i % projects)), 100000), "insert hook");
  const int events = deliveries / (hooks / projects);
  const Timestamp start = runhooks::Clock::system().now() - std::chrono::milliseconds(events);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < events; i = next++) {
        runhooks::OutboxEvent e;
        e.event_id = uuid(1'000'000'000 + static_cast<std::uint64_t>(i));
        e.project_id = project_of(i % projects);
        e.payload = R"({"event":"RUN_FINISH","runUrl":"https://ci.example.com/run/)" + std::to_string(i) + "\"}";
        e.created_at = start + std::chrono::milliseconds(i);
        check(store.enqueue(e), "enqueue");
      }
    });
  }
  for (auto& t : threads) t.join();
  const Timestamp now = runhooks::Clock::system().now();
  std::mt19937 random(7);
  std::uint64_t n = 0;
  for (;;) {
    auto claimed = check(store.claim_due({"filler", now, std::chrono::hours(1), 1000, 0, {}, {}}), "claim");
    if (claimed.empty()) break;
    std::vector<runhooks::AttemptResult> batch;
    for (const auto& c : claimed) {
      ++n;
      const int draw = static_cast<int>(random() % 1000);
      const auto status = draw < pending_permille        ? runhooks::DeliveryStatus::pending
                          : draw < pending_permille + 10 ? runhooks::DeliveryStatus::failed
                                                         : runhooks::DeliveryStatus::succeeded;
      batch.push_back(finished(c, status, c.delivery.created_at + std::chrono::milliseconds(5), n));
    }
    check(store.complete_attempts("filler", batch), "complete");
  }
}

void report(const char* what, const std::string& backend, const std::vector<double>& ms, std::size_t rows) {
  std::printf("mode=list store=%s query=%s rows=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", backend.c_str(), what,
              rows, percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0));
}

int list(const std::string& uri, int deliveries, int hooks, int pending_permille) {
  auto store = check(runhooks::open_storage(uri), "open store");
  const std::string backend = uri.substr(0, uri.find(':'));
  const auto fill_start = Clock::now();
  fill(*store, deliveries, hooks, pending_permille);
  std::printf("mode=fill store=%s deliveries=%d hooks=%d pending=%llu seconds=%.1f\n", backend.c_str(), deliveries,
              hooks, static_cast<unsigned long long>(check(store->count_pending(), "count")),
              std::chrono::duration<double>(Clock::now() - fill_start).count());
  const runhooks::Webhook idle = hook(hooks, project_of(0));  // one with no deliveries at all
  check(store->insert_hook(idle, 100000), "insert hook");

  std::mt19937 random(12);
  const auto timed = [&](const char* what, auto make_filter) {
    std::vector<double> ms;
    std::size_t rows = 0;
    for (int i = 0; i < 300; ++i) {
      const runhooks::DeliveryFilter filter = make_filter(uuid(random() % static_cast<unsigned>(hooks) + 1));
      const auto start = Clock::now();
      rows = check(store->list_deliveries(filter), what).size();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    report(what, backend, ms, rows);
  };
  const auto latest = [](const std::string& hook_id) {
    runhooks::DeliveryFilter f;
    f.hook_id = hook_id;
    f.limit = 50;
    return f;
  };
  timed("hook_latest_50", latest);
  timed("hook_latest_50_failed", [&](const std::string& hook_id) {
    auto f = latest(hook_id);
    f.status = runhooks::DeliveryStatus::failed;
    return f;
  });
  timed("hook_page_2", [&](const std::string& hook_id) {  // the cursor is read outside the timing
    auto f = latest(hook_id);
    f.after_delivery_id = check(store->list_deliveries(latest(hook_id)), "first page").back().delivery_id;
    return f;
  });
  timed("hook_latest_50_pending", [&](const std::string& hook_id) {
    auto f = latest(hook_id);
    f.status = runhooks::DeliveryStatus::pending;
    return f;
  });
  timed("idle_hook_latest_1", [&](const std::string&) {
    auto f = latest(idle.hook_id);
    f.limit = 1;
    return f;
  });
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    check(store->count_pending(), "count");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  report("count_pending", backend, ms, 1);
  return 0;
}

int num(int argc, char** argv, int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; }

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "list" && argc > 2) {
    return list(argv[2], num(argc, argv, 3, 1'000'000), num(argc, argv, 4, 100), num(argc, argv, 5, 10));
  }
  if (mode == "frames" && argc > 4) return frames(argv[2], num(argc, argv, 3, 10), num(argc, argv, 4, 20000));
  std::fprintf(stderr, "usage: see the comment at the top of bench/listing_bench.cpp\n");
  return 2;
}
