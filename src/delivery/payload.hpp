#pragma once
// How the notifier names a run for ordering.

#include <runhooks/error.hpp>

#include <string>
#include <string_view>

namespace runhooks::detail {

/// The ordering key of a run: its URL, else build id + group id (joined by
/// a unit separator, which neither contains), else empty (no ordering).
std::string run_ordering_key(std::string_view run_url, std::string_view build_id,
                             std::string_view group_id);

/// Checks a custom payload is a JSON object and derives the ordering key
/// from its `runUrl` / `buildId` / `groupId` members.
Result<std::string> custom_payload_ordering_key(std::string_view json);

}  // namespace runhooks::detail
