// runhooks serve | worker: long-running processes, stopped by SIGTERM/SIGINT.

#include "cli.hpp"
#include "delivery_log.hpp"
#include "open_file_limit.hpp"
#include "server/http_server.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <pthread.h>

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

// The options of serve and worker (worker has no server part).
struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string metrics_listen;
  bool no_worker = false;
  std::int64_t threads = 8, max_connections = 1024;
  std::int64_t header_timeout = 10, request_timeout = 30, idle_timeout = 5;
  std::string tls_cert, tls_key;
  std::vector<std::string> allow_network;
  CaOptions ca;
  std::int64_t concurrency = 256, per_endpoint_concurrency = 8, lease = 60, retention_days = 30;
  LogOptions log;
};

ServerOptions server_options(const ServeOptions& o) {
  ServerOptions options;
  options.threads = static_cast<int>(o.threads);
  options.max_connections = static_cast<std::size_t>(o.max_connections);
  options.header_timeout = std::chrono::seconds(o.header_timeout);
  options.request_timeout = std::chrono::seconds(o.request_timeout);
  options.idle_timeout = std::chrono::seconds(o.idle_timeout);
  options.tls_certificate_file = o.tls_cert;
  options.tls_private_key_file = o.tls_key;
  if (options.request_timeout < options.header_timeout) {
    throw UsageError("--request-timeout must be at least --header-timeout");
  }
  return options;
}

// Each connection is a file descriptor, the worker's requests in flight
// too: the soft limit (often 1024) is raised to the hard one; when even that
// cannot hold them all, fewer are allowed and stderr says so — for the
// server, so that the room policy, not running out of descriptors, decides
// who waits; for the worker, so that it delivers at a lower concurrency
// rather than failing every connection past the limit (and retrying it
// minutes later).
void fit_open_file_limit(const char* command, ServeOptions& o, ServerOptions* server) {
  const std::size_t limit = raise_open_file_limit();
  const std::size_t room = room_for_connections(limit);
  const std::size_t worker = o.no_worker ? 0 : static_cast<std::size_t>(o.concurrency);
  const std::size_t connections = server != nullptr ? server->max_connections : 0;
  if (worker + connections <= room) return;
  // Short of room: beside a server, the worker gets half of it at most.
  const std::size_t worker_fits = std::min(worker, server != nullptr ? std::max<std::size_t>(1, room / 2) : room);
  if (worker_fits < worker) {
    std::fprintf(stderr, "runhooks %s: the open-file limit (%zu) leaves room for %zu requests in flight, not %zu\n",
                 command, limit, worker_fits, worker);
    o.concurrency = static_cast<std::int64_t>(worker_fits);
  }
  if (server == nullptr) return;
  const std::size_t server_fits = std::max<std::size_t>(1, room - worker_fits);
  if (server_fits >= connections) return;
  std::fprintf(stderr, "runhooks %s: the open-file limit (%zu) leaves room for %zu connections, not %zu\n", command,
               limit, server_fits, connections);
  server->max_connections = server_fits;
}

std::unique_ptr<Worker> start_worker(const std::shared_ptr<Storage>& store, const ServeOptions& o, DeliveryLog& log) {
  WorkerOptions options;
  options.event_retention = options.attempt_retention = std::chrono::hours(24) * o.retention_days;
  options.network = network_policy(o.allow_network);
  options.ca_file = o.ca.file;
  options.ca_path = o.ca.path;
  options.max_concurrency = static_cast<std::size_t>(o.concurrency);
  options.per_endpoint_concurrency = static_cast<std::size_t>(o.per_endpoint_concurrency);
  options.lease = std::chrono::seconds(o.lease);  // the total timeout follows (sanitized)
  log.attach(options);
  auto worker = std::make_unique<Worker>(store, options);
  Worker* w = worker.get();
  log.start_summary([w] { return w->stats(); });
  return worker;
}

void add_worker_options(CLI::App& app, ServeOptions& o) {
  add_allow_network(app, o.allow_network);
  add_ca_options(app, o.ca);
  add_number(app, "--concurrency", o.concurrency, 1, 100000, "requests in flight (default 256)");
  add_number(app, "--per-endpoint-concurrency", o.per_endpoint_concurrency, 1, 100000,
             "requests in flight to one hook (default 8)");
  add_number(app, "--lease", o.lease, 1, 86400, "seconds a claimed delivery is ours (default 60)");
  add_number(app, "--retention-days", o.retention_days, 0, 36500, "days kept (default 30; 0 keeps everything)");
  add_log_options(app, o.log);
}


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

int serve(const Context& context, const ServeOptions& given) {
  const ListenAddress address = listen_address("listen", given.listen);
  ServerOptions options = server_options(given);
  ServeOptions o = given;
  fit_open_file_limit("serve", o, &options);
  try {
    check_tls_files(options);
  } catch (const TlsFileError& e) {
    throw UsageError(e.what());
  }

  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  DeliveryLog log(o.log);  // outlives the worker
  std::unique_ptr<Worker> worker;
  if (!o.no_worker) worker = start_worker(*store, o, log);
  HttpApiOptions api_options;
  api_options.max_body_bytes = options.max_body_bytes;
  // Test sends with ?wait hold a handler thread: half of them at most.
  api_options.max_waiting_tests = static_cast<std::size_t>(std::max(1, options.threads / 2));
  if (worker) {
    api_options.worker_stats = [&worker] { return worker->stats(); };
    api_options.on_stored = [&worker] { worker->wake(); };
  }
  HttpServer server(std::make_shared<HttpApi>(*store, api_options), address.host, address.port, options);
  std::printf("listening on %s://%s:%d\n", o.tls_cert.empty() ? "http" : "https",
              o.listen.substr(0, o.listen.rfind(':')).c_str(), server.port());
  std::fflush(stdout);
  const int signal = wait_for_stop_signal(signals);
  if (!o.log.quiet) std::fprintf(stderr, "runhooks serve: %s, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  const bool handlers_done = server.stop();
  log.stop_summary();
  if (worker) worker->stop(std::chrono::seconds(10));
  if (!handlers_done) {
    // Handler threads still wait on the store: exit's teardown would free
    // OpenSSL's state and static objects they use (ThreadSanitizer saw it).
    std::fflush(nullptr);
    std::_Exit(kOk);
  }
  return kOk;
}

int work(const Context& context, const ServeOptions& given) {
  std::optional<ListenAddress> metrics_address;
  if (!given.metrics_listen.empty()) metrics_address = listen_address("metrics-listen", given.metrics_listen);
  ServeOptions o = given;
  fit_open_file_limit("worker", o, nullptr);
  const sigset_t signals = block_stop_signals();
  auto store = context.store();
  if (!store) return report(store.error());
  DeliveryLog log(o.log);  // outlives the worker
  auto worker = start_worker(*store, o, log);
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
  std::printf("delivering from %s\n", context.store_uri().c_str());
  if (metrics_server) std::printf("metrics on http://%s:%d/metrics\n", metrics_address->host.c_str(), metrics_server->port());
  std::fflush(stdout);
  wait_for_stop_signal(signals);
  if (metrics_server) metrics_server->stop();
  log.stop_summary();
  worker->stop(std::chrono::seconds(10));  // drains what is in flight
  return kOk;
}

}  // namespace

void add_serve_commands(CLI::App& app, const Context& context, Run& run) {
  auto s = std::make_shared<ServeOptions>();
  CLI::App* serve_app = app.add_subcommand("serve", "serve the management API over HTTP (and deliver)");
  serve_app->add_option("--listen", s->listen, "HOST:PORT to bind (default 127.0.0.1:8080; port 0 picks one)");
  add_number(*serve_app, "--threads", s->threads, 1, 1024, "threads running the API (default 8)");
  serve_app->add_flag("--no-worker", s->no_worker, "do not deliver in this process");
  add_number(*serve_app, "--max-connections", s->max_connections, 1, 1000000, "open connections (default 1024)");
  add_number(*serve_app, "--header-timeout", s->header_timeout, 1, 3600, "seconds for a request's head (default 10)");
  add_number(*serve_app, "--request-timeout", s->request_timeout, 1, 3600, "seconds for a whole request (default 30)");
  add_number(*serve_app, "--idle-timeout", s->idle_timeout, 1, 3600, "seconds a silent connection stays (default 5)");
  auto* tls_cert = serve_app->add_option("--tls-cert", s->tls_cert, "serve HTTPS: certificate chain (PEM, server's first)")
                       ->check(CLI::ExistingFile);
  auto* tls_key = serve_app->add_option("--tls-key", s->tls_key, "serve HTTPS: the certificate's private key (PEM)")
                      ->check(CLI::ExistingFile);
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  add_worker_options(*serve_app, *s);
  serve_app->callback([&context, &run, s] { run = [&context, s] { return serve(context, *s); }; });

  auto w = std::make_shared<ServeOptions>();
  CLI::App* worker_app = app.add_subcommand("worker", "deliver pending events until SIGTERM/SIGINT");
  worker_app->add_option("--metrics-listen", w->metrics_listen, "HOST:PORT serving /metrics and /healthz");
  add_worker_options(*worker_app, *w);
  worker_app->callback([&context, &run, w] { run = [&context, w] { return work(context, *w); }; });
}

}  // namespace runhooks::cli
