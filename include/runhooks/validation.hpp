#pragma once
/// The wire format's rules for webhook fields (docs/wire-format.md, Field rules).
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

/// Valid UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates
/// (U+D800 to U+DFFF), nothing above U+10FFFF, no sequence cut short, no
/// stray continuation byte; a byte-order mark is a character like any other.
/// Every text runhooks takes is checked with this first. On failure
/// `invalid_argument` on `field`, "<field> must be valid UTF-8".
RUNHOOKS_EXPORT Result<void> validate_utf8(std::string_view text, std::string_view field);

/// Absolute http or https URL with a host, at most 2048 characters of valid
/// UTF-8, no whitespace or control characters; parsed with libcurl's URL API.
RUNHOOKS_EXPORT Result<void> validate_url(std::string_view url);

/// Valid UTF-8, at most 4096 characters, holding a JSON object of string
/// values whose names are RFC 9110 tokens, unique ignoring case and not
/// reserved (`webhook-*`, `content-type`, `host`, hop-by-hop ...), and whose
/// values hold no control character but tab and no escape of an unpaired
/// surrogate (U+D800 to U+DFFF).
RUNHOOKS_EXPORT Result<void> validate_headers(std::string_view headers);

/// 1 to 255 Unicode characters of valid UTF-8, no NUL.
RUNHOOKS_EXPORT Result<void> validate_label(std::string_view label);

/// 1 to 255 printable ASCII characters (valid UTF-8 is checked first).
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
