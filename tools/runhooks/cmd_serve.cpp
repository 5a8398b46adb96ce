// runhooks serve | worker: long-running processes, stopped by SIGTERM/SIGINT.

#include "cli.hpp"
#include "server/http_server.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <pthread.h>
#include <sys/resource.h>

namespace runhooks::cli {

namespace {

// Blocks SIGINT and SIGTERM in this thread and every thread started after,
// so that `wait_for_stop_signal` alone receives them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_stop_signal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

int positive(const Args& args, const std::string& name, int fallback) {
  const auto text = args.value(name);
  if (!text) return fallback;
  try {
    const int value = std::stoi(*text);
    if (value > 0) return value;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + " needs a positive number");
}

ServerOptions server_options(const Args& args) {
  ServerOptions options;
  options.threads = positive(args, "threads", options.threads);
  options.max_connections = static_cast<std::size_t>(
      positive(args, "max-connections", static_cast<int>(options.max_connections)));
  options.header_timeout = std::chrono::seconds(positive(args, "header-timeout", 10));
  options.request_timeout = std::chrono::seconds(positive(args, "request-timeout", 30));
  options.idle_timeout = std::chrono::seconds(positive(args, "idle-timeout", 5));
  if (options.request_timeout < options.header_timeout) {
    throw UsageError("--request-timeout must be at least --header-timeout");
  }
  return options;
}

// Each connection is a file descriptor: the soft limit (often 1024) is
// raised as far as the hard one allows; when even that cannot hold every
// connection, fewer are allowed, so that the room policy, not running out
// of descriptors, decides who waits.
void fit_descriptor_limit(ServerOptions& options) {
  constexpr rlim_t kOtherDescriptors = 256;  // the store, the worker's sockets, the listener
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(options.max_connections) + kOtherDescriptors;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur >= wanted) return;
  const auto fits = static_cast<std::size_t>(limit.rlim_cur > 2 * kOtherDescriptors ? limit.rlim_cur - kOtherDescriptors
                                                                                    : limit.rlim_cur / 2);
  std::fprintf(stderr, "runhooks serve: the open-file limit (%llu) leaves room for %zu connections, not %zu\n",
               static_cast<unsigned long long>(limit.rlim_cur), fits, options.max_connections);
  options.max_connections = fits;
}

std::unique_ptr<Worker> start_worker(const std::shared_ptr<Storage>& store, const Args& args) {
  WorkerOptions options;
  if (const auto days = args.value("retention-days")) {
    int value = -1;
    try {
      std::size_t used = 0;
      value = std::stoi(*days, &used);
      if (used != days->size()) value = -1;
    } catch (const std::exception&) {
    }
    if (value < 0) throw UsageError("--retention-days needs a number of days (0 keeps everything)");
    options.event_retention = options.attempt_retention = std::chrono::hours(24) * value;
  }
  options.network = network_policy(args);
  options.max_concurrency = static_cast<std::size_t>(positive(args, "concurrency", 256));
  options.lease = std::chrono::seconds(positive(args, "lease", 60));  // the total timeout follows (sanitized)
  options.on_error = [](const Error& e) { std::fprintf(stderr, "runhooks worker: %s\n", e.message.c_str()); };
  return std::make_unique<Worker>(store, options);
}

}  // namespace

struct ListenAddress {
  std::string host;
  int port = 0;
};

ListenAddress listen_address(const std::string& option, const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--" + option + " needs HOST:PORT");
  ListenAddress address;
  address.host = listen.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  address.port = -1;
  try {
    std::size_t used = 0;
    address.port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) address.port = -1;
  } catch (const std::exception&) {
  }
  if (address.port < 0 || address.port > 65535) throw UsageError("--" + option + " needs HOST:PORT with a port 0-65535");
  return address;
}

int run_serve(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"listen", "threads", "allow-network", "concurrency", "lease", "retention-days", "max-connections",
                   "header-timeout", "request-timeout", "idle-timeout"},
                  {"no-worker"});
  args.at_most(0);
  const std::string listen = args.value("listen").value_or("127.0.0.1:8080");
  const ListenAddress address = listen_address("listen", listen);
  ServerOptions options = server_options(args);
  fit_descriptor_limit(options);

  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  std::unique_ptr<Worker> worker;
  if (!args.has("no-worker")) worker = start_worker(*store, args);
  HttpApiOptions api_options;
  api_options.max_body_bytes = options.max_body_bytes;
  // Test sends with ?wait hold a handler thread: half of them at most.
  api_options.max_waiting_tests = static_cast<std::size_t>(std::max(1, options.threads / 2));
  if (worker) {
    api_options.worker_stats = [&worker] { return worker->stats(); };
    api_options.on_stored = [&worker] { worker->wake(); };
  }
  HttpServer server(std::make_shared<HttpApi>(*store, api_options), address.host, address.port, options);
  std::printf("listening on http://%s:%d\n", listen.substr(0, listen.rfind(':')).c_str(), server.port());
  std::fflush(stdout);
  const int signal = wait_for_stop_signal(signals);
  std::fprintf(stderr, "runhooks serve: %s, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  const bool handlers_done = server.stop();
  if (worker) worker->stop(std::chrono::seconds(10));
  if (!handlers_done) {
    // Handler threads still wait on the store: exit's teardown would free
    // OpenSSL's state and static objects they use (ThreadSanitizer saw it).
    std::fflush(nullptr);
    std::_Exit(kOk);
  }
  return kOk;
}

int run_worker(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv, {"allow-network", "concurrency", "lease", "retention-days", "metrics-listen"}, {});
  args.at_most(0);
  std::optional<ListenAddress> metrics_address;
  if (const auto listen = args.value("metrics-listen")) metrics_address = listen_address("metrics-listen", *listen);
  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  auto worker = start_worker(*store, args);
  std::unique_ptr<HttpServer> metrics_server;
  if (metrics_address) {
    HttpApiOptions api_options;
    api_options.operations_only = true;
    api_options.worker_stats = [&worker] { return worker->stats(); };
    ServerOptions server_options;
    server_options.threads = 2;
    server_options.max_connections = 64;
    metrics_server = std::make_unique<HttpServer>(std::make_shared<HttpApi>(*store, api_options),
                                                  metrics_address->host, metrics_address->port, server_options);
  }
  std::printf("delivering from %s\n", context.store_uri.c_str());
  if (metrics_server) std::printf("metrics on http://%s:%d/metrics\n", metrics_address->host.c_str(), metrics_server->port());
  std::fflush(stdout);
  wait_for_stop_signal(signals);
  if (metrics_server) metrics_server->stop();
  worker->stop(std::chrono::seconds(10));  // drains what is in flight
  return kOk;
}

}  // namespace runhooks::cli
