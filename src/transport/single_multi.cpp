#include "transport/single_multi.hpp"

namespace runhooks::detail {

SingleMulti::SingleMulti() : multi_(curl_multi_init()) {
  if (multi_ == nullptr) problem_ = "libcurl could not make a multi handle (out of memory)";
}

SingleMulti::~SingleMulti() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

CURLMcode SingleMulti::add(CURL* easy, std::string_view) {
  if (multi_ == nullptr) return CURLM_OUT_OF_MEMORY;
  if (const CURLMcode added = curl_multi_add_handle(multi_, easy); added != CURLM_OK) return added;
  // libcurl keeps, by default, four idle connections per handle in the
  // multi at the moment a transfer ends, and closes the oldest beyond that.
  // Handles leave the multi when their transfer ends, so each lull (the
  // worker between claims, a quiet minute) would close the connections the
  // next burst needs open again, with a handshake each. Four per transfer
  // ever in flight at once instead.
  if (++in_flight_ > most_in_flight_) {
    most_in_flight_ = in_flight_;
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(4 * most_in_flight_));
  }
  return CURLM_OK;
}

void SingleMulti::remove(CURL* easy) {
  if (curl_multi_remove_handle(multi_, easy) == CURLM_OK) --in_flight_;
}

std::size_t SingleMulti::drive(std::chrono::milliseconds max_wait, const Finished& finished) {
  if (multi_ == nullptr) return 0;
  int running = 0;
  curl_multi_perform(multi_, &running);
  std::size_t ended = collect(finished);
  if (ended == 0 && max_wait.count() > 0) {
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(max_wait.count()), nullptr);
    curl_multi_perform(multi_, &running);
    ended = collect(finished);
  }
  return ended;
}

std::size_t SingleMulti::collect(const Finished& finished) {
  std::size_t ended = 0;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;  // the message is freed by the removal
    remove(easy);
    finished(easy, code, std::string());
    ++ended;
  }
  return ended;
}

}  // namespace runhooks::detail
