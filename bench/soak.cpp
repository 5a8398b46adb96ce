// The soak (issue 10): notify and deliver for a long time against receivers
// that fail, hang and reset at random (bench/chaos_receiver.py), printing
// the process's RSS, open file descriptors and WAL size once a minute; at
// the end the receivers turn healthy and every acknowledged event must be
// delivered. bench/soak.sh runs it; not part of CI.
//
//   soak STORE_URI RECEIVER_URL MINUTES [RATE]
//
// RATE notifies per second (default 25), each to 4 hooks. Exit status 0 when
// every acknowledged event's deliveries succeeded, 1 otherwise.

#include <runhooks/runhooks.hpp>

#include <curl/curl.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

constexpr int kHooks = 4;

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

long long file_bytes(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

// The WAL of a sqlite: store, or "" for other stores.
std::string wal_path(const std::string& uri) {
  if (uri.rfind("sqlite:", 0) != 0) return {};
  std::string path = uri.substr(7);
  return path.substr(0, path.find('?')) + "-wal";
}

bool post(const std::string& url) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  const bool ok = curl_easy_perform(curl) == CURLE_OK;
  curl_easy_cleanup(curl);
  return ok;
}

runhooks::NotifierOptions soak_options(std::atomic<std::uint64_t>& errors) {
  runhooks::NotifierOptions options;
  if (!options.network.allow("127.0.0.0/8")) std::abort();
  options.connect_timeout = 2s;
  options.total_timeout = 3s;  // the receiver's hangs last 8 s
  options.per_endpoint_concurrency = 64;
  // Twenty retries a few seconds apart: with 40 % of attempts failing, none
  // runs out (0.4^21), and the end's healthy receivers see every one soon.
  options.retry.schedule.assign(20, 2s);
  options.retry.jitter = 0.2;
  options.on_error = [&errors](const runhooks::Error&) { ++errors; };
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: soak STORE_URI RECEIVER_URL MINUTES [RATE]\n");
    return 2;
  }
  const std::string uri = argv[1];
  const std::string receiver = argv[2];
  const int minutes = std::atoi(argv[3]);
  const int rate = argc > 4 ? std::atoi(argv[4]) : 25;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto store = runhooks::open_storage(uri);
  if (!store) {
    std::fprintf(stderr, "soak: %s\n", store.error().message.c_str());
    return 1;
  }
  runhooks::WebhookRegistry registry(*store);
  for (int h = 0; h < kHooks; ++h) {
    if (!registry.create("soak", {receiver + "/h" + std::to_string(h), {}, {}, {}})) return 1;
  }
  std::atomic<std::uint64_t> errors{0};
  runhooks::Notifier notifier(*store, soak_options(errors));
  const std::string wal = wal_path(uri);

  std::uint64_t acked = 0;
  std::uint64_t refused = 0;
  const auto start = steady_clock::now();
  auto next_report = start;
  for (int minute = 0;; ) {
    const auto now = steady_clock::now();
    if (now >= next_report) {
      const auto stats = notifier.stats();
      std::printf("minute=%d acked=%llu refused=%llu attempts=%llu succeeded=%llu in_flight=%zu "
                  "rss_kib=%zu fds=%zu wal_bytes=%lld errors=%llu\n",
                  minute, static_cast<unsigned long long>(acked), static_cast<unsigned long long>(refused),
                  static_cast<unsigned long long>(stats.attempts), static_cast<unsigned long long>(stats.succeeded),
                  stats.in_flight, resident_kib(), open_descriptors(), wal.empty() ? -1LL : file_bytes(wal),
                  static_cast<unsigned long long>(errors.load()));
      std::fflush(stdout);
      if (minute++ == minutes) break;
      next_report += 1min;
    }
    runhooks::RunEvent event;
    event.type = acked % 2 == 0 ? runhooks::EventType::run_start : runhooks::EventType::run_finish;
    event.run_url = "https://ci.example.com/run/" + std::to_string(acked / 2);
    event.build_id = "build-" + std::to_string(acked / 2);
    if (notifier.notify("soak", event)) {
      ++acked;
    } else {
      ++refused;
    }
    std::this_thread::sleep_until(start + microseconds(1'000'000LL * static_cast<long long>(acked + refused) / rate));
  }

  // The receivers turn healthy: everything acknowledged must now arrive.
  if (!post(receiver + "/__mode/ok")) std::fprintf(stderr, "soak: cannot switch the receiver to ok\n");
  const auto flushed = notifier.flush(15min);
  const auto stats = notifier.stats();
  runhooks::DeliveryFilter pending{"soak", "", "", runhooks::DeliveryStatus::pending, 1, {}, {}};
  runhooks::DeliveryFilter failed{"soak", "", "", runhooks::DeliveryStatus::failed, 1, {}, {}};
  const auto left = (*store)->list_deliveries(pending);
  const auto lost = (*store)->list_deliveries(failed);
  const bool all = flushed == runhooks::FlushResult::idle && left && left->empty() && lost && lost->empty() &&
                   stats.succeeded == acked * kHooks;
  std::printf("end acked=%llu deliveries=%llu succeeded=%llu failed=%llu attempts=%llu rss_kib=%zu fds=%zu "
              "wal_bytes=%lld all_delivered=%s\n",
              static_cast<unsigned long long>(acked), static_cast<unsigned long long>(acked * kHooks),
              static_cast<unsigned long long>(stats.succeeded), static_cast<unsigned long long>(stats.failed),
              static_cast<unsigned long long>(stats.attempts), resident_kib(), open_descriptors(),
              wal.empty() ? -1LL : file_bytes(wal), all ? "yes" : "no");
  return all ? 0 : 1;
}
