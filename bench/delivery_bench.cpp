// Delivery benchmarks (issue 3), each a mode of this program; bench/run.sh
// starts the receivers (nginx, slow_receiver.py) and compares the figures.
//
//   delivery_bench serial URL N [BODY_FILE]
//       a plain serial loop making a new libcurl handle per request (what
//       users write by hand; over https, a full handshake each time). Posts
//       the small event's JSON, or BODY_FILE's bytes. Also the process's CPU
//       time per request.
//   delivery_bench multi URL N [CONCURRENCY [THREADS [BODY_FILE [shaped]]]]
//       a plain libcurl multi loop reusing handles (THREADS of them side by
//       side, sharing N and CONCURRENCY): the transport's ceiling. Posts the
//       small event's JSON, or BODY_FILE's bytes ("" for the small one).
//       `shaped`: with runhooks' header fields, timeouts and header capture
//       (see multi_loop). Also the process's CPU time per request.
//   delivery_bench throughput STORE URL_PREFIX HOOKS EVENTS [CONCURRENCY [THREADS [wire]]]
//       runhooks: HOOKS hooks at URL_PREFIX0..N, EVENTS events stored first
//       (not timed), then the notifier delivers all HOOKS x EVENTS. `wire`:
//       the events carry the full wire-format payload (see `fill`) instead
//       of the small one. Also the process's CPU time per delivery.
//   delivery_bench transport URL_PREFIX N CONCURRENCY BODY_FILE [PATHS [REFILL]]
//       runhooks' own libcurl transport (make_curl_transport) alone, driven
//       like the bare loop: N POSTs of BODY_FILE with the delivery request's
//       six header fields, CONCURRENCY in flight, to URL_PREFIX0..PATHS-1 in
//       turn (PATHS 1: URL_PREFIX0 only); new requests are started once
//       REFILL of them have completed (1: at once, as the bare loop; the
//       worker claims when a quarter of its room is free). CPU per request.
//   delivery_bench fill STORE PROJECT EVENTS BODY_OUT
//       stores EVENTS RUN_FINISH events with the full wire-format payload
//       (docs/wire-format.md section 4: every member set, 494 bytes, the
//       same size for each) for the hooks PROJECT already has (made with
//       `runhooks hooks create`), and writes event 0's payload to BODY_OUT,
//       for wrk and the bare loop to post (bench/worker_bench.sh).
//   delivery_bench notify STORE HOOKS COUNT [RATE]
//       notify() latency, p50/p99, an event fanning out to HOOKS hooks;
//       back to back, or RATE notifies per second.
//   delivery_bench notify_threads STORE HOOKS COUNT THREADS
//       notifies per second from THREADS threads at once (group commit).
//   delivery_bench latency STORE HEALTHY_URL HOOKS HOLE_URL HOLE_PERCENT EVENTS [CONCURRENCY]
//       healthy deliveries' latency (p50/p99) while HOLE_PERCENT % of the
//       hooks point at a black hole; also throughput.
//   delivery_bench workers STORE URL_PREFIX HOOKS EVENTS PROCESSES
//       PROCESSES worker processes share one store (PostgreSQL, or a SQLite
//       file); also the CPU seconds of the workers and of the postgres server.
//   delivery_bench purge STORE HOOKS EVENTS
//       purge_events over EVENTS delivered events (HOOKS deliveries each), in
//       the delivery loop's batches: rate and longest batch.
//   delivery_bench pending STORE COUNT
//       peak RSS while COUNT deliveries are pending (stored, then claimed).
//
// Output: one line of key=value pairs per run.
//
// BENCH_CA_FILE=PEM: the certificate authorities `serial`, `multi` and
// `transport` trust over https (libcurl's CAINFO; the transport's ca_file),
// for a receiver whose certificate a CA made for the run signed
// (bench/tls_bench.sh); unset, libcurl's default.

#include <runhooks/runhooks.hpp>

#include <curl/curl.h>
#include <sys/resource.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

template <class T>
T check(runhooks::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

runhooks::RunEvent event(int i) {
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

// A RUN_FINISH with every member of the wire format's payload set, as in
// docs/wire-format.md section 4; its size does not depend on i (fixed-width
// run URL and build id), so every body is as long as the one wrk posts.
runhooks::RunEvent wire_event(int i) {
  char run[17];
  std::snprintf(run, sizeof run, "%016llx", 0x950a13c3edf4f28bULL + static_cast<unsigned long long>(i));
  runhooks::RunEvent e;
  e.type = runhooks::EventType::run_finish;
  e.run_url = std::string("https://ci.example.com/run/") + run;
  e.build_id = std::string("demo-build-") + run;
  e.group_id = "chrome";
  e.tags = {"nightly", "e2e"};
  e.commit.sha = "5a7edc9a156e417068060d67109021351fc7d9b8";
  e.commit.branch = "feature-A";
  e.commit.author_name = "John Doe";
  e.commit.author_email = "john@doe.com";
  e.commit.message = "feat: change button color";
  e.commit.remote_origin = "https://git.example.com/org/repo.git";
  e.commit.default_branch = "main";
  e.overall = 12;
  e.passes = 10;
  e.failures = 1;
  e.skipped = 1;
  e.retries = 2;
  e.flaky = 1;
  return e;
}

// CPU seconds (user + system, every thread) of this process so far.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<runhooks::Storage> open(const std::string& uri) {
  return check(runhooks::open_storage(uri), "open store");
}

std::vector<std::string> create_hooks(std::shared_ptr<runhooks::Storage> store,
                                      const std::string& prefix, int count, int offset = 0) {
  runhooks::WebhookRegistry registry(std::move(store), runhooks::RegistryOptions{100000, std::chrono::hours(24), nullptr});
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(check(registry.create("bench", {prefix + std::to_string(offset + i), std::nullopt, std::nullopt, {}}),
                        "create hook").hook_id);
  }
  return ids;
}

runhooks::NotifierOptions bench_options(std::size_t concurrency, std::size_t threads = 1) {
  runhooks::NotifierOptions o;
  o.delivery_threads = threads;
  (void)o.network.allow("127.0.0.0/8");
  o.max_concurrency = concurrency;
  o.per_endpoint_concurrency = 8;
  o.poll_interval = std::chrono::milliseconds(50);
  return o;
}

void enqueue_events(const std::shared_ptr<runhooks::Storage>& store, int events, bool wire = false) {
  runhooks::Publisher producer(store);  // stores only: the benchmark's worker delivers
  for (int i = 0; i < events; ++i) check(producer.notify("bench", wire ? wire_event(i) : event(i)), "notify");
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[index];
}

// BENCH_CA_FILE, read once; nullptr when unset or empty.
const char* ca_file() {
  static const char* const file = [] {
    const char* value = std::getenv("BENCH_CA_FILE");
    return value != nullptr && *value != '\0' ? value : nullptr;
  }();
  return file;
}

void trust_bench_ca(CURL* h) {
  if (ca_file() != nullptr) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file());
}

int serial(const std::string& url, int n, const std::string& body_file) {
  const std::string body = body_file.empty() ? runhooks::to_json(event(0)) : read_file(body_file);
  const double cpu0 = cpu_seconds();
  const auto start = Clock::now();
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    CURL* curl = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    trust_bench_ca(curl);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t c, void*) { return s * c; });
    if (curl_easy_perform(curl) == CURLE_OK) ++ok;
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }
  const double elapsed = seconds_since(start);
  const double cpu = cpu_seconds() - cpu0;
  std::printf("mode=serial requests=%d ok=%d body_bytes=%zu seconds=%.3f rate=%.0f cpu_s=%.3f cpu_us_per_request=%.1f\n",
              n, ok, body.size(), elapsed, n / elapsed, cpu, 1e6 * cpu / n);
  return ok == n ? 0 : 1;
}

// A plain libcurl multi loop with reused handles and the same concurrency:
// what the transport alone can do, without storage, signing or bookkeeping.
// One libcurl multi loop: n POSTs of body to url, concurrency at a time,
// handles reused. Returns how many succeeded.
// shaped: the request as runhooks' transport sends it — its six header
// fields (fixed values of the same length) and `Expect:`, its timeouts, and
// the answer's header lines kept — to tell libcurl's cost of that shape from
// the rest of a delivery.
int multi_loop(const std::string& url, const std::string& body, int n, int concurrency, bool shaped = false) {
  CURLM* m = curl_multi_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (shaped) {
    for (const char* line : {"User-Agent: runhooks/0.3.0", "x-timestamp: 1795759200123",
                             "webhook-id: msg_0193a5e2-7c4b-7d21-8a9f-3c2b1d0e4f5a",
                             "webhook-timestamp: 1795759200",
                             "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "Expect:"}) {
      headers = curl_slist_append(headers, line);
    }
  }
  std::vector<std::string> kept;
  auto start_one = [&](CURL* h) {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    trust_bench_ca(h);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t c, void*) { return s * c; });
    if (shaped) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
      curl_easy_setopt(h, CURLOPT_HEADERDATA, &kept);
      curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, +[](char* data, size_t s, size_t c, void* user) {
        auto* lines = static_cast<std::vector<std::string>*>(user);
        if (lines->size() > 64) lines->clear();
        lines->emplace_back(data, s * c);
        return s * c;
      });
    }
    curl_multi_add_handle(m, h);
  };
  int started = 0, done = 0, ok = 0;
  for (int i = 0; i < concurrency && started < n; ++i, ++started) start_one(curl_easy_init());
  while (done < n) {
    int running = 0;
    curl_multi_perform(m, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* h = msg->easy_handle;
      if (msg->data.result == CURLE_OK) ++ok;
      ++done;
      curl_multi_remove_handle(m, h);
      if (started < n) { ++started; start_one(h); } else curl_easy_cleanup(h);
    }
    if (done < n) curl_multi_poll(m, nullptr, 0, 100, nullptr);
  }
  curl_slist_free_all(headers);
  curl_multi_cleanup(m);
  return ok;
}

// THREADS loops side by side, each n / threads requests and concurrency /
// threads connections: the most libcurl itself delivers on this machine,
// to set runhooks' figures (one delivery thread per loop) against.
int multi(const std::string& url, int n, int concurrency, int threads, const std::string& body_file, bool shaped) {
  const std::string body = body_file.empty() ? runhooks::to_json(event(0)) : read_file(body_file);
  std::atomic<int> ok{0};
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  std::vector<std::thread> loops;
  for (int t = 0; t < threads; ++t) {
    loops.emplace_back([&] { ok += multi_loop(url, body, n / threads, concurrency / threads, shaped); });
  }
  for (std::thread& loop : loops) loop.join();
  const double elapsed = seconds_since(t0);
  const double cpu = cpu_seconds() - cpu0;
  const int total = n / threads * threads;
  std::printf("mode=multi threads=%d requests=%d ok=%d concurrency=%d body_bytes=%zu%s seconds=%.3f rate=%.0f "
              "cpu_s=%.3f cpu_us_per_request=%.1f\n",
              threads, total, ok.load(), concurrency, body.size(), shaped ? " shaped=1" : "", elapsed, total / elapsed,
              cpu, 1e6 * cpu / total);
  return ok == total ? 0 : 1;
}

int throughput(const std::string& uri, const std::string& prefix, int hooks, int events, std::size_t concurrency,
               std::size_t threads, bool wire) {
  auto store = open(uri);
  create_hooks(store, prefix, hooks);
  enqueue_events(store, events, wire);
  const long rss_before = peak_rss_kb();
  const double cpu0 = cpu_seconds();
  const auto start = Clock::now();
  runhooks::Notifier notifier(store, bench_options(concurrency / threads, threads));
  const auto flushed = notifier.flush(std::chrono::minutes(10));
  const double elapsed = seconds_since(start);
  const double cpu = cpu_seconds() - cpu0;
  const auto stats = notifier.stats();
  const double total = static_cast<double>(hooks) * events;
  std::printf("mode=throughput threads=%zu store=%s hooks=%d events=%d deliveries=%.0f succeeded=%llu failed=%llu "
              "seconds=%.3f rate=%.0f cpu_s=%.3f cpu_us_per_delivery=%.1f%s idle=%d peak_rss_kb=%ld "
              "(before delivery %ld)\n",
              threads, uri.substr(0, uri.find(':')).c_str(), hooks, events, total,
              static_cast<unsigned long long>(stats.succeeded), static_cast<unsigned long long>(stats.failed),
              elapsed, static_cast<double>(stats.succeeded) / elapsed, cpu,
              1e6 * cpu / std::max(1.0, static_cast<double>(stats.succeeded)), wire ? " payload=wire" : "",
              flushed == runhooks::FlushResult::idle, peak_rss_kb(), rss_before);
  return stats.succeeded == static_cast<std::uint64_t>(total) ? 0 : 1;
}

// CPU seconds used so far by every process whose name is `name` (from /proc).
double cpu_seconds_of(const std::string& name) {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (line.substr(open + 1, close - open - 1) != name) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field) fields.push_back(field);
    if (fields.size() > 13) total += (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return total;
}

// WORKERS processes (fork: each opens its own store and Notifier) share one
// store, as `runhooks worker` processes would; the parent times them.
int workers(const std::string& uri, const std::string& prefix, int hooks, int events, int processes) {
  {
    auto store = open(uri);
    create_hooks(store, prefix, hooks);
    enqueue_events(store, events);
  }  // closed before forking: the children start from a clean process
  const double pg_before = cpu_seconds_of("postgres");
  const auto start = Clock::now();
  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      auto store = runhooks::open_storage(uri);
      if (!store) _exit(3);
      runhooks::Notifier notifier(*store, bench_options(64));
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    children.push_back(pid);
  }
  auto store = open(uri);
  for (;;) {
    auto pending = store->list_deliveries(runhooks::DeliveryFilter{"", "", "", runhooks::DeliveryStatus::pending, 1, {}, {}});
    if (pending && pending->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double elapsed = seconds_since(start);
  const double pg_cpu = cpu_seconds_of("postgres") - pg_before;  // before its backends exit with the workers
  for (pid_t pid : children) kill(pid, SIGKILL);
  for (pid_t pid : children) waitpid(pid, nullptr, 0);
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  const double workers_cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  const double total = static_cast<double>(hooks) * events;
  std::printf("mode=workers store=%s processes=%d deliveries=%.0f seconds=%.3f rate=%.0f "
              "cpu_workers_s=%.2f cpu_postgres_s=%.2f\n",
              uri.substr(0, uri.find(':')).c_str(), processes, total, elapsed, total / elapsed, workers_cpu, pg_cpu);
  return 0;
}

// RATE 0: back to back, the store's saturation; otherwise notifies start at
// RATE per second, as a busy fleet of test runners would send them.
int notify_latency(const std::string& uri, int hooks, int count, int rate) {
  auto store = open(uri);
  create_hooks(store, "http://127.0.0.1:9/h", hooks);
  runhooks::Publisher notifier(store);  // what notify costs the caller, no worker
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(count));
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (rate > 0) std::this_thread::sleep_until(t0 + std::chrono::microseconds(1'000'000LL * i / rate));
    const runhooks::RunEvent e = event(i);
    const auto start = Clock::now();
    auto receipt = notifier.notify("bench", e);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!receipt || receipt->delivery_ids.size() != static_cast<std::size_t>(hooks)) return 1;
  }
  std::printf("mode=notify store=%s hooks=%d count=%d rate=%s p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
              uri.substr(0, uri.find(':')).c_str(), hooks, count,
              rate > 0 ? std::to_string(rate).c_str() : "max", percentile(micros, 0.5),
              percentile(micros, 0.99), percentile(micros, 1.0));
  return 0;
}

// Notifies per second from `threads` threads at once into one store (each
// notify its own event to `hooks` hooks): what group commit buys.
int notify_threads(const std::string& uri, int hooks, int count, int threads) {
  auto store = open(uri);
  create_hooks(store, "http://127.0.0.1:9/h", hooks);
  runhooks::Publisher notifier(store);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        auto receipt = notifier.notify("bench", event(i));
        if (!receipt || receipt->delivery_ids.size() != static_cast<std::size_t>(hooks)) failed = true;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double elapsed = seconds_since(start);
  if (failed) return 1;
  std::printf("mode=notify_threads store=%s hooks=%d count=%d threads=%d seconds=%.3f rate=%.0f\n",
              uri.substr(0, uri.find(':')).c_str(), hooks, count, threads, elapsed, count / elapsed);
  return 0;
}

int latency(const std::string& uri, const std::string& healthy, int hooks, const std::string& hole,
            int hole_percent, int events, std::size_t concurrency) {
  auto store = open(uri);
  const int holes = hooks * hole_percent / 100;
  create_hooks(store, healthy, hooks - holes);
  if (holes > 0) create_hooks(store, hole, holes, hooks);
  enqueue_events(store, events);
  std::mutex mutex;
  std::vector<double> healthy_ms;
  runhooks::NotifierOptions options = bench_options(concurrency);
  options.total_timeout = std::chrono::seconds(2);
  options.retry.schedule = {};  // a black-holed delivery times out once and is done
  options.on_attempt = [&](const runhooks::AttemptReport& r) {
    if (r.attempt.error_class != runhooks::AttemptErrorClass::none) return;
    std::lock_guard lock(mutex);
    healthy_ms.push_back(static_cast<double>(r.attempt.duration.count()));
  };
  const auto start = Clock::now();
  runhooks::Notifier notifier(store, options);
  notifier.flush(std::chrono::minutes(10));
  const double elapsed = seconds_since(start);
  std::lock_guard lock(mutex);
  std::printf("mode=latency hooks=%d black_holed=%d healthy_deliveries=%zu seconds=%.3f "
              "healthy_rate=%.0f p50_ms=%.1f p99_ms=%.1f\n",
              hooks, holes, healthy_ms.size(), elapsed, static_cast<double>(healthy_ms.size()) / elapsed,
              percentile(healthy_ms, 0.5), percentile(healthy_ms, 0.99));
  return 0;
}

int pending(const std::string& uri, int count) {
  auto store = open(uri);
  const long rss_start = peak_rss_kb();
  create_hooks(store, "http://127.0.0.1:9/h", 1);
  enqueue_events(store, count);
  const long rss_stored = peak_rss_kb();
  // Claim through a worker whose endpoint is down: the loop only ever holds
  // max_concurrency deliveries, however many are pending.
  runhooks::NotifierOptions options = bench_options(64);
  runhooks::Notifier notifier(store, options);
  notifier.flush(std::chrono::seconds(3));
  std::printf("mode=pending store=%s pending=%d rss_start_kb=%ld rss_after_store_kb=%ld rss_delivering_kb=%ld\n",
              uri.substr(0, uri.find(':')).c_str(), count, rss_start, rss_stored, peak_rss_kb());
  return 0;
}

// EVENTS events to HOOKS hooks, all delivered (recorded straight through the
// Storage API, not timed), then purged in the delivery loop's batches of
// 100 events: the rate, and the longest batch (a notify in this process
// waits for at most that).
int purge(const std::string& uri, int hooks, int events) {
  auto store = open(uri);
  create_hooks(store, "http://127.0.0.1:9/h", hooks);
  enqueue_events(store, events);
  const auto now = runhooks::Clock::system().now();
  for (;;) {
    auto claimed = check(store->claim_due(runhooks::ClaimRequest{"bench", now, std::chrono::minutes(1), 1000, 0, {}, {}}),
                         "claim");
    if (claimed.empty()) break;
    std::vector<runhooks::AttemptResult> results;
    for (const runhooks::ClaimedDelivery& c : claimed) {
      runhooks::Attempt a;
      a.attempt_id = c.delivery.delivery_id + "-a";
      a.delivery_id = c.delivery.delivery_id;
      a.hook_id = c.delivery.hook_id;
      a.started_at = now;
      a.status_code = 200;
      a.response_body = "ok";
      runhooks::DeliveryState done{runhooks::DeliveryStatus::succeeded, 1, now, now, ""};
      results.push_back({a, done, {}});
    }
    check(store->complete_attempts("bench", results), "complete");
  }
  const auto t0 = Clock::now();
  double longest_ms = 0;
  std::size_t purged = 0;
  for (;;) {
    const auto batch_start = Clock::now();
    const std::size_t n = check(store->purge_events(now + std::chrono::seconds(1), 100), "purge");
    longest_ms = std::max(longest_ms, std::chrono::duration<double, std::milli>(Clock::now() - batch_start).count());
    purged += n;
    if (n < 100) break;
  }
  const double elapsed = seconds_since(t0);
  std::printf("mode=purge store=%s hooks=%d events=%d purged=%zu seconds=%.3f events_per_s=%.0f "
              "longest_batch_ms=%.1f\n",
              uri.substr(0, uri.find(':')).c_str(), hooks, events, purged, elapsed, static_cast<double>(purged) / elapsed, longest_ms);
  return purged == static_cast<std::size_t>(events) ? 0 : 1;
}

// The transport without the worker: what libcurl costs as runhooks drives
// it (its options, header list, capture of the answer, Transfer objects),
// against the bare loop of `multi ... shaped`.
int transport_loop(const std::string& prefix, int n, int concurrency, const std::string& body_file, int paths,
                   int refill) {
  const std::string body = read_file(body_file);
  runhooks::CurlTransportOptions options;
  (void)options.network.allow("127.0.0.0/8");
  if (ca_file() != nullptr) options.ca_file = ca_file();
  auto transport = runhooks::make_curl_transport(options);
  const runhooks::HeaderList headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", "runhooks/0.3.0"},
      {"x-timestamp", "1795759200123"},
      {"webhook-id", "msg_0193a5e2-7c4b-7d21-8a9f-3c2b1d0e4f5a"},
      {"webhook-timestamp", "1795759200"},
      {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  std::vector<std::string> urls;
  for (int i = 0; i < std::max(1, paths); ++i) urls.push_back(prefix + std::to_string(i));
  int started = 0, done = 0, ok = 0, completed_since_refill = 0;
  auto start_one = [&] {
    runhooks::HttpRequest request{urls[static_cast<std::size_t>(started) % urls.size()], headers, body};
    ++started;
    transport->send(std::move(request), [&](runhooks::HttpResult result) {
      ++done;
      ++completed_since_refill;
      if (result.error_class == runhooks::AttemptErrorClass::none) ++ok;
    });
  };
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  while (started < n && started < concurrency) start_one();
  while (done < n) {
    transport->poll(std::chrono::milliseconds(100));
    if (completed_since_refill >= refill) {
      completed_since_refill = 0;
      while (started < n && started - done < concurrency) start_one();
    }
  }
  const double elapsed = seconds_since(t0);
  const double cpu = cpu_seconds() - cpu0;
  std::printf("mode=transport requests=%d ok=%d concurrency=%d paths=%d refill=%d body_bytes=%zu seconds=%.3f "
              "rate=%.0f cpu_s=%.3f cpu_us_per_request=%.1f\n",
              n, ok, concurrency, std::max(1, paths), refill, body.size(), elapsed, n / elapsed, cpu, 1e6 * cpu / n);
  return ok == n ? 0 : 1;
}

// Fills an outbox for `runhooks worker` (bench/worker_bench.sh): the hooks
// are the CLI's; the events carry the wire format's full payload.
int fill(const std::string& uri, const std::string& project, int events, const std::string& body_out) {
  auto store = open(uri);
  const double cpu0 = cpu_seconds();
  const auto start = Clock::now();
  runhooks::Publisher producer(store);
  std::size_t deliveries = 0;
  for (int i = 0; i < events; ++i) deliveries += check(producer.notify(project, wire_event(i)), "notify").delivery_ids.size();
  const std::string body = runhooks::to_json(wire_event(0));
  std::ofstream(body_out, std::ios::binary) << body;
  std::printf("mode=fill events=%d deliveries=%zu body_bytes=%zu seconds=%.3f cpu_s=%.3f\n", events, deliveries,
              body.size(), seconds_since(start), cpu_seconds() - cpu0);
  return deliveries > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  auto arg = [&](std::size_t i) { return i < a.size() ? a[i] : std::string(); };
  auto num = [&](std::size_t i, int fallback) { return i < a.size() ? std::atoi(a[i].c_str()) : fallback; };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string mode = arg(0);
  if (mode == "serial") return serial(arg(1), num(2, 2000), arg(3));
  if (mode == "multi") return multi(arg(1), num(2, 100000), num(3, 64), std::max(1, num(4, 1)), arg(5), arg(6) == "shaped");
  if (mode == "throughput") {
    return throughput(arg(1), arg(2), num(3, 64), num(4, 500), static_cast<std::size_t>(num(5, 64)),
                      static_cast<std::size_t>(std::max(1, num(6, 1))), arg(7) == "wire");
  }
  if (mode == "fill") return fill(arg(1), arg(2), num(3, 500), arg(4));
  if (mode == "transport") {
    return transport_loop(arg(1), num(2, 100000), num(3, 64), arg(4), num(5, 1), std::max(1, num(6, 1)));
  }
  if (mode == "notify") return notify_latency(arg(1), num(2, 10), num(3, 10000), num(4, 0));
  if (mode == "notify_threads") return notify_threads(arg(1), num(2, 10), num(3, 10000), num(4, 8));
  if (mode == "latency") {
    return latency(arg(1), arg(2), num(3, 100), arg(4), num(5, 20), num(6, 100), static_cast<std::size_t>(num(7, 256)));
  }
  if (mode == "pending") return pending(arg(1), num(2, 100000));
  if (mode == "purge") return purge(arg(1), num(2, 10), num(3, 10000));
  if (mode == "workers") return workers(arg(1), arg(2), num(3, 64), num(4, 100), num(5, 1));
  std::fprintf(stderr, "usage: see the comment at the top of delivery_bench.cpp\n");
  return 2;
}
