#pragma once
/// The wire-format JSON of webhooks (docs/wire-format.md, The Webhook object):
/// what the HTTP API and the CLI print and parse.

#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/webhook.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// The wire-format Webhook object: hookId, projectId, url, headers (the JSON
/// string as given, or null), hookEvents, label (or null), createdAt,
/// updatedAt. The secret and runhooks' own state are not part of it.
RUNHOOKS_EXPORT std::string to_json(const Webhook& hook);

/// A JSON array of wire-format Webhook objects.
RUNHOOKS_EXPORT std::string to_json(const std::vector<Webhook>& hooks);

/// `{"hookId":"...","projectId":"..."}`.
RUNHOOKS_EXPORT std::string to_json(const DeletedWebhook& deleted);

/// Parses and validates a CreateWebhookRequest body. Unknown members are
/// ignored (clients of the hosted service may send more than we read); a
/// member of the wrong type, invalid JSON or a rule broken is
/// `invalid_argument` naming the field.
RUNHOOKS_EXPORT Result<NewWebhook> parse_create_request(std::string_view body);

/// Parses and validates an UpdateWebhookRequest body: members present are
/// set, `null` clears `headers`/`label`, absent ones are left alone. A body
/// with none of url, headers, hookEvents, label is refused.
RUNHOOKS_EXPORT Result<WebhookPatch> parse_update_request(std::string_view body);

}  // namespace runhooks
