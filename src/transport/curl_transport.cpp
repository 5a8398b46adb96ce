// The default Transport: libcurl's multi interface on the delivery thread,
// in one multi handle or, for thousands in flight, several on one epoll
// (transfer_driver.hpp).

#include <runhooks/transport.hpp>
#include <runhooks/version.hpp>

#include "transport/single_multi.hpp"
#ifdef __linux__
#include "transport/multi_shards.hpp"  // epoll, eventfd
#endif
#include "transport/retry_after.hpp"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace runhooks {

Transport::~Transport() = default;

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr char kNoExpect[] = "Expect:";

// The driver for as many transfers in flight as the caller expects. Up to
// kFewInFlight, one multi handle: cheapest per transfer (at 64 in flight
// to a fast receiver, 18–20 µs of CPU a request against 26–27 µs for the
// shards on epoll). Past it, 16 multi handles on one epoll: at 4,096 in
// flight to slow receivers the worker's CPU per delivery fell from ~350 µs
// to ~160 µs (bench/README.md, "Many slow endpoints"). The shards need
// Linux; elsewhere one multi handle carries any number.
constexpr std::size_t kFewInFlight = 512;

std::unique_ptr<detail::TransferDriver> make_driver([[maybe_unused]] std::size_t expected_in_flight) {
#ifdef __linux__
  constexpr std::size_t kShards = 16;
  if (expected_in_flight > kFewInFlight) return std::make_unique<detail::MultiShards>(kShards);
#endif
  return std::make_unique<detail::SingleMulti>();
}

struct ShareCleanup {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};

struct Transfer {
  CURL* easy = nullptr;
  // The header list libcurl reads, built here rather than with
  // curl_slist_append (two allocations per line): the lines one after the
  // other, NUL-terminated, and list nodes pointing into them.
  std::string header_lines;
  std::vector<curl_slist> header_nodes;
  HttpRequest request;
  Transport::Completion done;
  HttpResult result;
  std::size_t capture_limit = 0;  ///< of the body, and of the header fields apart
  bool body_truncated = false;
  std::size_t header_bytes = 0;  ///< names and values kept of the current response
  bool headers_truncated = false;
  std::string blocked_reason;
  std::string retry_after;  ///< the header's value as sent, if any
  int sockets_opened = 0;  ///< addresses the policy let through
  const NetworkPolicy* policy = nullptr;
  SteadyClock::time_point started;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::size_t room = t->capture_limit - std::min(t->capture_limit, t->result.body.size());
  t->result.body.append(data, std::min(bytes, room));
  if (bytes > room) {
    // Enough kept: stop reading (a 10 MB answer is not our problem). libcurl
    // reports a write error, which completion turns back into the status.
    t->body_truncated = true;
    return 0;
  }
  return bytes;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Keeps a header field of the response being read while the fields kept so
// far fit in the cap (names and values counted); the first that does not
// fit ends the keeping, so what is kept is the response's first fields.
void keep_header(Transfer& t, std::string_view line) {
  if (t.headers_truncated) return;
  HeaderList& kept = t.result.headers;
  const bool continuation = line.front() == ' ' || line.front() == '\t';  // obsolete line folding
  const std::size_t colon = line.find(':');
  if (!continuation && colon == std::string_view::npos) return;  // the blank line that ends the head
  if (continuation && kept.empty()) return;
  const std::string_view name = continuation ? std::string_view() : trimmed(line.substr(0, colon));
  const std::string_view value = trimmed(continuation ? line : line.substr(colon + 1));
  const std::size_t bytes = name.size() + value.size() + (continuation && !value.empty() ? 1 : 0);
  if (t.header_bytes + bytes > t.capture_limit) {
    t.headers_truncated = true;
    return;
  }
  t.header_bytes += bytes;
  if (!continuation) {
    kept.emplace_back(name, value);
  } else if (!value.empty()) {
    kept.back().second.append(" ").append(value);
  }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (starts_with_ignoring_case(line, "HTTP/")) {
    // A new response (the final one after a 100 Continue or another 1xx):
    // only its fields are kept.
    t->retry_after.clear();
    t->result.headers.clear();
    t->header_bytes = 0;
    t->headers_truncated = false;
    return bytes;
  }
  if (line.empty()) return bytes;
  if (starts_with_ignoring_case(line, "retry-after:")) {
    // Read apart from the capped fields: a long head must not hide it.
    t->retry_after = std::string(trimmed(line.substr(12)).substr(0, 128));
  }
  keep_header(*t, line);
  return bytes;
}

// Every new connection's address passes the network policy here, after DNS:
// a name that resolves to a denied address never gets a socket.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  char text[INET6_ADDRSTRLEN] = {};
  if (address->family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, text, sizeof text);
  } else if (address->family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, text, sizeof text);
  } else {
    t->blocked_reason = "address family not allowed";
    return CURL_SOCKET_BAD;
  }
  if (auto denial = t->policy->denial(text)) {
    // Say how to open it: this address alone (a wider subnet is the
    // operator's choice).
    const std::string subnet = std::string(text) + (address->family == AF_INET ? "/32" : "/128");
    t->blocked_reason = *denial + "; to allow it: --allow-network " + subnet + " (runhooks worker, serve, fire) or "
                        "NetworkPolicy::allow(\"" + subnet + "\")";
    return CURL_SOCKET_BAD;
  }
  ++t->sockets_opened;
  // Close-on-exec: a host that forks (a test runner starting jobs) must not
  // hand webhook connections to its children.
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

AttemptErrorClass classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return AttemptErrorClass::timeout;
    case CURLE_COULDNT_RESOLVE_HOST: return AttemptErrorClass::dns;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return AttemptErrorClass::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: return AttemptErrorClass::tls;
    default: return AttemptErrorClass::other;
  }
}

class CurlTransport final : public Transport {
 public:
  // Never throws past allocation: when the driver cannot work (no multi
  // handle; for the shards no epoll or eventfd: the open-file limit), every
  // request fails at once, unsent, with error class `other` and that
  // reason; poll still waits and wakes.
  explicit CurlTransport(CurlTransportOptions options)
      : options_(std::move(options)), share_(curl_share_init()), driver_(make_driver(options_.expected_in_flight)) {
    if (options_.user_agent.empty()) options_.user_agent = std::string("runhooks/") + kVersion;
    // TLS sessions are kept per easy handle unless a share holds them: a
    // connection opened by a handle that never spoke to that host would make
    // a full handshake although the transport has a session for it. One
    // share for the transport's handles, all used on the delivery thread, so
    // it needs no lock callbacks; across the shards too. (libcurl 7.88 gives
    // a share 8 sessions in all, the most recently used; a handle alone
    // keeps 5.)
    if (share_) curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (auto trusted = check_ca_trust(options_.ca_file, options_.ca_path); !trusted) {
      ca_problem_ = trusted.error().message;
    }
  }

  // The driver's connections are closed after the handles, and the share
  // after both (members in that order).
  ~CurlTransport() override {
    for (auto& [easy, transfer] : transfers_) {
      driver_->remove(easy);
      curl_easy_cleanup(easy);
      transfer->easy = nullptr;
    }
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
  }

  void send(HttpRequest request, Completion done) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    transfer->capture_limit = options_.max_response_bytes;
    transfer->policy = &options_.network;
    transfer->started = SteadyClock::now();
    if (options_.network.https_only && !starts_with_ignoring_case(transfer->request.url, "https://")) {
      transfer->result.error_class = AttemptErrorClass::blocked_by_policy;
      transfer->result.error_message = "blocked by network policy: only https URLs are allowed";
      finished_early_.push_back(std::move(transfer));
      return;
    }
    if (!ca_problem_.empty() && starts_with_ignoring_case(transfer->request.url, "https://")) {
      // Said as it is, not as the handshake failure it would become.
      transfer->result.error_class = AttemptErrorClass::tls;
      transfer->result.error_message = ca_problem_;
      finished_early_.push_back(std::move(transfer));
      return;
    }
    if (!driver_->problem().empty()) {
      transfer->result.error_class = AttemptErrorClass::other;
      transfer->result.error_message = "the transport cannot run transfers: " + driver_->problem();
      finished_early_.push_back(std::move(transfer));
      return;
    }
    transfer->easy = take_easy();
    if (transfer->easy == nullptr) {
      transfer->result.error_class = AttemptErrorClass::other;
      transfer->result.error_message = "libcurl could not make a transfer handle (out of memory)";
      finished_early_.push_back(std::move(transfer));
      return;
    }
    configure(*transfer);
    CURL* easy = transfer->easy;
    if (const CURLMcode added = driver_->add(easy, transfer->request.url); added != CURLM_OK) {
      release(*transfer);
      transfer->result.error_class = AttemptErrorClass::other;
      transfer->result.error_message = std::string("libcurl could not start the transfer: ") + curl_multi_strerror(added);
      finished_early_.push_back(std::move(transfer));
      return;
    }
    transfers_.emplace(easy, std::move(transfer));
  }

  void poll(std::chrono::milliseconds max_wait) override {
    driver_->drive(finished_early_.empty() ? std::max(max_wait, std::chrono::milliseconds(0)) : std::chrono::milliseconds(0),
                   [this](CURL* easy, CURLcode code, const std::string& problem) { complete(easy, code, problem); });
    while (!finished_early_.empty()) {
      std::unique_ptr<Transfer> t = std::move(finished_early_.front());
      finished_early_.pop_front();
      t->done(std::move(t->result));
    }
  }

  void wakeup() override { driver_->wake(); }

  std::size_t in_flight() const override { return transfers_.size() + finished_early_.size(); }

 private:
  // Handles are kept for reuse with the options every transfer shares already
  // set: no curl_easy_reset and twenty setopt calls per delivery, only the
  // handful that change.
  CURL* take_easy() {
    if (!idle_.empty()) {
      CURL* easy = idle_.back();
      idle_.pop_back();
      return easy;
    }
    CURL* e = curl_easy_init();
    if (e == nullptr) return nullptr;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");  // ignore *_proxy variables: the policy sees the peer
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    if (share_) curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
    // Whom to trust may change; that the peer is checked may not.
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.ca_path.empty()) curl_easy_setopt(e, CURLOPT_CAPATH, options_.ca_path.c_str());
    return e;
  }

  void release(Transfer& t) {
    if (t.easy == nullptr) return;
    // Nothing may point into the finished transfer once it is gone.
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, nullptr);
    curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, nullptr);
    if (idle_.size() < 256) idle_.push_back(t.easy); else curl_easy_cleanup(t.easy);
    t.easy = nullptr;
  }

  void configure(Transfer& t) {
    CURL* e = t.easy;
    std::size_t bytes = sizeof kNoExpect;
    for (const auto& [name, value] : t.request.headers) bytes += name.size() + value.size() + 3;
    t.header_lines.reserve(bytes);
    for (const auto& [name, value] : t.request.headers) {
      // "Name;" is how libcurl is told to send a header with an empty value
      // ("Name:" would remove it).
      t.header_lines.append(name).append(value.empty() ? ";" : ": ").append(value).push_back('\0');
    }
    t.header_lines.append(kNoExpect, sizeof kNoExpect);  // no 100-continue round trip
    t.header_nodes.resize(t.request.headers.size() + 1);
    // Walk by the known lengths, not by NULs: a NUL inside a value (refused
    // when stored) must not shift the lines into separate headers.
    char* line = t.header_lines.data();
    for (std::size_t i = 0; i < t.header_nodes.size(); ++i) {
      t.header_nodes[i].data = line;
      t.header_nodes[i].next = i + 1 < t.header_nodes.size() ? &t.header_nodes[i + 1] : nullptr;
      if (i < t.request.headers.size()) {
        const auto& [name, value] = t.request.headers[i];
        line += name.size() + (value.empty() ? 1 : 2) + value.size() + 1;
      }
    }
    curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.request.body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_nodes.data());
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
  }

  // A transfer the driver reports ended (out of its multi handle already).
  void complete(CURL* easy, CURLcode code, const std::string& problem) {
    auto found = transfers_.find(easy);
    std::unique_ptr<Transfer> t = std::move(found->second);
    transfers_.erase(found);
    finish(*t, code, problem);
    release(*t);
    t->done(std::move(t->result));
  }

  void finish(Transfer& t, CURLcode code, const std::string& problem) {
    HttpResult& r = t.result;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    r.status_code = static_cast<int>(status);
    r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t.started);
    const bool answered = code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.body_truncated);
    r.truncated = t.body_truncated || t.headers_truncated;
    if (answered && status > 0) {
      r.error_class = status >= 200 && status < 300 ? AttemptErrorClass::none : AttemptErrorClass::http_status;
      if (r.error_class == AttemptErrorClass::http_status) r.error_message = "HTTP " + std::to_string(status);
      if (status == 429 || status == 503) {
        r.retry_after = detail::parse_retry_after(t.retry_after, std::chrono::system_clock::now());
      }
      return;
    }
    // Blocked only if no address was let through: with happy eyeballs a
    // denied ::1 may be followed by an allowed 127.0.0.1 that then fails.
    if (!t.blocked_reason.empty() && t.sockets_opened == 0) {
      r.error_class = AttemptErrorClass::blocked_by_policy;
      r.error_message = "blocked by network policy: " + t.blocked_reason;
      return;
    }
    if (!problem.empty()) {
      r.error_class = AttemptErrorClass::other;
      r.error_message = problem;
      return;
    }
    r.error_class = classify(code);
    r.error_message = t.error_buffer[0] != '\0' ? t.error_buffer : curl_easy_strerror(code);
  }

  CurlTransportOptions options_;
  std::string ca_problem_;  ///< why ca_file or ca_path cannot serve; https fails with it
  /// The TLS sessions of every handle (null: out of memory, each its own).
  std::unique_ptr<CURLSH, ShareCleanup> share_;
  std::unique_ptr<detail::TransferDriver> driver_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::deque<std::unique_ptr<Transfer>> finished_early_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(CurlTransportOptions options) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace runhooks
