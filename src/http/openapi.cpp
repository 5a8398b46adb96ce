// The OpenAPI 3.0 document of what HttpApi serves (tests validate it).

#include <runhooks/http_api.hpp>
#include <runhooks/version.hpp>

namespace runhooks {

const std::string& openapi_document() {
  static const std::string document = std::string(R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "runhooks webhook management API",
    "version": ")json") + kVersion + R"json(",
    "description": "Manage HTTP webhooks for projects. Webhooks receive HTTP POST notifications for test-run events: RUN_FINISH, RUN_START, RUN_TIMEOUT, RUN_CANCELED."
  },
  "servers": [
    {"url": "/", "description": "Where runhooks serve (or the application mounting HttpApi) listens"},
    {"url": "/v1", "description": "The same routes under the hosted service's base path, so its clients change only the host"}
  ],
  "security": [{"bearerAuth": []}],
  "paths": {
    "/webhooks": {
      "get": {
        "operationId": "listWebhooks",
        "summary": "List webhooks",
        "description": "Get all generic webhooks for a project (oldest first, no pagination), each with its latest delivery (runhooks extension: lastDelivery).",
        "parameters": [{"$ref": "#/components/parameters/projectId"}],
        "responses": {
          "200": {"description": "List of webhooks", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookListResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "operationId": "createWebhook",
        "summary": "Create webhook",
        "description": "Create a new generic webhook for a project.",
        "parameters": [{"$ref": "#/components/parameters/projectId"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateWebhookRequest"}}}},
        "responses": {
          "201": {"description": "Webhook created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/NotJson"},
          "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/webhooks/{hookId}": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "get": {
        "operationId": "getWebhook",
        "summary": "Get webhook",
        "description": "Get a specific webhook by ID. The hookId is globally unique, so projectId is not required.",
        "responses": {
          "200": {"description": "Webhook details", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "put": {
        "operationId": "updateWebhook",
        "summary": "Update webhook",
        "description": "Update an existing webhook. Supports partial updates: null clears headers or label.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UpdateWebhookRequest"}}}},
        "responses": {
          "200": {"description": "Webhook updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/NotJson"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "delete": {
        "operationId": "deleteWebhook",
        "summary": "Delete webhook",
        "description": "Delete a webhook. The hookId is globally unique, so projectId is not required.",
        "responses": {
          "200": {"description": "Webhook deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeleteResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/webhooks/{hookId}/secret": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "get": {
        "operationId": "getWebhookSecret",
        "summary": "Get the signing secret (runhooks extension; a read-write key only)",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "The current Standard Webhooks secret", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SecretResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/webhooks/{hookId}/secret/rotate": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "post": {
        "operationId": "rotateWebhookSecret",
        "summary": "Rotate the signing secret (runhooks extension)",
        "description": "Makes a new secret current; the old one keeps signing for the grace period (24 h by default).",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "The new secret", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SecretResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/webhooks/{hookId}/deliveries": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "get": {
        "operationId": "listDeliveries",
        "summary": "List a hook's deliveries, newest first (runhooks extension)",
        "x-runhooks-extension": true,
        "parameters": [
          {"name": "status", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/DeliveryStatus"}},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 250, "default": 50}},
          {"name": "cursor", "in": "query", "required": false, "description": "The nextCursor of the previous page", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "A page of deliveries", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryPageResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/webhooks/{hookId}/test": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "post": {
        "operationId": "sendTestEvent",
        "summary": "Send a sample event to this hook alone (runhooks extension)",
        "description": "Delivered whatever the hook's events, even when it is disabled, ahead of its backlog, once (no retries); it does not count toward the hook's health. With wait, answers 200 with the first attempt once it is made, or 202 with attempt null when the wait ran out.",
        "x-runhooks-extension": true,
        "parameters": [{"name": "wait", "in": "query", "required": false, "description": "Seconds to wait for the attempt", "schema": {"type": "integer", "minimum": 0, "maximum": 30, "default": 0}}],
        "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TestEventRequest"}}}},
        "responses": {
          "200": {"description": "The attempt was made", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TestEventResponse"}}}},
          "202": {"description": "Stored; a worker sends it", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TestEventResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/NotJson"},
          "429": {"$ref": "#/components/responses/TooManyWaiting"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/webhooks/{hookId}/recover": {
      "parameters": [{"$ref": "#/components/parameters/hookId"}],
      "post": {
        "operationId": "recoverDeliveries",
        "summary": "Send again what failed for good since a time (runhooks extension)",
        "description": "Re-queues, as manual redeliveries, the hook's deliveries that failed for good (by completedAt) at or after since.",
        "x-runhooks-extension": true,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecoverRequest"}}}},
        "responses": {
          "202": {"description": "How many were re-queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecoverResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/HookDisabled"},
          "415": {"$ref": "#/components/responses/NotJson"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/deliveries/{deliveryId}": {
      "parameters": [{"$ref": "#/components/parameters/deliveryId"}],
      "get": {
        "operationId": "getDelivery",
        "summary": "Get a delivery with its payload (runhooks extension)",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "The delivery", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/deliveries/{deliveryId}/attempts": {
      "parameters": [{"$ref": "#/components/parameters/deliveryId"}],
      "get": {
        "operationId": "listAttempts",
        "summary": "A delivery's attempts, newest first, with request and response (runhooks extension)",
        "x-runhooks-extension": true,
        "parameters": [{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 250, "default": 250}}],
        "responses": {
          "200": {"description": "The attempts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttemptListResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/deliveries/{deliveryId}/redeliver": {
      "parameters": [{"$ref": "#/components/parameters/deliveryId"}],
      "post": {
        "operationId": "redeliver",
        "summary": "Send a delivery again with the same webhook-id (runhooks extension)",
        "x-runhooks-extension": true,
        "responses": {
          "202": {"description": "Queued again", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/HookDisabled"},
          "415": {"$ref": "#/components/responses/NotJson"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/me": {
      "get": {
        "operationId": "getMe",
        "summary": "The API key in use: id, label, scope, read-only (runhooks extension)",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "The key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MeResponse"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/projects": {
      "get": {
        "operationId": "listProjects",
        "summary": "The projects the key may see (runhooks extension)",
        "description": "A key for every project sees the projects that have hooks; a scoped key its own projects.",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "The projects", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProjectListResponse"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "summary": "Prometheus text exposition (runhooks extension; a key for every project)",
        "x-runhooks-extension": true,
        "responses": {
          "200": {"description": "runhooks_deliveries_pending, and with a worker runhooks_attempts_total{outcome}, runhooks_attempt_duration_seconds, runhooks_requests_in_flight, runhooks_hooks_disabled_total, ...", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"}
        }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "getHealth",
        "summary": "Whether storage answers (runhooks extension; no key)",
        "x-runhooks-extension": true,
        "security": [],
        "responses": {
          "200": {"description": "Storage answers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthResponse"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API key authentication using Bearer token"}
    },
    "parameters": {
      "projectId": {"name": "projectId", "in": "query", "required": true, "description": "The project ID", "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "example": "proj_abc123"},
      "hookId": {"name": "hookId", "in": "path", "required": true, "description": "The webhook ID (UUID)", "schema": {"type": "string", "format": "uuid"}, "example": "550e8400-e29b-41d4-a716-446655440000"},
      "deliveryId": {"name": "deliveryId", "in": "path", "required": true, "description": "The delivery ID (UUID)", "schema": {"type": "string", "format": "uuid"}}
    },
    "schemas": {
      "HookEvent": {"type": "string", "enum": ["RUN_FINISH", "RUN_START", "RUN_TIMEOUT", "RUN_CANCELED"]},
      "Webhook": {
        "type": "object",
        "required": ["hookId", "projectId", "url", "headers", "hookEvents", "label", "createdAt", "updatedAt", "enabled", "disabledReason", "disabledAt"],
        "properties": {
          "hookId": {"type": "string", "format": "uuid"},
          "projectId": {"type": "string"},
          "url": {"type": "string", "format": "uri", "maxLength": 2048},
          "headers": {"type": "string", "nullable": true, "maxLength": 4096, "description": "Custom headers as a JSON object string"},
          "hookEvents": {"type": "array", "items": {"$ref": "#/components/schemas/HookEvent"}, "description": "Empty means every event"},
          "label": {"type": "string", "nullable": true, "minLength": 1, "maxLength": 255},
          "createdAt": {"type": "string", "format": "date-time"},
          "updatedAt": {"type": "string", "format": "date-time", "description": "Changes with every change, the endpoint's state included"},
          "enabled": {"type": "boolean", "description": "runhooks extension: false once disabled (by hand, a 410 Gone answer, or only failures for the health window); a disabled hook gets no deliveries"},
          "disabledReason": {"type": "string", "nullable": true, "description": "runhooks extension: why the hook is disabled; null when enabled"},
          "disabledAt": {"type": "string", "format": "date-time", "nullable": true, "description": "runhooks extension: since when the hook is disabled; null when enabled (or disabled before runhooks 0.3)"}
        }
      },
      "CreateWebhookRequest": {
        "type": "object",
        "required": ["url"],
        "properties": {
          "url": {"type": "string", "format": "uri", "maxLength": 2048, "description": "URL to send webhook POST requests to"},
          "headers": {"type": "string", "nullable": true, "maxLength": 4096, "description": "Custom headers as a JSON object string (e.g., {\"Authorization\": \"Bearer token\"})"},
          "label": {"type": "string", "nullable": true, "minLength": 1, "maxLength": 255, "description": "Human-readable label for the webhook"},
          "hookEvents": {"type": "array", "items": {"$ref": "#/components/schemas/HookEvent"}, "default": []}
        }
      },
      "UpdateWebhookRequest": {
        "type": "object",
        "description": "At least one of url, headers, hookEvents, label, enabled.",
        "properties": {
          "url": {"type": "string", "format": "uri", "maxLength": 2048},
          "headers": {"type": "string", "nullable": true, "maxLength": 4096},
          "label": {"type": "string", "nullable": true, "minLength": 1, "maxLength": 255},
          "hookEvents": {"type": "array", "items": {"$ref": "#/components/schemas/HookEvent"}},
          "enabled": {"type": "boolean", "description": "runhooks extension: true enables the hook (clearing its reason, starting a fresh health window); false disables it"},
          "disabledReason": {"type": "string", "minLength": 1, "maxLength": 255, "description": "runhooks extension: with enabled false, why (default: disabled through the API)"}
        }
      },
      "WebhookResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"$ref": "#/components/schemas/Webhook"}}},
      "WebhookListItem": {"allOf": [{"$ref": "#/components/schemas/Webhook"}, {"type": "object", "required": ["lastDelivery"], "properties": {"lastDelivery": {"type": "object", "nullable": true, "description": "runhooks extension: the hook's latest delivery", "required": ["deliveryId", "status", "at"], "properties": {"deliveryId": {"type": "string", "format": "uuid"}, "status": {"$ref": "#/components/schemas/DeliveryStatus"}, "at": {"type": "string", "format": "date-time", "description": "completedAt, or createdAt while pending"}}}}}]},
      "WebhookListResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookListItem"}}}},
      "DeliveryStatus": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
      "Delivery": {
        "type": "object",
        "required": ["deliveryId", "webhookId", "hookId", "projectId", "eventId", "status", "attempts", "nextAttemptAt", "lastError", "createdAt", "completedAt"],
        "properties": {
          "deliveryId": {"type": "string", "format": "uuid"},
          "webhookId": {"type": "string", "description": "The webhook-id header it is sent with: msg_ and the deliveryId"},
          "hookId": {"type": "string", "format": "uuid"},
          "projectId": {"type": "string"},
          "eventId": {"type": "string", "format": "uuid"},
          "event": {"$ref": "#/components/schemas/HookEvent"},
          "status": {"$ref": "#/components/schemas/DeliveryStatus"},
          "attempts": {"type": "integer", "minimum": 0},
          "nextAttemptAt": {"type": "string", "format": "date-time", "nullable": true, "description": "When a pending delivery is next tried; null otherwise"},
          "lastError": {"type": "string", "nullable": true},
          "createdAt": {"type": "string", "format": "date-time"},
          "completedAt": {"type": "string", "format": "date-time", "nullable": true},
          "payload": {"type": "object", "description": "The JSON body sent (GET /deliveries/{id} and redeliver only, not in lists)"}
        }
      },
      "HeaderFields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Header fields by name; repeated ones joined with ', '"},
      "Attempt": {
        "type": "object",
        "required": ["attemptId", "deliveryId", "attemptedAt", "trigger", "durationMs", "outcome", "statusCode", "error", "request", "response"],
        "properties": {
          "attemptId": {"type": "string", "format": "uuid"},
          "deliveryId": {"type": "string", "format": "uuid"},
          "attemptedAt": {"type": "string", "format": "date-time"},
          "trigger": {"type": "string", "enum": ["scheduled", "manual", "test"]},
          "durationMs": {"type": "integer", "minimum": 0},
          "outcome": {"type": "string", "enum": ["succeeded", "http_status", "timeout", "connect", "dns", "tls", "blocked_by_policy", "other"]},
          "statusCode": {"type": "integer", "nullable": true},
          "error": {"type": "string", "nullable": true},
          "request": {"type": "object", "nullable": true, "description": "As sent; custom header values read [redacted]. Null when no request was made", "required": ["url", "headers", "body"], "properties": {"url": {"type": "string"}, "headers": {"$ref": "#/components/schemas/HeaderFields"}, "body": {"type": "string", "nullable": true}}},
          "response": {"type": "object", "nullable": true, "description": "As received, capped; null when nothing was read", "required": ["headers", "body", "truncated"], "properties": {"headers": {"$ref": "#/components/schemas/HeaderFields"}, "body": {"type": "string"}, "truncated": {"type": "boolean"}}}
        }
      },
      "DeliveryResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"$ref": "#/components/schemas/Delivery"}}},
      "DeliveryPageResponse": {"type": "object", "required": ["status", "data", "nextCursor"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}}, "nextCursor": {"type": "string", "nullable": true, "description": "Pass as cursor for the next page; null on the last"}}},
      "AttemptListResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}}}},
      "TestEventRequest": {"type": "object", "properties": {"event": {"$ref": "#/components/schemas/HookEvent"}}},
      "TestEventResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["deliveryId", "eventId"], "properties": {"deliveryId": {"type": "string", "format": "uuid"}, "eventId": {"type": "string", "format": "uuid"}, "attempt": {"allOf": [{"$ref": "#/components/schemas/Attempt"}], "nullable": true, "description": "With wait only"}}}}},
      "RecoverRequest": {"type": "object", "required": ["since"], "properties": {"since": {"type": "string", "format": "date-time"}}},
      "RecoverResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer", "minimum": 0}}}}},
      "MeResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["keyId", "label", "allProjects", "projects", "readOnly"], "properties": {"keyId": {"type": "string"}, "label": {"type": "string"}, "allProjects": {"type": "boolean"}, "projects": {"type": "array", "nullable": true, "items": {"type": "string"}, "description": "null for a key of every project"}, "readOnly": {"type": "boolean"}}}}},
      "ProjectListResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "array", "items": {"type": "object", "required": ["projectId"], "properties": {"projectId": {"type": "string"}}}}}},
      "HealthResponse": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["OK"]}}},
      "DeleteResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["hookId", "projectId"], "properties": {"hookId": {"type": "string"}, "projectId": {"type": "string"}}}}},
      "SecretResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "pattern": "^whsec_"}}}}},
      "ErrorResponse": {"type": "object", "required": ["status", "error"], "properties": {"status": {"type": "string", "enum": ["FAILED"]}, "error": {"type": "string"}}}
    },
    "responses": {
      "BadRequest": {"description": "Invalid input; the message names the field and the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Unauthorized": {"description": "Missing or unknown API key", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm=\"runhooks\""}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Forbidden": {"description": "A read-only key tried to write (or a project's key asked for /metrics)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "NotJson": {"description": "A body that is not application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "HookDisabled": {"description": "The hook is disabled: enable it first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "TooManyWaiting": {"description": "Too many test sends wait for their outcome; retry, or send without wait", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "NotFound": {"description": "No such webhook or project for this key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Conflict": {"description": "The project has reached its webhook limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "TooLarge": {"description": "Request body over 64 KiB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Internal": {"description": "Internal error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Unavailable": {"description": "Storage busy; retry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
    }
  }
})json";
  return document;
}

}  // namespace runhooks
