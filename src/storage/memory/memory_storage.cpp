#include "storage/memory/memory_storage.hpp"

#include "core/random.hpp"
#include "storage/backend_rules.hpp"

#include <algorithm>
#include <iterator>

namespace runhooks::detail {

Result<void> MemoryStorage::insert_hook(const Webhook& hook, std::size_t max_per_project) {
  std::lock_guard lock(mutex_);
  auto& project_hooks = hooks_by_project_[hook.project_id];
  if (project_hooks.size() >= max_per_project) {
    if (project_hooks.empty()) hooks_by_project_.erase(hook.project_id);
    return hook_cap_reached(max_per_project);
  }
  if (!hooks_.emplace(hook.hook_id, hook).second) {
    return Error{ErrorCode::conflict, "hookId", "a webhook with this id already exists"};
  }
  project_hooks.push_back(hook.hook_id);
  return {};
}

Result<Webhook> MemoryStorage::get_hook(std::string_view hook_id) {
  std::lock_guard lock(mutex_);
  const auto found = hooks_.find(hook_id);
  if (found == hooks_.end()) return hook_not_found();
  return found->second;
}

Result<std::vector<Webhook>> MemoryStorage::list_hooks(std::string_view project_id) {
  std::lock_guard lock(mutex_);
  std::vector<Webhook> hooks;
  const auto ids = hooks_by_project_.find(project_id);
  if (ids == hooks_by_project_.end()) return hooks;
  hooks.reserve(ids->second.size());
  for (const std::string& id : ids->second) hooks.push_back(hooks_.find(id)->second);
  return hooks;
}

Result<std::vector<std::string>> MemoryStorage::list_project_ids() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;  // a project leaves hooks_by_project_ with its last hook
  ids.reserve(hooks_by_project_.size());
  for (const auto& [project_id, hooks] : hooks_by_project_) ids.push_back(project_id);
  return ids;
}

Result<Webhook> MemoryStorage::modify_hook(
    std::string_view hook_id, const std::function<Result<void>(Webhook&)>& change) {
  std::lock_guard lock(mutex_);
  const auto found = hooks_.find(hook_id);
  if (found == hooks_.end()) return hook_not_found();
  Webhook copy = found->second;
  if (auto changed = change(copy); !changed) return std::move(changed).error();
  found->second = copy;
  return copy;
}

Result<Webhook> MemoryStorage::delete_hook(std::string_view hook_id) {
  std::lock_guard lock(mutex_);
  const auto found = hooks_.find(hook_id);
  if (found == hooks_.end()) return hook_not_found();
  Webhook hook = std::move(found->second);
  hooks_.erase(found);
  auto& ids = hooks_by_project_[hook.project_id];
  ids.erase(std::remove(ids.begin(), ids.end(), hook.hook_id), ids.end());
  if (ids.empty()) hooks_by_project_.erase(hook.project_id);
  // Like the SQL backends' ON DELETE CASCADE: the hook's deliveries and their
  // attempts go with it.
  std::vector<Seq> doomed;
  for (const auto& [seq, delivery] : deliveries_) {
    if (delivery.hook_id == hook.hook_id) doomed.push_back(seq);
  }
  erase_deliveries(doomed);
  return hook;
}

void MemoryStorage::erase_deliveries(const std::vector<Seq>& seqs) {
  std::set<std::string, std::less<>> ids;
  for (Seq seq : seqs) {
    const auto found = deliveries_.find(seq);
    ids.insert(found->second.delivery_id);
    delivery_seq_.erase(found->second.delivery_id);
    if (const auto of = hook_deliveries_.find(found->second.hook_id); of != hook_deliveries_.end()) {
      of->second.erase(seq);
      if (of->second.empty()) hook_deliveries_.erase(of);
    }
    if (const auto of = event_deliveries_.find(found->second.event_id); of != event_deliveries_.end()) {
      of->second.erase(std::remove(of->second.begin(), of->second.end(), seq), of->second.end());
      if (of->second.empty()) event_deliveries_.erase(of);
    }
    if (found->second.status == DeliveryStatus::pending) unindex_pending(seq, found->second);
    deliveries_.erase(found);
  }
  // Their attempts, in one pass.
  attempts_.erase(std::remove_if(attempts_.begin(), attempts_.end(),
                                 [&](const Attempt& a) { return ids.count(a.delivery_id) != 0; }),
                  attempts_.end());
}

void MemoryStorage::index_pending(Seq seq, const Delivery& d) {
  due_.emplace(d.next_attempt_at, seq);
  if (d.next_trigger == AttemptTrigger::test) due_tests_.emplace(d.next_attempt_at, seq);
  if (!d.ordering_key.empty()) runs_[{d.hook_id, d.ordering_key}].insert(seq);
}

void MemoryStorage::unindex_pending(Seq seq, const Delivery& d) {
  due_.erase({d.next_attempt_at, seq});
  due_tests_.erase({d.next_attempt_at, seq});
  if (d.ordering_key.empty()) return;
  const auto run = runs_.find({d.hook_id, d.ordering_key});
  if (run == runs_.end()) return;
  run->second.erase(seq);
  if (run->second.empty()) runs_.erase(run);
}

Result<void> MemoryStorage::insert_api_key(const ApiKey& key) {
  std::lock_guard lock(mutex_);
  const bool taken = std::any_of(api_keys_.begin(), api_keys_.end(), [&](const ApiKey& k) {
    return k.key_id == key.key_id || k.key_hash == key.key_hash;
  });
  if (taken) return Error{ErrorCode::conflict, {}, "an API key with this id or hash exists"};
  api_keys_.push_back(key);
  return {};
}

Result<ApiKey> MemoryStorage::find_api_key(std::string_view key_hash) {
  std::lock_guard lock(mutex_);
  for (const ApiKey& key : api_keys_) {
    if (key.key_hash == key_hash) return key;
  }
  return api_key_not_found();
}

Result<std::vector<ApiKey>> MemoryStorage::list_api_keys() {
  std::lock_guard lock(mutex_);
  return api_keys_;
}

Result<void> MemoryStorage::delete_api_key(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  const auto found = std::find_if(api_keys_.begin(), api_keys_.end(),
                                  [&](const ApiKey& k) { return k.key_id == key_id; });
  if (found == api_keys_.end()) return api_key_not_found();
  api_keys_.erase(found);
  return {};
}

Result<EnqueueResult> MemoryStorage::enqueue(const OutboxEvent& event) {
  std::lock_guard lock(mutex_);
  const auto idempotency = std::make_pair(event.project_id, event.idempotency_key);
  if (!event.idempotency_key.empty()) {
    if (const auto seen = idempotency_.find(idempotency); seen != idempotency_.end()) {
      const OutboxEvent& first = events_.find(seen->second)->second;
      if (auto same = check_same_event(event, to_string(first.type), first.payload); !same) {
        return std::move(same).error();
      }
      EnqueueResult result{seen->second, {}, true};
      if (const auto of = event_deliveries_.find(seen->second); of != event_deliveries_.end()) {
        for (Seq seq : of->second) result.delivery_ids.push_back(deliveries_.find(seq)->second.delivery_id);
      }
      return result;
    }
  }
  if (events_.count(event.event_id) != 0) return event_exists();
  // Ids first, so a failure of the generator leaves nothing half-stored.
  std::vector<Delivery> fan_out;
  if (const auto ids = hooks_by_project_.find(event.project_id); ids != hooks_by_project_.end()) {
    for (const std::string& hook_id : ids->second) {
      const Webhook& hook = hooks_.find(hook_id)->second;
      if (!hook.enabled || !hook.accepts(event.type)) continue;
      auto d = new_delivery(event, hook_id);
      if (!d) return std::move(d).error();
      fan_out.push_back(std::move(*d));
    }
  }
  EnqueueResult result{event.event_id, {}, false};
  if (!event.idempotency_key.empty()) idempotency_.emplace(idempotency, event.event_id);
  store_event(event, std::move(fan_out), result);
  return result;
}

Result<EnqueueResult> MemoryStorage::enqueue_to_hook(const OutboxEvent& event, std::string_view hook_id,
                                                     AttemptTrigger trigger) {
  if (auto checked = check_event_for_one_hook(event); !checked) return std::move(checked).error();
  std::lock_guard lock(mutex_);
  const auto hook = hooks_.find(hook_id);
  if (hook == hooks_.end()) return hook_not_found();
  if (events_.count(event.event_id) != 0) return event_exists();
  auto d = new_delivery(event, hook->first);
  if (!d) return std::move(d).error();
  d->next_trigger = trigger;
  std::vector<Delivery> one;
  one.push_back(std::move(*d));
  EnqueueResult result{event.event_id, {}, false};
  store_event(event, std::move(one), result);
  return result;
}

Result<Delivery> MemoryStorage::new_delivery(const OutboxEvent& event, const std::string& hook_id) {
  auto delivery_id = time_ordered_uuid(event.created_at.time_since_epoch().count());
  if (!delivery_id) return std::move(delivery_id).error();
  Delivery d;
  d.delivery_id = std::move(*delivery_id);
  d.event_id = event.event_id;
  d.hook_id = hook_id;
  d.project_id = event.project_id;
  d.ordering_key = event.ordering_key;
  d.next_attempt_at = d.created_at = event.created_at;
  return d;
}

void MemoryStorage::store_event(const OutboxEvent& event, std::vector<Delivery> deliveries,
                                EnqueueResult& result) {
  events_.emplace(event.event_id, event);
  for (Delivery& d : deliveries) {
    const Seq seq = next_seq_++;
    result.delivery_ids.push_back(d.delivery_id);
    delivery_seq_.emplace(d.delivery_id, seq);
    event_deliveries_[event.event_id].push_back(seq);
    hook_deliveries_[d.hook_id].insert(seq);
    index_pending(seq, d);
    deliveries_.emplace(seq, std::move(d));
  }
}

Result<std::vector<ClaimedDelivery>> MemoryStorage::claim_due(const ClaimRequest& request) {
  std::lock_guard lock(mutex_);
  const std::set<std::string> skipped(request.skip_hooks.begin(), request.skip_hooks.end());
  PerHookQuota quota(request.per_hook_limit);
  std::vector<Seq> due;
  std::size_t budget = claim_scan_size(request);
  if (!request.only_delivery_ids.empty()) {
    // Those deliveries alone, earliest due first as from the due index.
    std::vector<std::pair<Timestamp, Seq>> chosen;
    for (const std::string& id : request.only_delivery_ids) {
      const auto found = delivery_seq_.find(id);
      if (found == delivery_seq_.end()) continue;
      const Delivery& d = deliveries_.find(found->second)->second;
      if (d.status != DeliveryStatus::pending || d.next_attempt_at > request.now) continue;
      if (!claimable(found->second, d, request.now) || skipped.count(d.hook_id) != 0) continue;
      chosen.emplace_back(d.next_attempt_at, found->second);
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    for (const auto& [at, seq] : chosen) {
      if (due.size() >= request.limit) break;
      if (quota.take(deliveries_.find(seq)->second.hook_id)) due.push_back(seq);
    }
    budget = 0;  // nothing else
  }
  // Test sends first, then the rest (the tests again being passed over).
  for (const auto* candidates : {&due_tests_, &due_}) {
    const bool tests = candidates == &due_tests_;
    for (auto it = candidates->begin(); it != candidates->end() && it->first <= request.now; ++it) {
      if (due.size() >= request.limit || budget == 0) break;
      const Seq seq = it->second;
      const Delivery& d = deliveries_.find(seq)->second;
      if (!tests && d.next_trigger == AttemptTrigger::test) continue;
      if (!claimable(seq, d, request.now) || skipped.count(d.hook_id) != 0) continue;
      --budget;
      if (quota.take(d.hook_id)) due.push_back(seq);
    }
  }

  std::vector<ClaimedDelivery> claimed;
  for (Seq seq : due) {
    Delivery& d = deliveries_.find(seq)->second;
    d.lease_owner = request.owner;
    d.lease_expires_at = request.now + request.lease;
    claimed.push_back({d, events_.find(d.event_id)->second, nullptr});
  }
  // Deliveries go with their hook (delete_hook, under the same mutex): no orphans.
  auto attached = attach_endpoints(claimed, [&](const std::string& id) -> Result<std::shared_ptr<const EndpointSnapshot>> {
    const auto hook = hooks_.find(id);
    if (hook == hooks_.end()) return std::shared_ptr<const EndpointSnapshot>();
    return endpoint_snapshot(hook->second, request.now);
  });
  if (!attached) return std::move(attached).error();
  return claimed;
}

bool MemoryStorage::claimable(Seq seq, const Delivery& d, Timestamp now) const {
  if (d.lease_expires_at && *d.lease_expires_at > now) return false;
  return d.ordering_key.empty() || *runs_.find({d.hook_id, d.ordering_key})->second.begin() == seq;
}

Delivery* MemoryStorage::find_delivery(std::string_view delivery_id) {
  const auto seq = delivery_seq_.find(std::string(delivery_id));
  return seq == delivery_seq_.end() ? nullptr : &deliveries_.find(seq->second)->second;
}

Result<std::vector<Result<CompletedAttempt>>> MemoryStorage::complete_attempts(
    std::string_view owner, const std::vector<AttemptResult>& results) {
  std::lock_guard lock(mutex_);
  std::vector<Result<CompletedAttempt>> outcomes;
  outcomes.reserve(results.size());
  HealthChanges health;
  const auto load_health = [&](const std::string& id) -> Result<std::optional<EndpointHealth>> {
    const auto hook = hooks_.find(id);
    if (hook == hooks_.end()) return std::optional<EndpointHealth>();
    return std::optional<EndpointHealth>(health_of(hook->second));
  };
  for (const AttemptResult& r : results) {
    Delivery* d = find_delivery(r.attempt.delivery_id);
    if (d == nullptr) {
      outcomes.emplace_back(delivery_not_found());
      continue;
    }
    if (d->lease_owner != owner) {
      outcomes.emplace_back(lease_lost());
      continue;
    }
    attempts_.push_back(r.attempt);
    const Seq seq = delivery_seq_[d->delivery_id];
    unindex_pending(seq, *d);
    apply_completion(*d, r.next);
    if (d->status == DeliveryStatus::pending) index_pending(seq, *d);
    CompletedAttempt completed{*d, false, {}};
    completed.endpoint_disabled = *health.apply(d->hook_id, r.endpoint, completed.disabled_reason, load_health);
    outcomes.emplace_back(std::move(completed));
  }
  for (const auto& [hook_id, state] : health.changed()) {
    Webhook& hook = hooks_.find(hook_id)->second;
    // A change of state (a disable) dates the hook like the disable.
    if (hook.enabled != state.enabled && state.disabled_at) hook.updated_at = *state.disabled_at;
    hook.enabled = state.enabled;
    hook.disabled_reason = state.disabled_reason;
    hook.failing_since = state.failing_since;
    hook.disabled_at = state.disabled_at;
  }
  return outcomes;
}

Result<void> MemoryStorage::release_leases(std::string_view owner,
                                           const std::vector<std::string>& delivery_ids) {
  std::lock_guard lock(mutex_);
  for (const std::string& id : delivery_ids) {
    Delivery* d = find_delivery(id);
    if (d == nullptr || d->lease_owner != owner) continue;
    d->lease_owner.clear();
    d->lease_expires_at.reset();
  }
  return {};
}

Result<Delivery> MemoryStorage::reschedule_delivery(std::string_view delivery_id, Timestamp at,
                                                    AttemptTrigger trigger) {
  std::lock_guard lock(mutex_);
  Delivery* d = find_delivery(delivery_id);
  if (d == nullptr) return delivery_not_found();
  const Seq seq = delivery_seq_[d->delivery_id];
  if (d->status == DeliveryStatus::pending) unindex_pending(seq, *d);
  apply_reschedule(*d, at, trigger);
  index_pending(seq, *d);
  return *d;
}

Result<Delivery> MemoryStorage::get_delivery(std::string_view delivery_id) {
  std::lock_guard lock(mutex_);
  const Delivery* d = find_delivery(delivery_id);
  if (d == nullptr) return delivery_not_found();
  return *d;
}

Result<std::vector<Delivery>> MemoryStorage::list_deliveries(const DeliveryFilter& filter) {
  std::lock_guard lock(mutex_);
  Seq before = next_seq_;  // the page starts below this seq
  if (!filter.after_delivery_id.empty()) {
    const auto after = delivery_seq_.find(filter.after_delivery_id);
    if (after == delivery_seq_.end()) return delivery_not_found();
    before = after->second;
  }
  const auto matches = [&](const Delivery& d) {
    return (filter.project_id.empty() || d.project_id == filter.project_id) &&
           (filter.hook_id.empty() || d.hook_id == filter.hook_id) &&
           (filter.event_id.empty() || d.event_id == filter.event_id) &&
           (!filter.status || d.status == *filter.status) &&
           (!filter.completed_since || (d.completed_at && *d.completed_at >= *filter.completed_since));
  };
  std::vector<Delivery> found;
  const auto walk = [&](auto begin, auto end, auto seq_of) {
    for (auto it = begin; it != end && found.size() < filter.limit; ++it) {
      const Delivery& d = deliveries_.find(seq_of(*it))->second;
      if (matches(d)) found.push_back(d);
    }
  };
  if (filter.hook_id.empty()) {
    walk(std::make_reverse_iterator(deliveries_.lower_bound(before)), deliveries_.rend(),
         [](const auto& entry) { return entry.first; });
  } else if (const auto of = hook_deliveries_.find(filter.hook_id); of != hook_deliveries_.end()) {
    walk(std::make_reverse_iterator(of->second.lower_bound(before)), of->second.rend(),
         [](Seq seq) { return seq; });
  }
  return found;
}

Result<std::uint64_t> MemoryStorage::count_pending() {
  std::lock_guard lock(mutex_);
  return static_cast<std::uint64_t>(due_.size());  // every pending delivery is in it
}

Result<OutboxEvent> MemoryStorage::get_event(std::string_view event_id) {
  std::lock_guard lock(mutex_);
  const auto found = events_.find(event_id);
  if (found == events_.end()) return event_not_found();
  return found->second;
}

Result<std::vector<Attempt>> MemoryStorage::list_attempts(const AttemptFilter& filter) {
  std::lock_guard lock(mutex_);
  std::vector<Attempt> found;
  for (auto it = attempts_.rbegin(); it != attempts_.rend() && found.size() < filter.limit; ++it) {
    if (!filter.delivery_id.empty() && it->delivery_id != filter.delivery_id) continue;
    if (!filter.hook_id.empty() && it->hook_id != filter.hook_id) continue;
    found.push_back(*it);
  }
  return found;
}

Result<std::size_t> MemoryStorage::purge_attempts(Timestamp before) {
  std::lock_guard lock(mutex_);
  const std::size_t size_before = attempts_.size();
  attempts_.erase(std::remove_if(attempts_.begin(), attempts_.end(),
                                 [&](const Attempt& a) { return a.started_at < before; }),
                  attempts_.end());
  return size_before - attempts_.size();
}

Result<std::size_t> MemoryStorage::purge_events(Timestamp before, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto finished_before = [&](Seq seq) {
    const Delivery& d = deliveries_.find(seq)->second;
    return d.status != DeliveryStatus::pending && d.completed_at && *d.completed_at < before;
  };
  std::size_t purged = 0;
  std::vector<Seq> doomed;
  for (auto it = events_.begin(); it != events_.end() && purged < limit;) {
    const OutboxEvent& event = it->second;
    const auto deliveries = event_deliveries_.find(event.event_id);
    const bool done = event.created_at < before &&
                      (deliveries == event_deliveries_.end() ||
                       std::all_of(deliveries->second.begin(), deliveries->second.end(), finished_before));
    if (!done) {
      ++it;
      continue;
    }
    if (deliveries != event_deliveries_.end()) {
      doomed.insert(doomed.end(), deliveries->second.begin(), deliveries->second.end());
    }
    if (!event.idempotency_key.empty()) idempotency_.erase({event.project_id, event.idempotency_key});
    it = events_.erase(it);
    ++purged;
  }
  erase_deliveries(doomed);
  return purged;
}

Result<std::optional<Timestamp>> MemoryStorage::next_due_at() {
  std::lock_guard lock(mutex_);
  for (const auto& [at, seq] : due_) {
    const Delivery& d = deliveries_.find(seq)->second;
    if (d.ordering_key.empty() || *runs_.find({d.hook_id, d.ordering_key})->second.begin() == seq) {
      return std::optional<Timestamp>(at);
    }
  }
  return std::optional<Timestamp>();
}

}  // namespace runhooks::detail
