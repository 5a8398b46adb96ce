#pragma once
/// Everything runhooks offers, in one include.

#include <runhooks/api_key.hpp>
#include <runhooks/api_keys.hpp>
#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/event_type.hpp>
#include <runhooks/history_json.hpp>
#include <runhooks/http_api.hpp>
#include <runhooks/network_policy.hpp>
#include <runhooks/notifier.hpp>
#include <runhooks/outbox.hpp>
#include <runhooks/publisher.hpp>
#include <runhooks/registry.hpp>
#include <runhooks/retry_policy.hpp>
#include <runhooks/run_event.hpp>
#include <runhooks/signing.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/storage_wrapper.hpp>
#include <runhooks/transport.hpp>
#include <runhooks/validation.hpp>
#include <runhooks/version.hpp>
#include <runhooks/webhook.hpp>
#include <runhooks/webhook_json.hpp>
#include <runhooks/worker.hpp>
