#pragma once
// The delivery loop: one thread that claims due deliveries with a lease,
// sends them through the Transport, and records each attempt's outcome —
// retry, success, failure, endpoint health — in batches.

#include <runhooks/notifier.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace runhooks::detail {

/// Counters shared by the Notifier's threads.
struct NotifierCounters {
  std::atomic<std::uint64_t> notified{0};
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> storage_errors{0};
};

/// A wait or deadline between zero and ten years: "forever"
/// (milliseconds::max()) would overflow once added to a clock's now.
std::chrono::milliseconds capped(std::chrono::milliseconds wait);

class DeliveryLoop {
 public:
  /// Starts the thread. `options.transport` must be set; `counters` outlives us.
  DeliveryLoop(std::shared_ptr<Storage> storage, NotifierOptions options, const Clock& clock,
               NotifierCounters& counters);
  ~DeliveryLoop();
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  /// New work may be due: claim soon. Any thread.
  void wake();
  FlushResult flush(std::chrono::milliseconds timeout);
  /// Asks the thread to stop by `deadline` from now; `join` waits for it.
  void request_stop(std::chrono::milliseconds deadline);
  void join();
  /// Whether the caller is this loop's own thread (a callback).
  bool on_loop_thread() const { return std::this_thread::get_id() == loop_thread_.load(); }
  void stop(std::chrono::milliseconds deadline) { request_stop(deadline); join(); }
  /// Requests in flight now. Any thread.
  std::size_t in_flight() const { return in_flight_count_; }

 private:
  struct InFlight {
    ClaimedDelivery claimed;
    Timestamp started_at;
  };
  struct Finished {
    std::uint64_t token;
    HttpResult result;
  };
  /// What to do once an attempt waiting in `results_` is written.
  struct AfterWrite {
    std::string event_id;
    bool counts_for_health = true;
    bool disable = false;  ///< 410 Gone
  };
  struct CachedHook {
    Webhook hook;
    std::vector<std::string> secrets;  ///< signing secrets valid when fetched
    Timestamp fetched_at;
  };

  void run();
  void back_off();
  /// A request of this hook ended: starts its next waiting delivery.
  void free_slot(const std::string& hook_id, Timestamp now);
  void iterate(std::uint64_t flush_generation);
  /// When nothing is in flight or waiting: tells waiting flushes, with the
  /// time the next pending delivery comes due.
  void publish_idle(std::uint64_t flush_generation, Timestamp now);
  // Old attempts hourly; finished events in batches (NotifierOptions).
  void purge(Timestamp now);
  bool claim(Timestamp now);  // true when the claim came back full
  void start(ClaimedDelivery claimed, Timestamp now);
  /// Starts a delivery that waited for a slot of its hook, if its lease allows.
  void start_waiting(ClaimedDelivery claimed, Timestamp now);
  void send(ClaimedDelivery claimed, const CachedHook& hook, Timestamp now);
  /// Fails a delivery for good without a request (hook disabled, bad secret).
  void fail_without_sending(const ClaimedDelivery& claimed, Timestamp now, std::string reason);
  void collect_finished(Timestamp now);
  /// Writes the attempts made (`now_or_never`: even while backing off after
  /// a failed write); true when something was written.
  bool write_records(bool now_or_never = false);
  void record(AttemptResult result, AfterWrite after);
  void after_recorded(const AttemptResult& result, const AfterWrite& after, const Delivery& delivery);
  void update_health(const Attempt& attempt, bool disable);
  /// Disables the hook, if `only_if` (when given) holds for it as stored.
  void disable_hook(const std::string& hook_id, const std::string& reason,
                    const std::function<bool(const Webhook&)>& only_if = {});
  /// The hook, from a cache refreshed every second; valid until the next call.
  Result<const CachedHook*> cached_hook(const std::string& hook_id, Timestamp now);
  void release_everything();
  void report(Error error);

  std::shared_ptr<Storage> storage_;
  NotifierOptions options_;
  const Clock& clock_;
  NotifierCounters& counters_;
  std::string owner_;
  std::shared_ptr<void> enqueue_subscription_;  // dropped before storage_ (declared after it)

  // Loop-thread state.
  std::uint64_t next_token_ = 1;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::unordered_map<std::string, std::size_t> in_flight_per_hook_;
  std::unordered_map<std::string, std::deque<ClaimedDelivery>> waiting_;
  std::size_t waiting_count_ = 0;
  std::shared_ptr<std::vector<Finished>> finished_ = std::make_shared<std::vector<Finished>>();
  // Attempts made and not yet written, and what follows each once it is:
  // written in one batch per iteration.
  std::vector<AttemptResult> results_;
  std::vector<AfterWrite> after_write_;
  std::unordered_map<std::string, CachedHook> hooks_;
  Timestamp next_claim_at_{};
  Timestamp next_purge_at_{};
  Timestamp next_event_purge_at_{};
  std::chrono::milliseconds write_retry_{};  // after a failed write; 0 when the last one worked
  std::int64_t next_write_ns_ = 0;            // steady clock
  std::mt19937_64 random_{std::random_device{}()};

  // Shared with other threads.
  std::atomic<std::size_t> in_flight_count_{0};
  std::atomic<bool> woken_{true};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::int64_t> stop_deadline_ns_{0};  // steady clock
  std::atomic<std::uint64_t> flush_requested_{0};
  std::atomic<std::size_t> flushers_{0};  ///< flush calls waiting now
  std::mutex mutex_;
  std::condition_variable idle_changed_;
  // The last time the loop found nothing in flight and nothing due: the
  // flush generation it had seen, and when the next pending delivery comes
  // due (each waiting flush compares that with its own deadline).
  std::uint64_t idle_generation_ = 0;       // guarded by mutex_
  std::optional<Timestamp> idle_next_due_;  // guarded by mutex_
  bool finished_running_ = false;      // guarded by mutex_
  std::mutex stop_mutex_;
  std::once_flag joined_;
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_{};  // set by the thread itself, first
};

}  // namespace runhooks::detail
