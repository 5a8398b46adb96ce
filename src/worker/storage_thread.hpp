#pragma once
// A delivery loop's storage work on a thread of its own: its claims and the
// writes of its attempts' outcomes (a transaction each: ~20 µs a delivery
// on SQLite) are made here, so the loop's thread only moves requests, and
// the transfers and the storage each have a core. The loop asks (`claim`,
// `add` then `submit`) and picks up the answers with `take`; it is woken
// after each. A claim goes before the next write: it is what keeps the
// transfers fed. The batching and the pause after failed writes are the
// AttemptWriter's, unchanged.

#include "worker/attempt_writer.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace runhooks::detail {

class StorageThread {
 public:
  /// What the thread did since the last `take`.
  struct Taken {
    std::vector<AttemptWriter::Written> written;
    /// The delivery id of every attempt whose write is over: those stored,
    /// and those dropped (lease lost, delivery gone).
    std::vector<std::string> finished;
    std::vector<Error> errors;  // of failed writes, one each
    /// The answer to the last `claim`, once it was made.
    std::optional<Result<std::vector<ClaimedDelivery>>> claimed;
  };

  /// `done` is called on the storage thread after each claim and write
  /// (stored or failed), so the loop comes and `take`s it; it must not block.
  StorageThread(Storage& storage, std::string owner, std::chrono::milliseconds lease, std::function<void()> done);
  /// Stops the thread; what was not written by then is left (the leases run
  /// out and another worker sends it again).
  ~StorageThread();
  StorageThread(const StorageThread&) = delete;
  StorageThread& operator=(const StorageThread&) = delete;

  /// Queues an attempt; `submit` starts a write of what is queued.
  void add(AttemptResult result, std::string event_id);
  /// Once per loop iteration rather than per `add`: a write is a
  /// transaction, and what queues up while one is under way goes in the next.
  void submit();
  /// Attempts added and not yet taken back (queued, being written, or
  /// written): they count against the loop's room.
  std::size_t pending() const;

  /// Asks for a claim, made before the next write. One at a time: the loop
  /// asks again only once it has taken the answer.
  void claim(ClaimRequest request);

  /// Takes what was stored and claimed, and the errors met; never waits.
  Taken take();
  /// At stop: waits up to `timeout` for a claim under way, and for one more
  /// write of what is left, pause or not; then as `take`.
  Taken drain(std::chrono::milliseconds timeout);

 private:
  void run();
  /// Under mutex_: whether there is a write to make now; else how long the
  /// thread may sleep before the pause after a failure is over (0: until woken).
  bool write_due(std::chrono::milliseconds& sleep) const;
  void make_claim(std::unique_lock<std::mutex>& lock);
  void make_write(std::unique_lock<std::mutex>& lock);

  Storage& storage_;
  AttemptWriter writer_;  // the thread's alone
  std::function<void()> done_callback_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<std::pair<AttemptResult, std::string>> queued_;
  std::size_t writing_ = 0;               // handed to writer_, not yet stored
  std::vector<std::string> writing_ids_;  // their delivery ids
  std::optional<ClaimRequest> claim_request_;
  bool claiming_ = false;  // a claim asked for and not yet answered
  Taken done_;
  bool final_write_ = false;      // drain: write once even if pausing
  std::size_t final_writes_ = 0;  // such writes made (stored or failed)
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runhooks::detail
