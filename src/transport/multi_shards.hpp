#pragma once
// The transport's libcurl multi handles ("shards"), each with its own
// connection cache, all driven by curl_multi_socket_action on one
// SocketLoop (epoll), on the delivery thread.
//
// Why several: libcurl 7.88's cost per transfer grows with the connections
// one multi handle holds — curl_multi_remove_handle walks its whole
// connection cache, a new transfer walks its host's connections — to
// 50–105 µs a transfer at 4,096 connections. Why socket_action: the
// sockets that are ready are the only ones looked at, where
// curl_multi_perform looks at every transfer and curl_multi_poll builds a
// pollfd array of every socket, each round.

#include "transport/socket_loop.hpp"
#include "transport/transfer_driver.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runhooks::detail {

class MultiShards final : public TransferDriver {
 public:
  /// `count` multi handles (at least one). Never throws past allocation;
  /// when a multi handle, the epoll instance or the eventfd cannot be
  /// made, `problem` says so and nothing can be added.
  explicit MultiShards(std::size_t count);
  /// Closes the connections kept. Every handle added must have finished or
  /// been removed.
  ~MultiShards() override;
  MultiShards(const MultiShards&) = delete;
  MultiShards& operator=(const MultiShards&) = delete;

  /// Empty when transfers can be added; else why they cannot.
  const std::string& problem() const override;

  /// Starts `easy` (the caller's until it is reported finished or removed;
  /// its CURLOPT_PRIVATE is used here) in the shard for `url`: its
  /// origin's, so that one endpoint's connections are in one cache and
  /// reused there. Past kCrowded transfers in flight in that shard, in the
  /// shard of the whole URL instead: one origin's thousands (10,000 hooks
  /// on one host) are spread over the shards, each URL's connections still
  /// in one or two of them.
  CURLMcode add(CURL* easy, std::string_view url) override;
  /// Takes out an unfinished `easy` (its connection is closed, not kept).
  void remove(CURL* easy) override;

  /// Runs the sockets that are ready and the timers that are due; if no
  /// transfer ended and `wake` was not called, waits up to `max_wait` (or
  /// until a libcurl timer is due) and runs them again. Calls `finished`
  /// for every transfer that ended, and returns how many did.
  std::size_t drive(std::chrono::milliseconds max_wait, const Finished& finished) override;

  /// Makes a running or the next `drive` return soon. Any thread.
  void wake() override { loop_.wake(); }

  /// Transfers in flight in one shard above which an origin's next one
  /// goes to its URL's shard (see `add`). 256 cost ~28 µs a transfer in a
  /// bare loop, against ~180 µs at 4,096 in one multi handle.
  static constexpr std::size_t kCrowded = 256;

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct MultiCleanup {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };
  struct Shard {
    SocketLoop* loop = nullptr;
    std::uint32_t index = 0;
    std::unique_ptr<CURLM, MultiCleanup> multi;
    std::size_t in_flight = 0;
    std::size_t most_in_flight = 0;
    std::optional<SteadyClock::time_point> due;  ///< when libcurl wants its timeout run
    /// Transfers whose socket the loop refused, with errno: ended after
    /// the libcurl call that asked for the watch returns.
    std::vector<std::pair<CURL*, int>> unwatchable;
  };

  static int on_socket(CURL* easy, curl_socket_t socket, int what, void* shard, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* shard);
  Shard& shard_for(std::string_view url);
  /// One wait of up to `wait` and the libcurl calls it asks for; whether
  /// `wake` was called.
  bool run(std::chrono::milliseconds wait);
  void socket_action(Shard& shard, curl_socket_t socket, int events);
  std::size_t collect(const Finished& finished);

  SocketLoop loop_;  ///< before the shards: their cleanup still forgets sockets
  std::vector<Shard> shards_;  ///< never resized: libcurl's callbacks hold their addresses
  std::string problem_;
  std::vector<std::pair<CURL*, std::string>> aborted_;  ///< ended here, not yet reported
};

}  // namespace runhooks::detail
