#pragma once
/// The HTTP sending seam of the notifier. The default is libcurl's multi
/// interface; tests of retry logic plug in a fake.

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/network_policy.hpp>
#include <runhooks/outbox.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runhooks {

/// One POST.
struct HttpRequest {
  std::string url;
  HeaderList headers;
  std::string body;
};

/// How it went. A transport never throws: failures are `error_class`.
struct HttpResult {
  int status_code = 0;          ///< 0 when no answer was read
  std::string body;             ///< the first bytes of the answer, capped
  /// The answer's header fields (of the final response, not of a 100
  /// Continue or another 1xx), values trimmed of surrounding whitespace:
  /// the first ones that fit in the transport's cap for them.
  HeaderList headers;
  bool truncated = false;       ///< the body or the header fields were cut
  /// The Retry-After of a 429 or 503 answer (delta-seconds or an HTTP date)
  /// as a delay from when it came; nothing when absent or unreadable.
  std::optional<std::chrono::milliseconds> retry_after;
  AttemptErrorClass error_class = AttemptErrorClass::none;
  std::string error_message;    ///< for humans; never contains secrets
  std::chrono::milliseconds duration{0};
};

/// Sends requests concurrently. Not thread-safe except `wakeup`: `send` and
/// `poll` are called from one thread (the delivery loop), and completions run
/// on that thread inside `poll`.
class RUNHOOKS_EXPORT Transport {
 public:
  using Completion = std::function<void(HttpResult)>;

  virtual ~Transport();
  /// Starts sending; `done` is called exactly once, from a later `poll`.
  virtual void send(HttpRequest request, Completion done) = 0;
  /// Drives transfers for up to `max_wait`, returning early when one
  /// completes or `wakeup` is called.
  virtual void poll(std::chrono::milliseconds max_wait) = 0;
  /// Makes a running or the next `poll` return soon. Any thread.
  virtual void wakeup() = 0;
  /// Transfers started and not yet completed.
  virtual std::size_t in_flight() const = 0;
};

/// Settings of the libcurl transport.
struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds total_timeout{std::chrono::seconds(15)};
  /// Body bytes kept per attempt (the rest is not read); header field
  /// bytes (names and values) are kept up to as many again.
  std::size_t max_response_bytes = 20000;
  std::string user_agent;                  ///< default "runhooks/<version>"
  NetworkPolicy network;                   ///< checked on every new connection
  /// Certificate authorities HTTPS trusts (a private CA's receivers): a PEM
  /// bundle file (libcurl's CAINFO) and a directory of hashed certificates
  /// (CAPATH), each in place of libcurl's default; empty keeps the default.
  /// The peer's certificate and host name are always verified.
  std::string ca_file;
  std::string ca_path;
  /// Transfers the caller will have in flight at most (the worker passes
  /// its `max_concurrency`). Up to 512, one libcurl multi handle carries
  /// them, the cheapest per transfer; above, 16 multi handles on one epoll
  /// (Linux), each with its own connection cache, which keeps thousands of
  /// slow transfers at less than half the CPU each. Either way any number
  /// may be sent; this only picks the way.
  std::size_t expected_in_flight = 256;
};

/// Whether `ca_file` is a readable file holding a PEM certificate and
/// `ca_path` a readable directory (an empty one is not checked):
/// `invalid_argument` naming the field ("ca_file" or "ca_path") and the path
/// otherwise; the message starts with the field's name, e.g. `ca_file
/// '/etc/ca.pem' cannot be read: No such file or directory`.
RUNHOOKS_EXPORT Result<void> check_ca_trust(const std::string& ca_file, const std::string& ca_path);

/// libcurl multi: connections reused (up to four per transfer ever in
/// flight at once are kept open, per multi handle), TLS sessions resumed by any of its new
/// connections, DNS cached, HTTP/2 where offered over TLS, http/https only,
/// no redirects, no proxies from the environment.
/// Options whose `check_ca_trust` fails make a transport whose every https
/// request fails at once, unsent, with error class `tls` and that message.
RUNHOOKS_EXPORT std::unique_ptr<Transport> make_curl_transport(CurlTransportOptions options = {});

}  // namespace runhooks
