// Group commit: notifies from many threads share SQLite commits, each still
// answered with its own receipt or refusal, none stored twice or lost.

#include <runhooks/runhooks.hpp>

#include "storage/group_commit.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace runhooks;
using namespace runhooks::test;

namespace {

using Batcher = detail::GroupCommit<int, int>;

}  // namespace

TEST_CASE("group commit: callers that arrive during a write go together in the next batch, in order",
          "[storage][group_commit]") {
  Batcher batcher;
  std::mutex seen_mutex;
  std::vector<std::vector<int>> batches;
  std::atomic<bool> first_started{false};
  const auto write = [&](std::vector<Batcher::Entry*>& batch) {
    std::vector<int> requests;
    for (Batcher::Entry* entry : batch) {
      requests.push_back(*entry->request);
      entry->response = *entry->request * 10;
    }
    {
      std::lock_guard lock(seen_mutex);
      batches.push_back(requests);
    }
    if (!first_started.exchange(true)) {
      // Hold the first write until the three others wait behind it.
      while (batcher.queued() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };

  int first_response = 0;
  std::thread first([&] { first_response = batcher.submit(1, write); });
  while (!first_started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<int> responses(3);
  std::vector<std::thread> others;
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&, i] { responses[static_cast<std::size_t>(i)] = batcher.submit(2 + i, write); });
    // One at a time into the queue, so its order is known. (The third
    // releases the first write, after which the queue empties.)
    while (i < 2 && batcher.queued() < static_cast<std::size_t>(i + 1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  first.join();
  for (auto& t : others) t.join();

  CHECK(first_response == 10);
  CHECK(responses == std::vector<int>{20, 30, 40});
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == std::vector<int>{1});
  CHECK(batches[1] == std::vector<int>{2, 3, 4});
  CHECK(batcher.largest_batch() == 3);
}

TEST_CASE("group commit: SQLite notifies from eight threads are each stored once and answered alone",
          "[storage][group_commit][sqlite]") {
  TempDir dir;
  auto store = open_storage("sqlite:" + dir.file("outbox.db")).value();
  WebhookRegistry registry(store);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(registry.create("p", NewWebhook{"https://example.com/h" + std::to_string(i), std::nullopt, std::nullopt, {}}));
  }

  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::mutex results_mutex;
  std::map<std::string, EnqueueResult> stored;  // by event id
  std::vector<Error> refused;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        OutboxEvent event;
        event.event_id = "00000000-0000-4000-8000-" + std::to_string(100000000000 + t * 1000 + i);
        event.project_id = "p";
        event.payload = "{\"thread\":" + std::to_string(t) + ",\"n\":" + std::to_string(i) + "}";
        event.created_at = Timestamp(std::chrono::milliseconds(1'700'000'000'000 + i));
        // Every thread uses the keys k0..k9, each with a payload of its own:
        // the first to store a key wins, the seven others are refused as
        // conflicts, whether in the same batch or a later one.
        if (i % 15 == 0) event.idempotency_key = "k" + std::to_string(i / 15);
        auto result = store->enqueue(event);
        std::lock_guard lock(results_mutex);
        if (result) {
          stored.emplace(result->event_id, *result);
        } else {
          refused.push_back(result.error());
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  CHECK(refused.size() == 70);
  for (const Error& error : refused) CHECK(error.code == ErrorCode::conflict);
  std::size_t new_events = 0;
  std::set<std::string> delivery_ids;
  for (const auto& [id, receipt] : stored) {
    ++new_events;
    CHECK_FALSE(receipt.duplicate);
    CHECK(receipt.delivery_ids.size() == 3);
    for (const std::string& delivery : receipt.delivery_ids) {
      CHECK(delivery_ids.insert(delivery).second);
      auto read = store->get_delivery(delivery);
      REQUIRE(read);
      CHECK(read->event_id == id);
    }
  }
  CHECK(new_events == static_cast<std::size_t>(kThreads * kPerThread - 70));
  auto pending = store->count_pending();
  REQUIRE(pending);
  CHECK(*pending == delivery_ids.size());
}
