// Custom payloads (runhooks::Event) through Notifier::notify, on a memory:
// store with one hook and a notifier that does not deliver (as `runhooks
// fire` without --wait). The input is the payload.
//
// An accepted payload is valid UTF-8 holding a JSON object (by the reference
// parser) with no escaped lone surrogate, within max_payload_bytes; it is
// stored byte for byte, with one delivery, and ordered by the documented key
// (runUrl, else buildId + 0x1F + groupId with 0x1F and 0x10 in buildId
// escaped by 0x10, else none). Where RapidJSON and RFC 8259 read a payload
// alike (no number beyond a double), such a payload is accepted.

#include <runhooks/notifier.hpp>
#include <runhooks/registry.hpp>
#include <runhooks/storage.hpp>

#include "reference.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace {

using fuzz::check;
using fuzz::Json;

constexpr std::size_t kMaxPayload = 3000;

std::string string_member(const Json& object, std::string_view name) {
  const Json* value = object.member(name);
  return value != nullptr && value->kind == Json::Kind::string ? value->text : std::string();
}

std::string expected_ordering_key(const Json& payload) {
  const std::string run_url = string_member(payload, "runUrl");
  if (!run_url.empty()) return run_url;
  const std::string build_id = string_member(payload, "buildId");
  if (build_id.empty()) return {};
  std::string key;
  for (char c : build_id) {
    if (c == '\x1f' || c == '\x10') key += '\x10';
    key += c;
  }
  return key + '\x1f' + string_member(payload, "groupId");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string payload(reinterpret_cast<const char*>(data), size);
  auto store = runhooks::open_storage("memory:").value();
  runhooks::NewWebhook hook;
  hook.url = "https://example.com/hook";
  check(runhooks::WebhookRegistry(store).create("proj", hook).ok(), "fixture: hook");
  runhooks::NotifierOptions options;
  options.deliver = false;
  options.max_payload_bytes = kMaxPayload;
  runhooks::Notifier notifier(store, options);

  const auto receipt = notifier.notify("proj", runhooks::Event{runhooks::EventType::run_finish, payload, ""});
  const fuzz::JsonParse ref = fuzz::parse_json(payload);
  if (ref.too_deep()) return 0;
  const bool object = ref.valid() && ref.value.kind == Json::Kind::object;
  if (receipt) {
    check(size <= kMaxPayload, "accepted a payload over max_payload_bytes");
    check(object, "accepted a payload that is not a JSON object (of UTF-8)", payload);
    check(!fuzz::any_lone_surrogate(ref.value), "accepted an escaped lone surrogate");
    check(receipt->delivery_ids.size() == 1 && !receipt->duplicate, "not one delivery");
    const auto event = store->get_event(receipt->event_id);
    check(event.ok() && event->payload == payload, "stored payload differs");
    check(event->ordering_key == expected_ordering_key(ref.value), "ordering key breaks its rule");
    return 0;
  }
  check(receipt.error().code == runhooks::ErrorCode::invalid_argument && receipt.error().field == "payload",
        "refusal is not invalid_argument on payload", receipt.error().message);
  const bool sendable = size <= kMaxPayload && object && fuzz::all_numbers_tame(ref.value) &&
                        !fuzz::any_lone_surrogate(ref.value);
  check(!sendable, "refused a JSON object", receipt.error().message);
  return 0;
}
