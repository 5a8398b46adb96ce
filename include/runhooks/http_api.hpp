#pragma once
/// The management API (docs/wire-format.md, The management API) as a
/// request -> response function, independent of any HTTP server: mount it in
/// the server an application already has, or run `runhooks serve`.

#include <runhooks/export.hpp>
#include <runhooks/registry.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/worker.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace runhooks {

/// An HTTP request as the server parsed it.
struct ApiRequest {
  std::string method;         ///< "GET", "POST", "PUT", "DELETE", ...
  std::string path;           ///< "/webhooks/550e8400-..." (no query), percent-decoded
  std::string query;          ///< "projectId=proj_abc123" (no '?'), as sent: percent-encoded
  std::string authorization;  ///< the Authorization header, e.g. "Bearer rhk_..."
  std::string content_type;   ///< the Content-Type header
  std::string body;
  /// The If-None-Match header, or empty: lets the console's assets answer
  /// 304 Not Modified to a browser holding their ETag (docs/console.md).
  std::string if_none_match;
};

/// The HTTP status the management API answers for an error of `code`:
/// invalid_argument 400, unauthenticated 401, permission_denied 403,
/// not_found 404, conflict 409, unavailable 503, internal 500.
RUNHOOKS_EXPORT int http_status(ErrorCode code) noexcept;

/// What to answer. `body` is JSON unless `status` is 204.
struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra, e.g. Allow
  std::string body;
};

struct HttpApiOptions {
  /// Bodies larger than this are refused with 413.
  std::size_t max_body_bytes = 64 * 1024;
  /// Passed to the WebhookRegistry behind the API (per-project cap, ...).
  RegistryOptions registry;
  /// The worker figures GET /metrics serves beside the outbox's backlog,
  /// e.g. `[&worker] { return worker.stats(); }`. Null: the backlog only.
  std::function<WorkerStats()> worker_stats;
  /// Called after a redelivery, a test send or a recovery was stored, to
  /// wake a worker in this process (`[&worker] { worker.wake(); }`).
  std::function<void()> on_stored;
  /// `POST /webhooks/{id}/test?wait=S` holds its server thread until the
  /// attempt is made: at most this many wait at once, others get 429.
  std::size_t max_waiting_tests = 4;
  /// Serve /metrics and /healthz only, everything else 404: a worker's
  /// metrics port (`runhooks worker --metrics-listen`).
  bool operations_only = false;
  /// Serve the web console (docs/console.md) at `/console/` (and under
  /// `/v1/`): static files embedded in the library, answered without a key;
  /// every call it makes is an API call with the key its user pastes. The
  /// files hold no data, so it is on by default; false answers 404 there.
  /// Never served with `operations_only`.
  bool serve_console = true;
};

/// Serves every route of the management API (docs/wire-format.md):
///
///   GET    /webhooks?projectId=P              200 list (with lastDelivery)
///   POST   /webhooks?projectId=P              201 created
///   GET    /webhooks/{hookId}                 200
///   PUT    /webhooks/{hookId}                 200 (partial update; enabled)
///   DELETE /webhooks/{hookId}                 200 {hookId, projectId}
///   GET    /webhooks/{hookId}/secret          200 {secret}
///   POST   /webhooks/{hookId}/secret/rotate   200 {secret}
///   GET    /webhooks/{hookId}/deliveries      200 a page, newest first (status, limit, cursor)
///   POST   /webhooks/{hookId}/test            202 {deliveryId, eventId} (?wait=S: 200 with the attempt)
///   POST   /webhooks/{hookId}/recover         202 {count}
///   GET    /deliveries/{deliveryId}           200 the Delivery with its payload
///   GET    /deliveries/{deliveryId}/attempts  200 the attempts, newest first
///   POST   /deliveries/{deliveryId}/redeliver 202 the Delivery
///   GET    /me                                200 the key's id, label, scope, readOnly
///   GET    /projects                          200 the projects the key may see
///   GET    /metrics                           200 Prometheus text (a key for all projects)
///   GET    /healthz                           200 or 503 (no key needed)
///   GET    /openapi.json                      200 the OpenAPI 3 document (no key needed)
///   GET    /console/, /console/{asset}        200 the web console (no key needed; serve_console)
///
/// Everything but the first five routes is runhooks' extension of the
/// seed's API. Every route is also served under `/v1/`. Every answer but
/// /metrics is `{"status":"OK","data":...}` or
/// `{"status":"FAILED","error":"..."}`. Bearer API keys (api_keys.hpp): none
/// or unknown 401 with `WWW-Authenticate: Bearer`; read-only writing 403; a
/// project, hook or delivery outside the key's scope 404, as if it did not
/// exist. Bodies over the limit 413; a POST/PUT body that is not
/// `application/json` 415; invalid JSON or fields 400 naming the field
/// (`Invalid request body: url must be at most 2048 characters`); unknown
/// members of a body are ignored. A path with a control character (a NUL,
/// say) or a query with one, raw or escaped, or with a malformed `%` escape,
/// is 400. Any id string gives 400 or 404, never 500; storage failures give
/// 503 (busy) or 500 without internals.
///
/// Thread-safe; `handle` never throws.
class RUNHOOKS_EXPORT HttpApi {
 public:
  /// Shares ownership of `storage`, which must not be null.
  explicit HttpApi(std::shared_ptr<Storage> storage, HttpApiOptions options = {});
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  ApiResponse handle(const ApiRequest& request) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// The OpenAPI 3.0 document describing what `HttpApi` serves.
RUNHOOKS_EXPORT const std::string& openapi_document();

}  // namespace runhooks
