// runhooks serve | worker: long-running processes, stopped by SIGTERM/SIGINT.

#include "cli.hpp"
#include "server/http_server.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
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

int run_serve(const Context& context, const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"listen", "threads", "allow-network", "concurrency", "lease", "retention-days", "max-connections",
                   "header-timeout", "request-timeout", "idle-timeout"},
                  {"no-worker"});
  args.at_most(0);
  const std::string listen = args.value("listen").value_or("127.0.0.1:8080");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen needs HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw UsageError("--listen needs HOST:PORT with a port 0-65535");
  ServerOptions options = server_options(args);
  fit_descriptor_limit(options);

  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  std::unique_ptr<Worker> worker;
  if (!args.has("no-worker")) worker = start_worker(*store, args);
  HttpApiOptions api_options;
  api_options.max_body_bytes = options.max_body_bytes;
  HttpServer server(std::make_shared<HttpApi>(*store, api_options), host, port, options);
  std::printf("listening on http://%s:%d\n", listen.substr(0, colon).c_str(), server.port());
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
  const Args args(argv, {"allow-network", "concurrency", "lease", "retention-days"}, {});
  args.at_most(0);
  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  auto worker = start_worker(*store, args);
  std::printf("delivering from %s\n", context.store_uri.c_str());
  std::fflush(stdout);
  wait_for_stop_signal(signals);
  worker->stop(std::chrono::seconds(10));  // drains what is in flight
  return kOk;
}

}  // namespace runhooks::cli
