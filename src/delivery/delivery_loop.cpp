#include "delivery/delivery_loop.hpp"

#include "core/random.hpp"
#include "delivery/outcome.hpp"
#include "delivery/request_builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>

namespace runhooks::detail {

namespace {

using SteadyClock = std::chrono::steady_clock;

// How long a hook read from storage is trusted: a hook disabled or changed by
// another process is seen within this time.
constexpr std::chrono::milliseconds kHookCacheTtl{1000};

std::string make_owner() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto id = random_uuid();
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + (id ? id->substr(0, 8) : "0");
}

Attempt new_attempt(const Delivery& delivery, Timestamp started_at) {
  Attempt attempt;
  const std::int64_t millis = started_at.time_since_epoch().count();
  attempt.attempt_id = time_ordered_uuid(millis).value_or(delivery.delivery_id + "@" + std::to_string(millis));
  attempt.delivery_id = delivery.delivery_id;
  attempt.hook_id = delivery.hook_id;
  attempt.started_at = started_at;
  attempt.trigger = delivery.next_trigger;
  return attempt;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

}  // namespace

std::chrono::milliseconds capped(std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kForever = std::chrono::hours(24 * 365 * 10);
  return std::clamp(wait, std::chrono::milliseconds(0), kForever);
}

DeliveryLoop::DeliveryLoop(std::shared_ptr<Storage> storage, NotifierOptions options,
                           const Clock& clock, NotifierCounters& counters)
    : storage_(std::move(storage)),
      options_(std::move(options)),
      clock_(clock),
      counters_(counters),
      owner_(make_owner()) {
  // Backends that can tell (PostgreSQL) wake us when another process enqueues.
  enqueue_subscription_ = storage_->subscribe_enqueues([this] { wake(); });
  thread_ = std::thread([this] {
    loop_thread_ = std::this_thread::get_id();
    run();
  });
}

DeliveryLoop::~DeliveryLoop() {
  enqueue_subscription_.reset();  // no wake() into a loop being torn down
  stop(std::chrono::seconds(5));
}

void DeliveryLoop::wake() {
  woken_ = true;
  options_.transport->wakeup();
}

FlushResult DeliveryLoop::flush(std::chrono::milliseconds timeout) {
  timeout = capped(timeout);
  // Work due after this flush gives up does not keep it waiting.
  const Timestamp deadline = clock_.now() + timeout;
  ++flushers_;
  const std::uint64_t target = ++flush_requested_;
  wake();
  std::unique_lock lock(mutex_);
  const auto idle = [&] {
    return idle_generation_ >= target && (!idle_next_due_ || *idle_next_due_ > deadline);
  };
  idle_changed_.wait_for(lock, timeout, [&] { return idle() || finished_running_; });
  --flushers_;
  if (idle()) return FlushResult::idle;
  if (finished_running_) return FlushResult::stopped;
  return FlushResult::timed_out;
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

// After an iteration threw: wait a poll interval before the next, through
// the transport (so a wake still cuts it short), or sleeping if the
// transport's poll is what throws.
void DeliveryLoop::back_off() {
  try {
    options_.transport->poll(options_.poll_interval);
  } catch (...) {
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

void DeliveryLoop::report(Error error) {
  if (!options_.on_error) return;
  try {
    options_.on_error(error);
  } catch (...) {
    // The application's error handler failed too; there is nowhere left to go.
  }
}

void DeliveryLoop::run() {
  while (!stop_requested_ || !in_flight_.empty() || !results_.empty() || !finished_->empty()) {
    if (stop_requested_ && steady_ns() >= stop_deadline_ns_) break;
    try {
      iterate(flush_requested_.load());
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
  std::lock_guard lock(mutex_);
  finished_running_ = true;
  idle_changed_.notify_all();
}

void DeliveryLoop::iterate(std::uint64_t flush_generation) {
  const Timestamp now = clock_.now();
  const bool woken = woken_.exchange(false);
  collect_finished(now);
  // Recorded attempts free slots and may have made a run's next event due.
  const bool recorded = write_records();
  const bool flush_waiting = flushers_ > 0;

  bool claimed_all_due = false;
  bool claim_was_full = false;
  if (!stop_requested_) {
    purge(now);
    // Claimed but not yet recorded counts too, so at most max_concurrency
    // deliveries are ever sent without their outcome stored: the bound on
    // duplicates after a crash.
    const std::size_t busy = in_flight_.size() + waiting_count_ + results_.size();
    const std::size_t room = options_.max_concurrency - std::min(busy, options_.max_concurrency);
    // Under load, claim in batches (a quarter of the slots) rather than one
    // transaction per freed slot.
    const bool worth_it = room > 0 && (busy == 0 || room >= std::max<std::size_t>(1, options_.max_concurrency / 4));
    if (worth_it && (woken || recorded || flush_waiting || now >= next_claim_at_)) {
      claim_was_full = claim(now);
      claimed_all_due = !claim_was_full;
    }
  }

  // Before publish_idle: a flush that returns idle must not then read a
  // stale in-flight count in stats().
  in_flight_count_ = in_flight_.size();
  if (claimed_all_due && flush_waiting) publish_idle(flush_generation, now);

  std::chrono::milliseconds wait = options_.poll_interval;
  if (claim_was_full && in_flight_.size() + waiting_count_ + results_.size() < options_.max_concurrency) {
    wait = {};
  }
  if (next_claim_at_ > now) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(next_claim_at_ - now));
  if (!results_.empty()) {  // a write to retry
    const auto retry_in = std::chrono::nanoseconds(std::max<std::int64_t>(0, next_write_ns_ - steady_ns()));
    wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(retry_in));  // not 0 in its last ms
  }
  if (stop_requested_) wait = std::min(wait, std::chrono::milliseconds(50));
  options_.transport->poll(wait);
}

void DeliveryLoop::purge(Timestamp now) {
  constexpr auto kEvery = std::chrono::hours(1);
  const bool attempts_expire =
      options_.attempt_retention.count() > 0 && now.time_since_epoch() > options_.attempt_retention;
  if (attempts_expire && now >= next_purge_at_) {
    next_purge_at_ = now + kEvery;
    if (auto purged = storage_->purge_attempts(now - options_.attempt_retention); !purged) {
      report(std::move(purged).error());
    }
  }
  // In batches, one per iteration while there is more, so a first purge of
  // a large store does not hold deliveries back.
  constexpr std::size_t kEventBatch = 100;
  if (options_.event_retention.count() <= 0 || now < next_event_purge_at_) return;
  if (now.time_since_epoch() <= options_.event_retention) return;  // nothing that old
  auto purged = storage_->purge_events(now - options_.event_retention, kEventBatch);
  if (!purged) report(std::move(purged).error());
  next_event_purge_at_ = purged && *purged == kEventBatch ? now : now + kEvery;
}

void DeliveryLoop::publish_idle(std::uint64_t flush_generation, Timestamp now) {
  if (!in_flight_.empty() || waiting_count_ != 0 || !results_.empty() || !finished_->empty()) return;
  auto next_due = storage_->next_due_at();
  if (!next_due) {
    ++counters_.storage_errors;
    report(std::move(next_due).error());
    return;
  }
  // Due later (a retry, another worker's lease running out): look again then.
  if (*next_due && **next_due > now) next_claim_at_ = std::min(next_claim_at_, **next_due);
  std::lock_guard lock(mutex_);
  idle_generation_ = flush_generation;
  idle_next_due_ = *next_due;
  idle_changed_.notify_all();
}

bool DeliveryLoop::claim(Timestamp now) {
  const std::size_t room =
      options_.max_concurrency - (in_flight_.size() + waiting_count_ + results_.size());
  ClaimRequest request;
  request.owner = owner_;
  request.now = now;
  request.lease = options_.lease;
  request.limit = room;
  request.per_hook_limit = options_.per_endpoint_concurrency;
  for (const auto& [hook_id, count] : in_flight_per_hook_) {
    const auto queued = waiting_.find(hook_id);
    const std::size_t total = count + (queued == waiting_.end() ? 0 : queued->second.size());
    if (total >= options_.per_endpoint_concurrency) request.skip_hooks.push_back(hook_id);
  }
  auto claimed = storage_->claim_due(request);
  if (!claimed) {
    ++counters_.storage_errors;
    report(std::move(claimed).error());
    next_claim_at_ = now + options_.poll_interval;
    return false;
  }
  const bool full = claimed->size() == room;
  // Nothing more is due now; look again after the poll interval, or sooner
  // when a retry this loop scheduled comes due (see collect_finished).
  if (!full) {
    const Timestamp poll_at = now + options_.poll_interval;
    next_claim_at_ = next_claim_at_ > now ? std::min(next_claim_at_, poll_at) : poll_at;
  }
  for (ClaimedDelivery& c : *claimed) start(std::move(c), now);
  return full;
}

Result<const DeliveryLoop::CachedHook*> DeliveryLoop::cached_hook(const std::string& hook_id,
                                                                Timestamp now) {
  const auto found = hooks_.find(hook_id);
  if (found != hooks_.end() && now - found->second.fetched_at < kHookCacheTtl) {
    return &found->second;
  }
  auto hook = storage_->get_hook(hook_id);
  if (!hook) {
    hooks_.erase(hook_id);
    return std::move(hook).error();
  }
  std::vector<std::string> secrets = hook->signing_secrets(now);
  CachedHook& entry = hooks_[hook_id];
  entry = CachedHook{std::move(*hook), std::move(secrets), now};
  return &entry;
}

void DeliveryLoop::start(ClaimedDelivery claimed, Timestamp now) {
  const std::string hook_id = claimed.delivery.hook_id;
  auto hook = cached_hook(hook_id, now);
  if (!hook) {
    // Deleted hooks take their deliveries with them; anything else is a
    // storage failure: give the lease back so the delivery is tried again.
    if (hook.error().code != ErrorCode::not_found) {
      ++counters_.storage_errors;
      report(std::move(hook).error());
      (void)storage_->release_leases(owner_, {claimed.delivery.delivery_id});
    }
    return;
  }
  if (!(*hook)->hook.enabled) {
    fail_without_sending(claimed, now, "endpoint disabled: " + (*hook)->hook.disabled_reason);
    return;
  }
  const auto busy = in_flight_per_hook_.find(hook_id);
  if (busy != in_flight_per_hook_.end() && busy->second >= options_.per_endpoint_concurrency) {
    waiting_[hook_id].push_back(std::move(claimed));
    ++waiting_count_;
    return;
  }
  send(std::move(claimed), **hook, now);
}

void DeliveryLoop::start_waiting(ClaimedDelivery claimed, Timestamp now) {
  // Sent only while our lease outlasts the request; otherwise another worker
  // may take it over mid-flight (a duplicate, and out of order for its run).
  const auto margin = options_.total_timeout;
  if (!claimed.delivery.lease_expires_at || *claimed.delivery.lease_expires_at - now < margin) {
    if (auto released = storage_->release_leases(owner_, {claimed.delivery.delivery_id}); !released) {
      report(std::move(released).error());
    }
    woken_ = true;  // claim it again, with a fresh lease
    return;
  }
  start(std::move(claimed), now);
}

void DeliveryLoop::fail_without_sending(const ClaimedDelivery& claimed, Timestamp now,
                                        std::string reason) {
  Attempt attempt = new_attempt(claimed.delivery, now);
  attempt.error_class = AttemptErrorClass::other;
  attempt.error_message = std::move(reason);
  record(AttemptResult{std::move(attempt), DeliveryOutcome{DeliveryStatus::failed, {}}},
         AfterWrite{claimed.event.event_id, false, false});
}

void DeliveryLoop::record(AttemptResult result, AfterWrite after) {
  results_.push_back(std::move(result));
  after_write_.push_back(std::move(after));
}

void DeliveryLoop::send(ClaimedDelivery claimed, const CachedHook& cached, Timestamp now) {
  const Webhook& hook = cached.hook;
  auto request = build_request(hook, cached.secrets, claimed.delivery, std::move(claimed.event.payload), now);
  if (!request) {
    fail_without_sending(claimed, now, "cannot sign: " + request.error().message);
    return;
  }
  const std::uint64_t token = next_token_++;
  const std::string delivery_id = claimed.delivery.delivery_id;
  ++in_flight_per_hook_[hook.hook_id];
  in_flight_.emplace(token, InFlight{std::move(claimed), now});
  // The completion may outlive this loop (a transport the app keeps): it only
  // touches the shared list.
  std::weak_ptr<std::vector<Finished>> sink = finished_;
  try {
    options_.transport->send(std::move(*request), [sink, token](HttpResult result) {
      if (auto list = sink.lock()) list->push_back(Finished{token, std::move(result)});
    });
    ++counters_.attempts;
  } catch (...) {
    // A transport that throws (an application's own) leaves nothing behind:
    // the delivery goes back to the outbox for another try.
    in_flight_.erase(token);
    free_slot(hook.hook_id, now);
    try {
      (void)storage_->release_leases(owner_, {delivery_id});
    } catch (...) {
      // An application's storage that throws: the lease runs out instead.
    }
    report(Error{ErrorCode::internal, {}, "transport send threw; the delivery was released"});
  }
}

void DeliveryLoop::free_slot(const std::string& hook_id, Timestamp now) {
  if (--in_flight_per_hook_[hook_id] == 0) in_flight_per_hook_.erase(hook_id);
  auto queue = waiting_.find(hook_id);
  if (stop_requested_ || queue == waiting_.end() || queue->second.empty()) return;
  ClaimedDelivery next = std::move(queue->second.front());
  queue->second.pop_front();
  --waiting_count_;
  if (queue->second.empty()) waiting_.erase(queue);
  start_waiting(std::move(next), now);
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
    const Delivery& d = flight.claimed.delivery;

    Attempt attempt = new_attempt(d, flight.started_at);
    attempt.duration = f.result.duration;
    attempt.status_code = f.result.status_code;
    attempt.error_class = f.result.error_class;
    attempt.error_message = f.result.error_message;
    attempt.response_body = std::move(f.result.body);

    DeliveryOutcome outcome;
    const Verdict verdict = judge(f.result);
    if (verdict == Verdict::succeeded) {
      outcome.status = DeliveryStatus::succeeded;
    } else if (verdict == Verdict::retry) {
      const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
      const auto delay =
          options_.retry.next_delay(d.attempt_count + 1, retry_after_delay(f.result, now), unit);
      if (delay) {
        outcome.status = DeliveryStatus::pending;
        outcome.next_attempt_at = now + *delay;
        if (next_claim_at_ > outcome.next_attempt_at) next_claim_at_ = outcome.next_attempt_at;
      } else {
        outcome.status = DeliveryStatus::failed;
      }
    } else {
      outcome.status = DeliveryStatus::failed;
    }
    record(AttemptResult{std::move(attempt), outcome},
           AfterWrite{std::move(flight.claimed.event.event_id), true, verdict == Verdict::failed_and_disable});

    // A slot of this hook is free: its next waiting delivery goes now.
    free_slot(d.hook_id, now);
  }
}

bool DeliveryLoop::write_records(bool now_or_never) {
  if (results_.empty() || (!now_or_never && steady_ns() < next_write_ns_)) return false;
  auto written = storage_->complete_attempts(owner_, results_);
  if (!written) {
    // Kept for a later iteration; if our leases expire meanwhile the writes
    // come back as conflicts and another worker sends again (at-least-once).
    // Tried again after 100 ms, doubling to 5 s (or a quarter of the lease,
    // which must not run out for want of a try) while the store stays down,
    // so a failing store is not hammered, nor the application's log flooded.
    ++counters_.storage_errors;
    report(std::move(written).error());
    const auto longest = std::max(std::chrono::milliseconds(100),
                                  std::min(std::chrono::milliseconds(5000), options_.lease / 4));
    write_retry_ = std::clamp(write_retry_ * 2, std::chrono::milliseconds(100), longest);
    next_write_ns_ = steady_ns() + std::chrono::nanoseconds(write_retry_).count();
    return false;
  }
  write_retry_ = {};
  next_write_ns_ = 0;
  std::vector<AttemptResult> results;
  std::vector<AfterWrite> after;
  results.swap(results_);
  after.swap(after_write_);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!(*written)[i]) continue;  // lease lost or delivery deleted: nothing to report
    after_recorded(results[i], after[i], *(*written)[i]);
  }
  return true;
}

void DeliveryLoop::after_recorded(const AttemptResult& result, const AfterWrite& after,
                                  const Delivery& delivery) {
  switch (delivery.status) {
    case DeliveryStatus::succeeded: ++counters_.succeeded; break;
    case DeliveryStatus::failed: ++counters_.failed; break;
    case DeliveryStatus::pending: ++counters_.retried; break;
  }
  if (after.counts_for_health) update_health(result.attempt, after.disable);
  if (options_.on_attempt) {
    try {
      options_.on_attempt(AttemptReport{result.attempt, delivery, after.event_id});
    } catch (const std::exception& e) {
      report(Error{ErrorCode::internal, {}, std::string("on_attempt threw: ") + e.what()});
    } catch (...) {
      report(Error{ErrorCode::internal, {}, "on_attempt threw"});
    }
  }
}

void DeliveryLoop::update_health(const Attempt& attempt, bool disable) {
  if (disable) {
    disable_hook(attempt.hook_id, "endpoint answered 410 Gone");
    return;
  }
  auto cached = cached_hook(attempt.hook_id, clock_.now());
  if (!cached) return;
  const std::optional<Timestamp> failing_since = (*cached)->hook.failing_since;
  const bool success = attempt.error_class == AttemptErrorClass::none;
  if (success && !failing_since) return;
  if (!success && failing_since) {
    const auto failed_for_window = [&](const Webhook& h) {
      return h.failing_since && attempt.started_at - *h.failing_since >= options_.health_window;
    };
    if (!failed_for_window((*cached)->hook)) return;
    // The cached hook may be up to a second old: another worker may have
    // seen a success since. The stored one decides.
    disable_hook(attempt.hook_id, "only failed attempts since " + format_iso8601(*failing_since) +
                                      " (health window " +
                                      std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                                         options_.health_window).count()) + " h)",
                 failed_for_window);
    return;
  }
  auto changed = storage_->modify_hook(attempt.hook_id, [&](Webhook& h) -> Result<void> {
    if (success) h.failing_since.reset();
    else if (!h.failing_since) h.failing_since = attempt.started_at;
    return {};
  });
  if (changed) hooks_.erase(attempt.hook_id);  // refetched, secrets and all, when next needed
  else if (changed.error().code != ErrorCode::not_found) report(std::move(changed).error());
}

void DeliveryLoop::disable_hook(const std::string& hook_id, const std::string& reason,
                                const std::function<bool(const Webhook&)>& only_if) {
  bool flipped = false;
  auto changed = storage_->modify_hook(hook_id, [&](Webhook& h) -> Result<void> {
    if (!h.enabled || (only_if && !only_if(h))) return {};
    h.enabled = false;
    h.disabled_reason = reason;
    h.failing_since.reset();  // a fresh health window once it is enabled again
    flipped = true;
    return {};
  });
  if (!changed) {
    if (changed.error().code != ErrorCode::not_found) report(std::move(changed).error());
    return;
  }
  hooks_.erase(hook_id);
  if (!flipped || !options_.on_endpoint_state) return;
  try {
    options_.on_endpoint_state(EndpointStateChange{hook_id, changed->project_id, false, reason});
  } catch (const std::exception& e) {
    report(Error{ErrorCode::internal, {}, std::string("on_endpoint_state threw: ") + e.what()});
  } catch (...) {
    report(Error{ErrorCode::internal, {}, "on_endpoint_state threw"});
  }
}

void DeliveryLoop::release_everything() {
  collect_finished(clock_.now());
  write_records(true);
  std::vector<std::string> ids;
  for (const auto& [token, flight] : in_flight_) ids.push_back(flight.claimed.delivery.delivery_id);
  for (const auto& [hook, queue] : waiting_) {
    for (const ClaimedDelivery& c : queue) ids.push_back(c.delivery.delivery_id);
  }
  // Requests still in flight are abandoned: the receiver may see them and,
  // once another worker retries, see them again with the same webhook-id.
  in_flight_.clear();
  in_flight_per_hook_.clear();
  waiting_.clear();
  waiting_count_ = 0;
  in_flight_count_ = 0;
  if (!ids.empty()) {
    if (auto released = storage_->release_leases(owner_, ids); !released) {
      report(std::move(released).error());
    }
  }
}

}  // namespace runhooks::detail
