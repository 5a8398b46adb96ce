#pragma once
// How the transport hands its transfers to libcurl and waits for them: one
// multi handle (single_multi.hpp), or several on one epoll
// (multi_shards.hpp). The transport picks one by how many transfers it is
// told to expect in flight (CurlTransportOptions::expected_in_flight).

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace runhooks::detail {

class TransferDriver {
 public:
  /// Called for each transfer that ended, once it has left its multi
  /// handle: libcurl's result; or, when the driver ended it itself,
  /// `problem` says why and `code` is CURLE_ABORTED_BY_CALLBACK.
  using Finished = std::function<void(CURL* easy, CURLcode code, const std::string& problem)>;

  virtual ~TransferDriver() = default;

  /// Empty when transfers can be added; else why they cannot.
  virtual const std::string& problem() const = 0;
  /// Starts `easy` (the caller's until it is reported finished or removed;
  /// the driver may use its CURLOPT_PRIVATE). `url` is its request's.
  virtual CURLMcode add(CURL* easy, std::string_view url) = 0;
  /// Takes out an unfinished `easy` (its connection is closed, not kept).
  virtual void remove(CURL* easy) = 0;
  /// Runs what is ready; if no transfer ended and `wake` was not called,
  /// waits up to `max_wait` (0: not at all) and runs again. Calls
  /// `finished` for every transfer that ended; returns how many did.
  virtual std::size_t drive(std::chrono::milliseconds max_wait, const Finished& finished) = 0;
  /// Makes a running or the next `drive` return soon. Any thread.
  virtual void wake() = 0;
};

}  // namespace runhooks::detail
