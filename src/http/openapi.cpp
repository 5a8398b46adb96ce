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
  "security": [{"bearerAuth": []}],
  "paths": {
    "/webhooks": {
      "get": {
        "operationId": "listWebhooks",
        "summary": "List webhooks",
        "description": "Get all generic webhooks for a project (oldest first, no pagination).",
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
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API key authentication using Bearer token"}
    },
    "parameters": {
      "projectId": {"name": "projectId", "in": "query", "required": true, "description": "The project ID", "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "example": "proj_abc123"},
      "hookId": {"name": "hookId", "in": "path", "required": true, "description": "The webhook ID (UUID)", "schema": {"type": "string", "format": "uuid"}, "example": "550e8400-e29b-41d4-a716-446655440000"}
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
      "WebhookListResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}},
      "DeleteResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["hookId", "projectId"], "properties": {"hookId": {"type": "string"}, "projectId": {"type": "string"}}}}},
      "SecretResponse": {"type": "object", "required": ["status", "data"], "properties": {"status": {"type": "string", "enum": ["OK"]}, "data": {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "pattern": "^whsec_"}}}}},
      "ErrorResponse": {"type": "object", "required": ["status", "error"], "properties": {"status": {"type": "string", "enum": ["FAILED"]}, "error": {"type": "string"}}}
    },
    "responses": {
      "BadRequest": {"description": "Invalid input; the message names the field and the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Unauthorized": {"description": "Missing or unknown API key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
      "Forbidden": {"description": "A read-only key tried to write", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
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
