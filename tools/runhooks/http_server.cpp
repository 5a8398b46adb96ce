#include "http_server.hpp"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace runhooks::cli {

namespace {

// Bodies beyond this are not kept: the API answers 413 from the size alone.
constexpr std::size_t kBodyCap = 64 * 1024 + 1;

struct Upload {
  std::string body;  // at most kBodyCap bytes; the rest is read and dropped
};

std::string percent_encode(const char* text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char* p = text; *p != '\0'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// libmicrohttpd hands over the query already split and decoded; HttpApi
// takes it as sent, so it is encoded back.
MHD_Result append_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* query = static_cast<std::string*>(cls);
  if (!query->empty()) *query += '&';
  *query += percent_encode(key);
  if (value != nullptr) *query += "=" + percent_encode(value);
  return MHD_YES;
}

std::string header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? value : "";
}

MHD_Result respond(const HttpApi& api, MHD_Connection* connection, const char* url, const char* method,
                   std::string body) {
  ApiRequest request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, append_query, &request.query);
  request.authorization = header(connection, MHD_HTTP_HEADER_AUTHORIZATION);
  request.content_type = header(connection, MHD_HTTP_HEADER_CONTENT_TYPE);
  request.body = std::move(body);
  const ApiResponse response = api.handle(request);
  MHD_Response* reply = MHD_create_response_from_buffer(
      response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  if (reply == nullptr) return MHD_NO;  // out of memory: libmicrohttpd drops the connection
  MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  for (const auto& [name, value] : response.headers) MHD_add_response_header(reply, name.c_str(), value.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
  MHD_destroy_response(reply);
  return queued;
}

// A body announced over the cap (Content-Length) is answered at once, 401
// without a key, else 413, and not read: libmicrohttpd closes the connection
// after the answer. libmicrohttpd cannot answer during an upload, so a
// chunked body is read to its end, keeping only the first kBodyCap bytes.
MHD_Result answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char* data, size_t* size, void** state) {
  const auto& api = *static_cast<const HttpApi*>(cls);
  if (*state == nullptr) {  // headers read; the body (if any) follows
    *state = new Upload;
    const std::string length = header(connection, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const unsigned long long declared = length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
    if (declared >= kBodyCap) return respond(api, connection, url, method, std::string(kBodyCap, ' '));
    return MHD_YES;
  }
  auto* upload = static_cast<Upload*>(*state);
  if (*size != 0) {
    upload->body.append(data, std::min(*size, kBodyCap - upload->body.size()));
    *size = 0;
    return MHD_YES;
  }
  return respond(api, connection, url, method, std::move(upload->body));
}

void request_done(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
  delete static_cast<Upload*>(*state);
  *state = nullptr;
}

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<HttpApi> api;
  MHD_Daemon* daemon = nullptr;
  std::mutex mutex;
  int port = 0;
};

HttpServer::HttpServer(std::shared_ptr<HttpApi> api, const std::string& host, int port, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->api = std::move(api);
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const sockaddr* address = nullptr;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    address = reinterpret_cast<const sockaddr*>(&v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    address = reinterpret_cast<const sockaddr*>(&v6);
    flags |= MHD_USE_IPv6;
  } else {
    throw std::runtime_error("--listen needs an IP address, not '" + host + "'");
  }
  impl_->daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(port), nullptr, nullptr, answer, impl_->api.get(),
      MHD_OPTION_SOCK_ADDR, address,
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(threads),
      MHD_OPTION_CONNECTION_TIMEOUT, 5u,       // idle or slow clients are dropped after 5 s
      MHD_OPTION_CONNECTION_LIMIT, 1024u,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(128 * 1024),
      MHD_OPTION_NOTIFY_COMPLETED, request_done, nullptr,
      MHD_OPTION_END);
  if (impl_->daemon == nullptr) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl_->port = info != nullptr ? info->port : port;
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->daemon == nullptr) return;
  MHD_quiesce_daemon(impl_->daemon);  // no new connections
  MHD_stop_daemon(impl_->daemon);     // handlers running finish; open connections close
  impl_->daemon = nullptr;
}

}  // namespace runhooks::cli
