#pragma once
// One libcurl multi handle, driven by curl_multi_perform and
// curl_multi_poll: the cheapest way for up to a few hundred transfers in
// flight (each round looks at every transfer, which is what makes it dear
// at thousands: multi_shards.hpp).

#include "transport/transfer_driver.hpp"

namespace runhooks::detail {

class SingleMulti final : public TransferDriver {
 public:
  SingleMulti();
  /// Closes the connections kept. Every handle added must have finished or
  /// been removed.
  ~SingleMulti() override;
  SingleMulti(const SingleMulti&) = delete;
  SingleMulti& operator=(const SingleMulti&) = delete;

  const std::string& problem() const override { return problem_; }
  CURLMcode add(CURL* easy, std::string_view url) override;
  void remove(CURL* easy) override;
  std::size_t drive(std::chrono::milliseconds max_wait, const Finished& finished) override;
  void wake() override { curl_multi_wakeup(multi_); }

 private:
  std::size_t collect(const Finished& finished);

  CURLM* multi_;
  std::string problem_;
  std::size_t in_flight_ = 0;
  std::size_t most_in_flight_ = 0;
};

}  // namespace runhooks::detail
