#pragma once
// What the notifier checks in what it is given to send, and how it names a
// run for ordering.

#include <runhooks/error.hpp>
#include <runhooks/run_event.hpp>

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace runhooks::detail {

/// The ordering key of a run: its URL; else its build id, a unit separator
/// (0x1F) and its group id, with a DLE (0x10) put before each 0x1F and 0x10
/// of the build id, so no two (build id, group id) pairs share a key; else
/// empty (no ordering). A build id without those two bytes keys as it did
/// before they were escaped.
std::string run_ordering_key(std::string_view run_url, std::string_view build_id,
                             std::string_view group_id);

/// Checks every text of `event` that goes into its payload is valid UTF-8;
/// the error names the field as the payload does (`commit.authorName`).
Result<void> validate_run_event_text(const RunEvent& event);

/// A custom payload parsed: valid UTF-8 holding a JSON object with no
/// escape of an unpaired surrogate, no NUL, no leading byte-order mark;
/// errors are on field `payload`.
Result<rapidjson::Document> parse_custom_payload(std::string_view json);

/// Checks a custom payload is valid UTF-8 holding a JSON object with no
/// escape of an unpaired surrogate, and derives the ordering key from its
/// `runUrl` / `buildId` / `groupId` members. Errors are on field `payload`.
Result<std::string> custom_payload_ordering_key(std::string_view json);

}  // namespace runhooks::detail
