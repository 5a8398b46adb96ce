#pragma once
// Stand-ins for the delivery loop's collaborators: a transport that throws
// where told, and a store whose attempt writes fail, as on a full disk. And
// a store of any backend with a registry, for delivery tests run on several.

#include "support/backends.hpp"

#include <runhooks/runhooks.hpp>
#include <runhooks/storage_wrapper.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace runhooks::test {

/// Throws on the first send (or not), and from poll on its first
/// `poll_throws` calls; otherwise answers 200 to everything, from poll.
class FlakyTransport final : public Transport {
 public:
  explicit FlakyTransport(bool first_send_throws = true, int poll_throws = 0)
      : first_send_throws_(first_send_throws), poll_throws_(poll_throws) {}
  void send(HttpRequest, Completion done) override {
    if (++sends_ == 1 && first_send_throws_) throw std::runtime_error("boom");
    pending_.push_back(std::move(done));
  }
  void poll(std::chrono::milliseconds max_wait) override {
    if (++polls_ <= poll_throws_) throw std::runtime_error("poll failed");
    if (pending_.empty()) {
      std::this_thread::sleep_for(std::min(max_wait, std::chrono::milliseconds(5)));
      return;
    }
    auto done = std::move(pending_.front());
    pending_.pop_front();
    HttpResult ok;
    ok.status_code = 200;
    done(ok);
  }
  void wakeup() override {}
  std::size_t in_flight() const override { return pending_.size(); }

 private:
  bool first_send_throws_;
  int poll_throws_;
  int sends_ = 0;
  int polls_ = 0;
  std::deque<Completion> pending_;
};

/// A store whose attempt writes fail while `failing` is set, as a full disk.
class FailingWrites final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::vector<Result<CompletedAttempt>>> complete_attempts(std::string_view owner,
                                                                  const std::vector<AttemptResult>& results) override {
    if (failing) return Error{ErrorCode::unavailable, {}, "disk I/O error"};
    return StorageWrapper::complete_attempts(owner, results);
  }
  std::atomic<bool> failing{true};
};

/// A fresh store of `Backend` (support/backends.hpp) with a registry, as
/// NotifierFixture is for SQLite alone.
template <typename Backend>
struct StoreFixture {
  Backend backend;
  std::shared_ptr<Storage> store = backend.open();
  WebhookRegistry registry{store};

  /// A hook of project "proj".
  Webhook hook(const std::string& url, std::optional<std::string> headers = std::nullopt,
               std::vector<EventType> events = {}) {
    auto created = registry.create("proj", NewWebhook{url, std::move(headers), std::nullopt, std::move(events)});
    REQUIRE(created);
    return *created;
  }

  /// The delivery's attempts, newest first.
  std::vector<Attempt> attempts_of(const std::string& delivery_id) {
    auto attempts = store->list_attempts(AttemptFilter{delivery_id, "", 100});
    REQUIRE(attempts);
    return *attempts;
  }
};

}  // namespace runhooks::test
