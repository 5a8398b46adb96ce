#include "worker/delivery_loop.hpp"

#include "core/random.hpp"
#include "worker/request_builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>

namespace runhooks::detail {

namespace {

std::string make_owner() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto id = random_uuid();
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + (id ? id->substr(0, 8) : "0");
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::chrono::milliseconds capped(std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kForever = std::chrono::hours(24 * 365 * 10);
  return std::clamp(wait, std::chrono::milliseconds(0), kForever);
}

DeliveryLoop::DeliveryLoop(std::shared_ptr<Storage> storage, WorkerOptions options, const Clock& clock,
                           WorkerCounters& counters)
    : storage_(std::move(storage)),
      options_(std::move(options)),
      policy_{options_.retry, options_.health_window},
      clock_(clock),
      counters_(counters),
      owner_(make_owner()),
      callbacks_(options_),
      slots_(options_.per_endpoint_concurrency),
      // A worker for a few deliveries of its own leaves the store's purging
      // to the others.
      retention_(*storage_, options_.only_deliveries.empty() ? options_.attempt_retention : std::chrono::milliseconds{0},
                 options_.only_deliveries.empty() ? options_.event_retention : std::chrono::milliseconds{0}),
      // Its answers only interrupt the loop's wait: they are not new work in
      // the store (which would have the loop claim again after each).
      storage_thread_(*storage_, owner_, options_.lease, [this] { options_.transport->wakeup(); }) {
  // Backends that can tell (PostgreSQL) wake us when another process enqueues.
  enqueue_subscription_ = storage_->subscribe_enqueues([this] { wake(); });
  thread_ = std::thread([this] {
    loop_thread_ = std::this_thread::get_id();
    run();
  });
}

DeliveryLoop::~DeliveryLoop() {
  enqueue_subscription_.reset();  // no wake() into a loop being torn down
  request_stop(std::chrono::seconds(5));
  join();
}

void DeliveryLoop::wake() {
  woken_ = true;
  options_.transport->wakeup();
}

FlushResult DeliveryLoop::flush(std::chrono::milliseconds timeout) {
  timeout = capped(timeout);
  const Timestamp deadline = clock_.now() + timeout;
  const std::uint64_t generation = flush_gate_.request();
  wake();
  return flush_gate_.wait(generation, deadline, timeout);
}

void DeliveryLoop::request_stop(std::chrono::milliseconds deadline) {
  std::lock_guard stop_lock(stop_mutex_);
  const std::int64_t at = steady_ns() + std::chrono::nanoseconds(capped(deadline)).count();
  // A second stop may only bring the deadline closer (a callback's "forever"
  // must not hold up the destructor's five seconds).
  if (stop_requested_ && stop_deadline_ns_ <= at) return;
  stop_deadline_ns_ = at;
  stop_requested_ = true;
  wake();
}

// Not under stop_mutex_: a callback on the loop's thread may be calling
// request_stop while another thread waits here. Concurrent callers all wait
// for the one join.
void DeliveryLoop::join() {
  if (on_loop_thread()) return;  // from a callback: the loop ends once it returns
  std::call_once(joined_, [this] { thread_.join(); });
}

void DeliveryLoop::back_off() {
  try {
    options_.transport->poll(options_.poll_interval);
  } catch (...) {
    // The transport's poll is what throws: sleep instead.
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

void DeliveryLoop::report(Error error) { callbacks_.error(error); }

void DeliveryLoop::report_storage(Error error) {
  ++counters_.storage_errors;
  report(std::move(error));
}

void DeliveryLoop::run() {
  while (!stop_requested_ || !in_flight_.empty() || storage_thread_.pending() != 0 || !finished_->empty()) {
    if (stop_requested_ && steady_ns() >= stop_deadline_ns_) break;
    try {
      iterate(flush_gate_.requested());
    } catch (const std::exception& e) {
      report(Error{ErrorCode::internal, {}, std::string("delivery loop: ") + e.what()});
      back_off();
    } catch (...) {
      report(Error{ErrorCode::internal, {}, "delivery loop: unknown exception"});
      back_off();
    }
  }
  try {
    release_everything();
  } catch (...) {
    report(Error{ErrorCode::internal, {}, "delivery loop: failed to release leases at stop"});
  }
  flush_gate_.close();
}

std::size_t DeliveryLoop::busy() const {
  return in_flight_.size() + slots_.parked() + storage_thread_.pending() + (claim_asked_ ? claim_limit_ : 0);
}

void DeliveryLoop::iterate(std::uint64_t flush_generation) {
  const Timestamp now = clock_.now();
  const bool woken = woken_.exchange(false);
  collect_finished(now);
  const TakenBack back = take_back(now);
  const bool flush_waiting = flush_gate_.anyone_waiting();
  // Reasons to claim again: kept while a claim is under way, which may have
  // been made before they arose. Written attempts free room and may have
  // made a run's next event due; a full claim may have left more.
  if (woken || back.wrote || back.claim_was_full) claim_wanted_ = true;
  // A flush waits for a claim asked after it: one, not one per iteration.
  if (flush_waiting && claim_answered_for_ < flush_generation) claim_wanted_ = true;

  if (!stop_requested_) {
    retention_.run(now, [this](Error e) { report(std::move(e)); });
    const std::size_t room = options_.max_concurrency - std::min(busy(), options_.max_concurrency);
    // Under load, claim in batches (a quarter of the room, at most 64)
    // rather than one transaction per freed slot. Not more than 64: with
    // thousands in flight to slow receivers, waiting for a quarter to free
    // would leave an eighth of the room empty on average.
    const std::size_t batch = std::clamp<std::size_t>(options_.max_concurrency / 4, 1, 64);
    const bool worth_it = room > 0 && (busy() == 0 || room >= batch);
    if (!claim_asked_ && worth_it && (claim_wanted_ || now >= next_claim_at_)) ask_claim(now, flush_generation);
  }

  // Before publish_idle: a flush that returns idle must not then read a
  // stale in-flight count in stats().
  in_flight_count_ = in_flight_.size();
  // A claim asked for after the flush, that found all that was due.
  if (back.claimed_all_due && flush_waiting) publish_idle(back.claim_flush_generation, now);

  std::chrono::milliseconds wait = options_.poll_interval;
  if (next_claim_at_ > now) {
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(next_claim_at_ - now));
  }
  if (stop_requested_) wait = std::min(wait, std::chrono::milliseconds(50));
  storage_thread_.submit();
  options_.transport->poll(wait);
}

void DeliveryLoop::publish_idle(std::uint64_t flush_generation, Timestamp now) {
  if (!in_flight_.empty() || slots_.parked() != 0 || storage_thread_.pending() != 0 || !finished_->empty()) return;
  auto next_due = next_due_at();
  if (!next_due) {
    report_storage(std::move(next_due).error());
    return;
  }
  // Due later (a retry, another worker's lease running out): look again then.
  if (*next_due && **next_due > now) next_claim_at_ = std::min(next_claim_at_, **next_due);
  flush_gate_.publish_idle(flush_generation, *next_due);
}

// When there may next be work for this loop: the store's, or, with
// only_deliveries, the earliest of those still pending.
Result<std::optional<Timestamp>> DeliveryLoop::next_due_at() {
  if (options_.only_deliveries.empty()) return storage_->next_due_at();
  std::optional<Timestamp> earliest;
  for (const std::string& id : options_.only_deliveries) {
    auto delivery = storage_->get_delivery(id);
    if (!delivery && delivery.error().code == ErrorCode::not_found) continue;  // its hook was deleted
    if (!delivery) return std::move(delivery).error();
    if (delivery->status != DeliveryStatus::pending) continue;
    if (!earliest || delivery->next_attempt_at < *earliest) earliest = delivery->next_attempt_at;
  }
  return earliest;
}

void DeliveryLoop::ask_claim(Timestamp now, std::uint64_t flush_generation) {
  const std::size_t room = options_.max_concurrency - busy();
  ClaimRequest request;
  request.owner = owner_;
  request.now = now;
  request.lease = options_.lease;
  request.limit = room;
  request.per_hook_limit = options_.per_endpoint_concurrency;
  request.skip_hooks = slots_.full_hooks();
  request.only_delivery_ids = options_.only_deliveries;
  claim_asked_ = true;
  claim_limit_ = room;
  claim_asked_at_ = now;
  claim_flush_generation_ = flush_generation;
  claim_wanted_ = false;
  storage_thread_.claim(std::move(request));
}

bool DeliveryLoop::claimed(Result<std::vector<ClaimedDelivery>> claimed) {
  const Timestamp now = claim_asked_at_;
  claim_asked_ = false;
  if (!claimed) {
    report_storage(std::move(claimed).error());
    next_claim_at_ = now + options_.poll_interval;
    return false;
  }
  const bool full = claimed->size() == claim_limit_;
  // Nothing more is due now; look again after the poll interval, or sooner
  // when a retry this loop scheduled comes due (see collect_finished).
  if (!full) {
    const Timestamp poll_at = now + options_.poll_interval;
    next_claim_at_ = next_claim_at_ > now ? std::min(next_claim_at_, poll_at) : poll_at;
  }
  const Timestamp started = clock_.now();
  for (ClaimedDelivery& c : *claimed) {
    if (stop_requested_) {
      slots_.park(std::move(c));  // asked for before the stop: given back with the rest
      continue;
    }
    if (!c.endpoint && !attach_endpoint(c, started)) continue;
    start(std::move(c), started);
  }
  return full;
}

// A Storage of the application's own that does not fill the snapshot (one
// written before claims carried it): read the hook here.
bool DeliveryLoop::attach_endpoint(ClaimedDelivery& claimed, Timestamp now) {
  auto hook = storage_->get_hook(claimed.delivery.hook_id);
  if (!hook) {
    // A deleted hook took its deliveries with it; anything else: try again later.
    if (hook.error().code != ErrorCode::not_found) report_storage(std::move(hook).error());
    release({claimed.delivery.delivery_id});
    return false;
  }
  claimed.endpoint = endpoint_snapshot(*hook, now);
  return true;
}

void DeliveryLoop::start(ClaimedDelivery claimed, Timestamp now) {
  // A test send goes to a disabled hook too: that is how one checks it
  // before enabling it again.
  if (!claimed.endpoint->enabled && claimed.delivery.next_trigger != AttemptTrigger::test) {
    AttemptResult unsent = settle_unsent(claimed, now, "endpoint disabled: " + claimed.endpoint->disabled_reason);
    storage_thread_.add(std::move(unsent), std::move(claimed.event.event_id));
    return;
  }
  if (!slots_.try_take(claimed.delivery.hook_id)) {
    slots_.park(std::move(claimed));
    return;
  }
  send(std::move(claimed), now);
}

bool DeliveryLoop::start_parked(ClaimedDelivery claimed, Timestamp now) {
  // Sent only while our lease outlasts the request; otherwise another worker
  // may take it over mid-flight (a duplicate, and out of order for its run).
  const auto margin = options_.total_timeout;
  if (!claimed.delivery.lease_expires_at || *claimed.delivery.lease_expires_at - now < margin) {
    release({claimed.delivery.delivery_id});
    woken_ = true;  // claim it again, with a fresh lease
    return false;
  }
  start(std::move(claimed), now);
  return true;
}

void DeliveryLoop::send(ClaimedDelivery claimed, Timestamp now) {
  const std::string hook_id = claimed.delivery.hook_id;
  // The payload is moved into the request: once sent the loop needs nothing of it.
  auto built = build_request(*claimed.endpoint, claimed.delivery, std::move(claimed.event.payload), now,
                             options_.user_agent);
  if (!built) {
    free_slot(hook_id, now);
    AttemptResult unsent = settle_unsent(claimed, now, "cannot sign: " + built.error().message);
    storage_thread_.add(std::move(unsent), std::move(claimed.event.event_id));
    return;
  }
  const std::uint64_t token = next_token_++;
  const std::string delivery_id = claimed.delivery.delivery_id;
  in_flight_.emplace(token, InFlight{std::move(claimed), std::move(built->recorded), now});
  // The completion may outlive this loop (a transport the app keeps): it only
  // touches the shared list.
  std::weak_ptr<std::vector<Finished>> sink = finished_;
  try {
    options_.transport->send(std::move(built->request), [sink, token](HttpResult result) {
      if (auto list = sink.lock()) list->push_back(Finished{token, std::move(result)});
    });
  } catch (...) {
    // A transport that throws (an application's own) leaves nothing behind:
    // the delivery goes back to the outbox for another try.
    in_flight_.erase(token);
    free_slot(hook_id, now);
    try {
      release({delivery_id});
    } catch (...) {
      // An application's storage that throws: the lease runs out instead.
    }
    report(Error{ErrorCode::internal, {}, "transport send threw; the delivery was released"});
  }
}

void DeliveryLoop::free_slot(const std::string& hook_id, Timestamp now) {
  std::optional<ClaimedDelivery> next = slots_.release(hook_id);
  if (next && stop_requested_) {
    slots_.park(std::move(*next));  // given back with the rest at stop
    return;
  }
  // One whose lease ran short leaves the slot free for the next: nothing
  // may stay parked with no request of its hook in flight to start it.
  while (next && !start_parked(std::move(*next), now)) next = slots_.next_parked(hook_id);
}

void DeliveryLoop::collect_finished(Timestamp now) {
  if (finished_->empty()) return;
  std::vector<Finished> batch;
  batch.swap(*finished_);
  for (Finished& f : batch) {
    const auto found = in_flight_.find(f.token);
    if (found == in_flight_.end()) continue;
    InFlight flight = std::move(found->second);
    in_flight_.erase(found);
    counters_.count_attempt(f.result.error_class, f.result.duration);
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    AttemptResult settled =
        settle(flight.claimed, std::move(flight.sent), std::move(f.result), flight.started_at, now, policy_, unit);
    if (settled.next.status == DeliveryStatus::pending && next_claim_at_ > settled.next.next_attempt_at) {
      next_claim_at_ = settled.next.next_attempt_at;  // a retry sooner than the poll interval
    }
    slots_held_until_stored_.emplace(flight.claimed.delivery.delivery_id, flight.claimed.delivery.hook_id);
    storage_thread_.add(std::move(settled), std::move(flight.claimed.event.event_id));
  }
}

DeliveryLoop::TakenBack DeliveryLoop::take_back(Timestamp now) {
  StorageThread::Taken taken = storage_thread_.take();
  return settle_taken(std::move(taken), now);
}

DeliveryLoop::TakenBack DeliveryLoop::settle_taken(StorageThread::Taken taken, Timestamp now) {
  TakenBack back;
  for (Error& error : taken.errors) report_storage(std::move(error));
  for (const AttemptWriter::Written& w : taken.written) after_written(w);
  // After after_written: what a disabled hook had parked has failed by now.
  for (const std::string& delivery_id : taken.finished) {
    const auto held = slots_held_until_stored_.find(delivery_id);
    if (held == slots_held_until_stored_.end()) continue;
    const std::string hook_id = std::move(held->second);
    slots_held_until_stored_.erase(held);
    free_slot(hook_id, now);
  }
  back.wrote = !taken.written.empty() || !taken.finished.empty();
  if (taken.claimed) {
    back.claim_was_full = claimed(std::move(*taken.claimed));
    back.claimed_all_due = !back.claim_was_full;
    back.claim_flush_generation = claim_flush_generation_;
    claim_answered_for_ = claim_flush_generation_;
  }
  return back;
}

void DeliveryLoop::after_written(const AttemptWriter::Written& written) {
  const Delivery& delivery = written.completed.delivery;
  switch (delivery.status) {
    case DeliveryStatus::succeeded: ++counters_.succeeded; break;
    case DeliveryStatus::failed: ++counters_.failed; break;
    case DeliveryStatus::pending: ++counters_.retried; break;
  }
  if (written.completed.endpoint_disabled) {
    ++counters_.hooks_disabled;
    const std::string& reason = written.completed.disabled_reason;
    // What this loop parked for the hook was claimed while it was enabled:
    // it fails now, as the next claim of it would; test sends still go.
    for (ClaimedDelivery& parked : slots_.take_parked(delivery.hook_id)) {
      if (parked.delivery.next_trigger == AttemptTrigger::test) {
        slots_.park(std::move(parked));
        continue;
      }
      AttemptResult unsent = settle_unsent(parked, clock_.now(), "endpoint disabled: " + reason);
      storage_thread_.add(std::move(unsent), std::move(parked.event.event_id));
    }
    callbacks_.endpoint_state(EndpointStateChange{delivery.hook_id, delivery.project_id, false, reason});
  }
  callbacks_.attempt(AttemptReport{written.result.attempt, delivery, written.event_id});
}

void DeliveryLoop::release(const std::vector<std::string>& delivery_ids) {
  if (delivery_ids.empty()) return;
  if (auto released = storage_->release_leases(owner_, delivery_ids); !released) report(std::move(released).error());
}

void DeliveryLoop::release_everything() {
  const Timestamp now = clock_.now();
  collect_finished(now);
  // The storage thread's last write gets what is left of the deadline, and
  // at least a second: one transaction, as when the loop wrote itself. A
  // claim it answers now is started by nothing: given back below, parked.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(stop_deadline_ns_ - steady_ns()));
  settle_taken(storage_thread_.drain(std::max(left, std::chrono::milliseconds(1000))), now);
  std::vector<std::string> ids;
  for (const auto& [token, flight] : in_flight_) ids.push_back(flight.claimed.delivery.delivery_id);
  for (const ClaimedDelivery& c : slots_.clear()) ids.push_back(c.delivery.delivery_id);
  // Requests still in flight are abandoned: the receiver may see them and,
  // once another worker retries, see them again with the same webhook-id.
  in_flight_.clear();
  in_flight_count_ = 0;
  release(ids);
}

}  // namespace runhooks::detail
