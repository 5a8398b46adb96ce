// A comparison point for `runhooks serve`: the same HttpApi behind GNU
// libmicrohttpd (its internal thread pool, epoll), the server `runhooks
// serve` used before 0.2. bench/run.sh measures it next to `runhooks serve`
// (bench/README.md); not shipped.
//
// Usage: mhd_api_server STORE_URI PORT THREADS   (runs until killed; port 0
// picks a free one, and the first line printed names it)

#include <runhooks/runhooks.hpp>

#include <microhttpd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Upload {
  std::string body;
};

MHD_Result collect_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* query = static_cast<std::string*>(cls);
  if (!query->empty()) *query += '&';
  *query += key;
  if (value != nullptr) *query += std::string("=") + value;  // already decoded; fine for plain ids
  return MHD_YES;
}

MHD_Result handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char* data, size_t* size, void** state) {
  auto* api = static_cast<runhooks::HttpApi*>(cls);
  if (*state == nullptr) {
    *state = new Upload;
    return MHD_YES;
  }
  auto* upload = static_cast<Upload*>(*state);
  if (*size != 0) {
    upload->body.append(data, *size);
    *size = 0;
    return MHD_YES;
  }
  runhooks::ApiRequest request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_query, &request.query);
  const char* auth = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
  const char* type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
  request.authorization = auth != nullptr ? auth : "";
  request.content_type = type != nullptr ? type : "";
  request.body = std::move(upload->body);
  const runhooks::ApiResponse response = api->handle(request);
  MHD_Response* reply = MHD_create_response_from_buffer(response.body.size(),
                                                        const_cast<char*>(response.body.data()),
                                                        MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(reply, "Content-Type", response.content_type.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
  MHD_destroy_response(reply);
  return queued;
}

void completed(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
  delete static_cast<Upload*>(*state);
  *state = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  auto store = runhooks::open_storage(argv[1]);
  if (!store) return 1;
  runhooks::HttpApi api(*store);
  const auto port = static_cast<uint16_t>(std::atoi(argv[2]));
  const unsigned threads = static_cast<unsigned>(std::atoi(argv[3]));
  MHD_Daemon* daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, port, nullptr, nullptr, handle, &api,
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, completed, nullptr,
      MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_END);
  if (daemon == nullptr) return 1;
  const MHD_DaemonInfo* bound = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  std::printf("listening on http://127.0.0.1:%u\n", bound != nullptr ? bound->port : port);
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  MHD_stop_daemon(daemon);
  return 0;
}
