// Delivery history and the actions on it: a hook's deliveries, one
// delivery and its attempts, redeliver, send a test event, recover.

#include <runhooks/history_json.hpp>

#include "core/json_writer.hpp"
#include "http/api_context.hpp"
#include "http/envelope.hpp"
#include "http/query.hpp"
#include "model/history_json.hpp"
#include "model/json_body.hpp"

#include <chrono>
#include <map>
#include <thread>

namespace runhooks::detail {

namespace {

constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 250;
constexpr std::size_t kMaxTestWaitSeconds = 30;
// How often a waiting test send looks for its attempt: the worker may be in
// another process, so the store is what tells.
constexpr std::chrono::milliseconds kTestPollInterval{25};

// The events of a page's deliveries, each read once.
class EventCache {
 public:
  explicit EventCache(Publisher& publisher) : publisher_(publisher) {}
  Result<const OutboxEvent*> get(const std::string& event_id) {
    if (auto found = events_.find(event_id); found != events_.end()) return &found->second;
    auto event = publisher_.event(event_id);
    if (!event) return std::move(event).error();
    return &events_.emplace(event_id, std::move(*event)).first->second;
  }

 private:
  Publisher& publisher_;
  std::map<std::string, OutboxEvent> events_;
};

Result<std::optional<DeliveryStatus>> status_parameter(std::string_view query) {
  const auto text = query_parameter(query, "status");
  if (!text) return std::optional<DeliveryStatus>();
  for (DeliveryStatus status : {DeliveryStatus::pending, DeliveryStatus::succeeded, DeliveryStatus::failed}) {
    if (*text == to_string(status)) return std::optional<DeliveryStatus>(status);
  }
  return Error::invalid("status", "status must be pending, succeeded or failed");
}

// GET /webhooks/{hookId}/deliveries?status=S&limit=N&cursor=C
ApiResponse list_deliveries(ApiContext& context, const ApiRequest& request, const Webhook& hook) {
  if (request.method != "GET") return method_not_allowed("GET");
  DeliveryFilter filter;
  filter.hook_id = hook.hook_id;
  auto status = status_parameter(request.query);
  if (!status) return error_response(status.error(), false);
  filter.status = *status;
  auto limit = query_number(request.query, "limit", 1, kMaxPageSize, kDefaultPageSize);
  if (!limit) return error_response(limit.error(), false);
  if (const auto cursor = query_parameter(request.query, "cursor")) {
    auto after = path_id(*cursor, "cursor");
    if (!after) return failed_response(400, "cursor is not one this API gave");
    filter.after_delivery_id = *after;
  }
  filter.limit = *limit + 1;  // one more tells whether there is a next page
  auto page = context.publisher.deliveries(filter);
  if (!page && page.error().code == ErrorCode::not_found) {
    return failed_response(400, "cursor names a delivery that is no longer stored: list from the start");
  }
  if (!page) return error_response(page.error(), false);
  std::string next_cursor;
  if (page->size() > *limit) {
    page->resize(*limit);
    next_cursor = page->back().delivery_id;
  }
  EventCache events(context.publisher);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const Delivery& delivery : *page) {
    auto event = events.get(delivery.event_id);
    if (!event) return error_response(event.error(), false);
    write_delivery(w, delivery, *event, false);
  }
  w.EndArray();
  return ok_page_response(json_text(buffer), next_cursor);
}

// The Attempt object of the test send's first attempt, once the store has one.
std::optional<Attempt> await_first_attempt(ApiContext& context, const std::string& delivery_id,
                                           std::chrono::seconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto attempts = context.publisher.attempts(AttemptFilter{delivery_id, "", 1});
    if (attempts && !attempts->empty()) return attempts->front();
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kTestPollInterval);
  }
}

// Counts a request that holds its thread while it waits; refuses past the cap.
class WaitSlot {
 public:
  explicit WaitSlot(std::atomic<std::size_t>& waiting, std::size_t cap) : waiting_(waiting) {
    held_ = waiting_.fetch_add(1) < cap;
    if (!held_) waiting_.fetch_sub(1);
  }
  ~WaitSlot() {
    if (held_) waiting_.fetch_sub(1);
  }
  WaitSlot(const WaitSlot&) = delete;
  WaitSlot& operator=(const WaitSlot&) = delete;
  bool held() const { return held_; }

 private:
  std::atomic<std::size_t>& waiting_;
  bool held_ = false;
};

Result<EventType> test_event_type(const ApiRequest& request) {
  if (request.body.empty()) return EventType::run_finish;
  auto doc = parse_json_body(request.body);
  if (!doc) return std::move(doc).error();
  const auto member = doc->FindMember("event");
  if (member == doc->MemberEnd()) return EventType::run_finish;
  const auto type = member->value.IsString() ? parse_event_type(string_view_of(member->value)) : std::nullopt;
  if (!type) {
    return Error::invalid("event", "event must be one of RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED");
  }
  return *type;
}

// POST /webhooks/{hookId}/test[?wait=S] {"event":"RUN_FINISH"}
ApiResponse send_test(ApiContext& context, const ApiRequest& request, const ApiKey& key, const Webhook& hook) {
  if (request.method != "POST") return method_not_allowed("POST");
  if (key.read_only) return read_only_refused();
  if (auto refused = refuse_non_json(request, false)) return *refused;
  auto type = test_event_type(request);
  if (!type) return error_response(type.error(), true);
  auto wait = query_number(request.query, "wait", 0, kMaxTestWaitSeconds, 0);
  if (!wait) return error_response(wait.error(), false);
  WaitSlot slot(context.waiting_tests, *wait > 0 ? context.options.max_waiting_tests : SIZE_MAX);
  if (!slot.held()) {
    ApiResponse busy = failed_response(429, "Too many test sends are waiting for their outcome: try again, or "
                                            "send without ?wait");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  auto receipt = context.publisher.send_test(hook.hook_id, *type);
  if (!receipt) return error_response(receipt.error(), false);
  std::optional<Attempt> attempt;
  if (*wait > 0) attempt = await_first_attempt(context, receipt->delivery_ids.front(), std::chrono::seconds(*wait));
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("deliveryId"); write_string(w, receipt->delivery_ids.front());
  w.Key("eventId"); write_string(w, receipt->event_id);
  if (*wait > 0) {
    w.Key("attempt");
    auto event = context.publisher.event(receipt->event_id);
    if (attempt) write_attempt(w, *attempt, event ? &*event : nullptr); else w.Null();
  }
  w.EndObject();
  return ok_response(attempt ? 200 : 202, json_text(buffer));
}

// POST /webhooks/{hookId}/recover {"since":"<ISO-8601>"}
ApiResponse recover(ApiContext& context, const ApiRequest& request, const ApiKey& key, const Webhook& hook) {
  if (request.method != "POST") return method_not_allowed("POST");
  if (key.read_only) return read_only_refused();
  if (auto refused = refuse_non_json(request, true)) return *refused;
  auto doc = parse_json_body(request.body);
  if (!doc) return error_response(doc.error(), true);
  const auto member = doc->FindMember("since");
  if (member == doc->MemberEnd() || !member->value.IsString()) {
    return error_response(Error::invalid("since", "since is required: an ISO-8601 date-time"), true);
  }
  auto since = parse_iso8601(string_view_of(member->value), "since");
  if (!since) return error_response(since.error(), true);
  auto recovered = context.publisher.recover(hook.hook_id, *since);
  if (!recovered) return error_response(recovered.error(), false);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("count"); w.Uint64(*recovered);
  w.EndObject();
  return ok_response(202, json_text(buffer));
}

ApiResponse delivery_with_event(ApiContext& context, int status, const Delivery& delivery) {
  auto event = context.publisher.event(delivery.event_id);
  if (!event) return error_response(event.error(), false);
  return ok_response(status, to_json(delivery, &*event, true));
}

// GET /deliveries/{deliveryId}/attempts
ApiResponse list_attempts(ApiContext& context, const ApiRequest& request, const Delivery& delivery) {
  if (request.method != "GET") return method_not_allowed("GET");
  auto limit = query_number(request.query, "limit", 1, kMaxPageSize, kMaxPageSize);
  if (!limit) return error_response(limit.error(), false);
  auto attempts = context.publisher.attempts(AttemptFilter{delivery.delivery_id, "", *limit});
  if (!attempts) return error_response(attempts.error(), false);
  auto event = context.publisher.event(delivery.event_id);
  if (!event) return error_response(event.error(), false);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const Attempt& attempt : *attempts) write_attempt(w, attempt, &*event);
  w.EndArray();
  return ok_response(200, json_text(buffer));
}

}  // namespace

ApiResponse hook_history_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                                const Webhook& hook, std::string_view route) {
  if (route == "deliveries") return list_deliveries(context, request, hook);
  if (route == "test") return send_test(context, request, key, hook);
  return recover(context, request, key, hook);
}

ApiResponse delivery_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                            const PathSegments& parts) {
  if (parts.size() < 2 || parts.size() > 3) return failed_response(404, "Not found");
  if (parts.size() == 3 && parts[2] != "attempts" && parts[2] != "redeliver") {
    return failed_response(404, "Not found");
  }
  auto delivery_id = path_id(parts[1], "deliveryId");
  if (!delivery_id) return failed_response(400, delivery_id.error().message);
  auto delivery = context.visible_delivery(key, *delivery_id);
  if (!delivery) return error_response(delivery.error(), false);
  if (parts.size() == 2) {
    if (request.method != "GET") return method_not_allowed("GET");
    return delivery_with_event(context, 200, *delivery);
  }
  if (parts[2] == "attempts") return list_attempts(context, request, *delivery);
  if (request.method != "POST") return method_not_allowed("POST");
  if (key.read_only) return read_only_refused();
  if (auto refused = refuse_non_json(request, false)) return *refused;
  auto redelivered = context.publisher.redeliver(*delivery_id);
  if (!redelivered) return error_response(redelivered.error(), false);
  return delivery_with_event(context, 202, *redelivered);
}

}  // namespace runhooks::detail
