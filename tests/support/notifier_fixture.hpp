#pragma once
// A SQLite store, a registry and notifier options tuned for tests: loopback
// allowed, a short retry schedule without jitter, fast polling. And a
// notifier that only stores, for what notify accepts and how it stores it.

#include "support/backends.hpp"
#include "support/test_receiver.hpp"

#include <runhooks/runhooks.hpp>

#include <catch2/catch.hpp>

namespace runhooks::test {

inline RunEvent sample_run(EventType type, const std::string& run = "run-1") {
  RunEvent e;
  e.type = type;
  e.run_url = "https://app.example.com/run/" + run;
  e.build_id = "build-" + run;
  e.tags = {"smoke", "nightly"};
  e.commit = Commit{"5a7edc9a156e417068060d67109021351fc7d9b8", "feature-A", "John Doe",
                    "john@doe.com", "feat: change button color", "https://github.com/org/repo.git",
                    std::string("main")};
  e.overall = 10;
  e.passes = type == EventType::run_start ? 0 : 9;
  e.failures = type == EventType::run_start ? 0 : 1;
  return e;
}

struct NotifierFixture {
  SqliteBackend backend;
  std::shared_ptr<Storage> store = backend.open();
  WebhookRegistry registry{store};

  static NotifierOptions options() {
    NotifierOptions o;
    REQUIRE(o.network.allow("127.0.0.0/8"));
    o.retry.schedule = {std::chrono::milliseconds(30), std::chrono::milliseconds(30)};
    o.retry.jitter = 0.0;
    o.poll_interval = std::chrono::milliseconds(20);
    o.connect_timeout = std::chrono::seconds(2);
    o.total_timeout = std::chrono::seconds(5);
    return o;
  }

  Webhook hook(const std::string& url, std::vector<EventType> events = {},
               std::optional<std::string> headers = std::nullopt, const std::string& project = "proj") {
    auto created = registry.create(project, NewWebhook{url, std::move(headers), std::nullopt, std::move(events)});
    REQUIRE(created);
    return *created;
  }

  std::vector<Attempt> attempts_of(const std::string& delivery_id) {
    auto attempts = store->list_attempts(AttemptFilter{delivery_id, "", 100});
    REQUIRE(attempts);
    return *attempts;  // newest first
  }
};

/// A notifier that only stores (deliver = false), and a hook of project
/// "proj" that receives every event.
struct QuietNotifier {
  NotifierFixture f;
  Webhook hook = f.hook("https://example.com/h");
  Notifier notifier{f.store, quiet_options()};

  static NotifierOptions quiet_options() {
    NotifierOptions options = NotifierFixture::options();
    options.deliver = false;
    return options;
  }
  std::size_t stored_deliveries() {
    return f.store->list_deliveries(DeliveryFilter{"proj", "", "", std::nullopt, 100, {}, {}})->size();
  }
  std::string ordering_key_of(const Result<NotifyReceipt>& receipt) {
    REQUIRE(receipt);
    REQUIRE(receipt->delivery_ids.size() == 1);
    return f.store->get_delivery(receipt->delivery_ids[0])->ordering_key;
  }
};

}  // namespace runhooks::test
