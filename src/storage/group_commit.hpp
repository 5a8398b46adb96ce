#pragma once
// Group commit: callers that arrive while a write is under way queue their
// requests, and the next of them to go writes every queued request in one
// transaction — one commit for many callers, each answered only once that
// commit is done. One caller alone writes its own at once, as before.

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace runhooks::detail {

template <class Request, class Response>
class GroupCommit {
 public:
  /// One caller's request and, once written, its response.
  struct Entry {
    const Request* request;
    std::optional<Response> response;  ///< written by the batch's writer, outside the lock
    bool done = false;                 ///< under the lock: the response is final (committed or not)
  };

  /// Queues `request`; returns its response once a batch holding it has
  /// been written by `write_batch(std::vector<Entry*>&)` (on this thread or
  /// another caller's), which must give every entry a response and must not
  /// throw. Requests are written in the order they arrived.
  template <class WriteBatch>
  Response submit(const Request& request, WriteBatch&& write_batch) {
    Entry mine{&request, std::nullopt, false};
    std::unique_lock lock(mutex_);
    queue_.push_back(&mine);
    // Only `done` says the answer is final: a writer sets responses before
    // its commit and may still replace them with the commit's failure.
    changed_.wait(lock, [&] { return mine.done || !writing_; });
    if (mine.done) return std::move(*mine.response);
    // The writer now: take everything queued (this request among them).
    writing_ = true;
    std::vector<Entry*> batch;
    batch.swap(queue_);
    lock.unlock();
    write_batch(batch);
    finish(batch);
    return std::move(*mine.response);
  }

  /// The most requests one batch has held (for tests and benchmarks).
  std::size_t largest_batch() const {
    std::lock_guard lock(mutex_);
    return largest_batch_;
  }

  /// Requests waiting for the next batch (for tests).
  std::size_t queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  void finish(const std::vector<Entry*>& batch) {
    std::lock_guard lock(mutex_);
    for (Entry* entry : batch) entry->done = true;
    writing_ = false;
    if (batch.size() > largest_batch_) largest_batch_ = batch.size();
    changed_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Entry*> queue_;
  bool writing_ = false;
  std::size_t largest_batch_ = 0;
};

}  // namespace runhooks::detail
