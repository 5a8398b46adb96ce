#pragma once
// The delivery loop: one thread that claims due deliveries with a lease,
// sends them through its Transport and hands each outcome, settled by the
// transition rules, to be stored; claims and writes are made on the loop's
// storage thread. Its parts have a file each: endpoint_slots (per-hook
// concurrency), transition (what an attempt does), attempt_writer (batched
// completions), storage_thread (claims and writes off the loop's thread),
// retention (purges), flush_gate (idle signalling) and callbacks (the
// application's, guarded).

#include <runhooks/worker.hpp>

#include "worker/storage_thread.hpp"
#include "worker/callbacks.hpp"
#include "worker/endpoint_slots.hpp"
#include "worker/flush_gate.hpp"
#include "worker/retention.hpp"
#include "worker/transition.hpp"
#include "worker/worker_counters.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace runhooks::detail {

/// A wait or deadline between zero and ten years: "forever"
/// (milliseconds::max()) would overflow once added to a clock's now.
std::chrono::milliseconds capped(std::chrono::milliseconds wait);

class DeliveryLoop {
 public:
  /// Starts the thread. `options` are sanitized, with `transport` set;
  /// `clock` and `counters` outlive the loop.
  DeliveryLoop(std::shared_ptr<Storage> storage, WorkerOptions options, const Clock& clock,
               WorkerCounters& counters);
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
  /// Requests in flight now. Any thread.
  std::size_t in_flight() const { return in_flight_count_; }

 private:
  struct InFlight {
    ClaimedDelivery claimed;
    RecordedRequest sent;
    Timestamp started_at;
  };
  struct Finished {
    std::uint64_t token;
    HttpResult result;
  };

  void run();
  void iterate(std::uint64_t flush_generation);
  /// After an iteration threw: a poll interval's pause that a wake cuts short.
  void back_off();
  /// Work claimed, queued or settled but not yet written: at most
  /// max_concurrency, the bound on duplicates after a crash.
  std::size_t busy() const;
  /// Asks the storage thread for a claim of the room there is now.
  void ask_claim(Timestamp now, std::uint64_t flush_generation);
  /// Starts what a claim brought; true when it came back full.
  bool claimed(Result<std::vector<ClaimedDelivery>> claimed);
  /// Reads the hook of a claim that came without its snapshot; false when
  /// it cannot be sent (its lease is given back).
  bool attach_endpoint(ClaimedDelivery& claimed, Timestamp now);
  void start(ClaimedDelivery claimed, Timestamp now);
  /// Starts a delivery that waited for a slot of its hook, if its lease
  /// allows; false when it gave the lease back instead.
  bool start_parked(ClaimedDelivery claimed, Timestamp now);
  void send(ClaimedDelivery claimed, Timestamp now);
  /// A request of this hook ended: its next parked delivery goes.
  void free_slot(const std::string& hook_id, Timestamp now);
  void collect_finished(Timestamp now);
  /// What came back from the storage thread, once handled.
  struct TakenBack {
    bool wrote = false;            // attempts stored (or dropped): room, and maybe a run's next event
    bool claim_was_full = false;   // there may be more due
    bool claimed_all_due = false;  // a claim came back with all that was due
    std::uint64_t claim_flush_generation = 0;  // the flushes asked before that claim
  };
  TakenBack take_back(Timestamp now);
  /// Reports errors, frees the slots of stored attempts, starts claims.
  TakenBack settle_taken(StorageThread::Taken taken, Timestamp now);
  void after_written(const AttemptWriter::Written& written);
  /// When nothing is in flight or waiting: tells waiting flushes, with the
  /// time the next pending delivery comes due.
  void publish_idle(std::uint64_t flush_generation, Timestamp now);
  Result<std::optional<Timestamp>> next_due_at();
  void release(const std::vector<std::string>& delivery_ids);
  void release_everything();
  void report(Error error);
  void report_storage(Error error);

  std::shared_ptr<Storage> storage_;
  WorkerOptions options_;
  DeliveryPolicy policy_;
  const Clock& clock_;
  WorkerCounters& counters_;
  std::string owner_;
  Callbacks callbacks_;
  std::shared_ptr<void> enqueue_subscription_;  // dropped before storage_ (declared after it)

  // Loop-thread state.
  EndpointSlots slots_;
  Retention retention_;
  std::uint64_t next_token_ = 1;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  // delivery id -> hook id of answered requests whose outcome is not yet
  // stored: each keeps its hook's slot until then, so the hook's next
  // delivery is claimed (or started) only once a 410 or the failure that
  // disables the hook is stored, as when the loop wrote them itself.
  std::unordered_map<std::string, std::string> slots_held_until_stored_;
  std::shared_ptr<std::vector<Finished>> finished_ = std::make_shared<std::vector<Finished>>();
  Timestamp next_claim_at_{};
  // The claim asked of the storage thread and not yet back: its room counts
  // as busy.
  bool claim_asked_ = false;
  std::size_t claim_limit_ = 0;
  Timestamp claim_asked_at_{};
  std::uint64_t claim_flush_generation_ = 0;
  bool claim_wanted_ = true;  // a reason to claim arose since the last claim was asked
  std::uint64_t claim_answered_for_ = 0;  // the flushes asked before the last claim answered
  std::mt19937_64 random_{std::random_device{}()};

  // Shared with other threads.
  FlushGate flush_gate_;
  std::atomic<std::size_t> in_flight_count_{0};
  std::atomic<bool> woken_{true};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::int64_t> stop_deadline_ns_{0};  // steady clock
  std::mutex stop_mutex_;
  std::once_flag joined_;
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_{};  // set by the thread itself, first

  // Last: its thread uses storage_ and wake(), so it is joined before any
  // of them goes.
  StorageThread storage_thread_;
};

}  // namespace runhooks::detail
