#pragma once
/// The wire format's rules for webhook fields (wire-format.md §1, §3).
///
/// `WebhookRegistry` and the JSON request parsers apply these; they are
/// public so an application can check input before it reaches them. Each
/// failure is `invalid_argument` with `Error::field` set to the wire name of
/// the field and a message naming the limit, e.g. `url must be at most 2048
/// characters`.

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/webhook.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace runhooks {

/// The limits of the wire format.
inline constexpr std::size_t kMaxUrlLength = 2048;
inline constexpr std::size_t kMaxHeadersLength = 4096;
inline constexpr std::size_t kMaxLabelLength = 255;  ///< Unicode characters
inline constexpr std::size_t kMaxProjectIdLength = 255;

/// Absolute http or https URL with a host, at most 2048 characters, no
/// whitespace or control characters; parsed with libcurl's URL API.
RUNHOOKS_EXPORT Result<void> validate_url(std::string_view url);

/// A JSON object string (at most 4096 characters) of string values whose
/// names are RFC 9110 tokens, unique ignoring case and not reserved
/// (`webhook-*`, `content-type`, `host`, hop-by-hop ...), and whose values
/// hold no CR, LF or NUL.
RUNHOOKS_EXPORT Result<void> validate_headers(std::string_view headers);

/// 1 to 255 Unicode characters of valid UTF-8.
RUNHOOKS_EXPORT Result<void> validate_label(std::string_view label);

/// 1 to 255 printable ASCII characters.
RUNHOOKS_EXPORT Result<void> validate_project_id(std::string_view project_id);

/// The canonical (lowercase) form of a UUID given as 8-4-4-4-12 hex digits in
/// either case, or `invalid_argument` on field `hookId`.
RUNHOOKS_EXPORT Result<std::string> canonical_hook_id(std::string_view hook_id);

/// `events` without duplicates, in first-seen order.
RUNHOOKS_EXPORT std::vector<EventType> unique_events(const std::vector<EventType>& events);

/// Every rule for a create request.
RUNHOOKS_EXPORT Result<void> validate(const NewWebhook& hook);

/// Every rule for the fields a patch sets; an empty patch is refused with the
/// wire format's message ("At least one field to update must be provided ...").
RUNHOOKS_EXPORT Result<void> validate(const WebhookPatch& patch);

}  // namespace runhooks
