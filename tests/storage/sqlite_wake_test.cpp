// A worker on a SQLite file learns of another process's notify at once
// (SqliteStorage::subscribe_enqueues, inotify), not at its next poll. Real
// files, real processes (the runhooks tool), a real receiver.

#include <runhooks/runhooks.hpp>

#include "support/eventually.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_receiver.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

// Longer than any test here may take: a delivery seen at all was woken, not polled.
constexpr std::chrono::milliseconds kNeverPolls = std::chrono::seconds(60);
// How long a test waits for what must come well before kNeverPolls.
constexpr std::chrono::milliseconds kPatience = std::chrono::seconds(20);

std::shared_ptr<Storage> open_file(const std::string& path) {
  auto store = open_storage("sqlite:" + path);
  REQUIRE(store);
  return *store;
}

Webhook make_hook(const std::shared_ptr<Storage>& store, const std::string& url) {
  WebhookRegistry registry(store);
  auto hook = registry.create("proj", NewWebhook{url, std::nullopt, std::nullopt, {}});
  REQUIRE(hook);
  return *hook;
}

WorkerOptions polling_once_a_minute() {
  WorkerOptions options;
  REQUIRE(options.network.allow("127.0.0.0/8"));
  options.poll_interval = kNeverPolls;
  return options;
}

// The entries of a /proc/self directory: this process's threads or descriptors.
std::set<std::string> entries(const char* dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir);
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(d);
  return names;
}

// This process's inotify instances and eventfds (SQLite's own descriptors
// come and go on other threads: its checkpointers open theirs when they start).
std::set<int> watcher_fds() {
  std::set<int> fds;
  for (const std::string& name : entries("/proc/self/fd")) {
    char target[256] = {};
    if (readlink(("/proc/self/fd/" + name).c_str(), target, sizeof target - 1) < 0) continue;
    const std::string what = target;
    if (what == "anon_inode:inotify" || what == "anon_inode:[eventfd]") fds.insert(std::stoi(name));
  }
  return fds;
}

Event some_event() { return Event{EventType::run_finish, R"({"event":"RUN_FINISH"})", ""}; }

}  // namespace

TEST_CASE("a worker polling once a minute delivers an event runhooks fire stored from another process", "[sqlite][wake][processes]") {
  TempDir dir;
  const std::string path = dir.file("wake.db");
  auto store = open_file(path);
  TestReceiver receiver;
  make_hook(store, receiver.url());
  Worker worker(store, polling_once_a_minute());
  // Its first claim found nothing: the next poll is a minute away.
  REQUIRE(worker.flush(10s) == FlushResult::idle);

  const ProcessResult fired =
      run_process({RUNHOOKS_CLI, "--store", "sqlite:" + path, "fire", "RUN_FINISH", "--project", "proj"});
  INFO(fired.err);
  REQUIRE(fired.exit_code == 0);

  // Well before the poll: the worker was woken by the other process's commit.
  REQUIRE(receiver.wait_for(1, kPatience));
  REQUIRE(worker.flush(10s) == FlushResult::idle);
  CHECK(worker.stats().succeeded == 1);
}

TEST_CASE("a worker polling once a minute delivers an event stored through another Storage of its file", "[sqlite][wake]") {
  TempDir dir;
  const std::string path = dir.file("wake.db");
  auto worker_store = open_file(path);
  auto other_store = open_file(path);
  TestReceiver receiver;
  make_hook(other_store, receiver.url());
  Worker worker(worker_store, polling_once_a_minute());
  REQUIRE(worker.flush(10s) == FlushResult::idle);

  Publisher publisher(other_store);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(publisher.notify("proj", some_event()));
    REQUIRE(receiver.wait_for(static_cast<std::size_t>(i), kPatience));
  }
  REQUIRE(worker.flush(10s) == FlushResult::idle);
  CHECK(worker.stats().succeeded == 3);
}

TEST_CASE("a SQLite subscription wakes for other Storages' commits and not for its own Storage's", "[sqlite][wake]") {
  TempDir dir;
  const std::string path = dir.file("wake.db");
  auto store = open_file(path);
  auto other = open_file(path);
  make_hook(store, "https://example.com/h");
  std::atomic<bool> foreign_write{false};
  std::atomic<int> wakes{0};
  std::atomic<int> wakes_before_foreign{0};
  auto subscription = store->subscribe_enqueues([&] {
    if (!foreign_write) ++wakes_before_foreign;
    ++wakes;
  });
  REQUIRE(subscription != nullptr);

  // Its own Storage's writes: enqueues, a claim (leases), a hook. The
  // watcher sees each (and the checkpoints they cause) and must stay quiet.
  Publisher own(store);
  for (int i = 0; i < 20; ++i) REQUIRE(own.notify("proj", some_event()));
  ClaimRequest claim;
  claim.owner = "w";
  claim.now = Clock::system().now();
  claim.limit = 100;
  auto claimed = store->claim_due(claim);
  REQUIRE(claimed);
  CHECK(claimed->size() == 20);
  make_hook(store, "https://example.com/h2");
  std::this_thread::sleep_for(200ms);  // time for a wrong wake to show (none may)

  // Another Storage's commit is seen.
  foreign_write = true;
  REQUIRE(Publisher(other).notify("proj", some_event()));
  REQUIRE(eventually([&] { return wakes.load() >= 1; }, kPatience));
  CHECK(wakes_before_foreign.load() == 0);
}

TEST_CASE("releasing a SQLite subscription ends its thread and closes its descriptors", "[sqlite][wake]") {
  TempDir dir;
  const std::string path = dir.file("wake.db");
  auto store = open_file(path);
  auto other = open_file(path);
  make_hook(other, "https://example.com/h");
  const auto threads_before = entries("/proc/self/task");
  const auto fds_before = watcher_fds();
  std::atomic<int> wakes{0};
  auto subscription = store->subscribe_enqueues([&] { ++wakes; });
  REQUIRE(subscription != nullptr);

  CHECK(entries("/proc/self/task").size() == threads_before.size() + 1);
  std::set<int> added;
  for (int fd : watcher_fds()) {
    if (fds_before.count(fd) == 0) added.insert(fd);
  }
  CHECK(added.size() == 2);  // the inotify instance and the eventfd that stops it
  for (int fd : added) {
    INFO("fd " << fd);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);  // not handed to a child the host forks
  }
  REQUIRE(Publisher(other).notify("proj", some_event()));
  REQUIRE(eventually([&] { return wakes.load() >= 1; }, kPatience));

  subscription.reset();  // joins the thread
  CHECK(entries("/proc/self/task") == threads_before);
  CHECK(watcher_fds() == fds_before);
  const int seen = wakes.load();
  REQUIRE(Publisher(other).notify("proj", some_event()));
  std::this_thread::sleep_for(100ms);
  CHECK(wakes.load() == seen);  // nothing is called once the handle is gone
}

TEST_CASE("a SQLite subscription outliving its Storage wakes no one and ends cleanly", "[sqlite][wake]") {
  TempDir dir;
  const std::string path = dir.file("wake.db");
  auto store = open_file(path);
  auto other = open_file(path);
  make_hook(other, "https://example.com/h");
  std::atomic<int> wakes{0};
  auto subscription = store->subscribe_enqueues([&] { ++wakes; });
  REQUIRE(subscription != nullptr);
  store.reset();  // the last reference: the Storage is gone, the watcher not yet
  REQUIRE(Publisher(other).notify("proj", some_event()));
  std::this_thread::sleep_for(100ms);
  CHECK(wakes.load() == 0);
  subscription.reset();
}

TEST_CASE("stores with no file to watch return no subscription", "[sqlite][wake]") {
  for (const char* uri : {"sqlite::memory:", "memory:"}) {
    INFO(uri);
    auto store = open_storage(uri);
    REQUIRE(store);
    CHECK((*store)->subscribe_enqueues([] {}) == nullptr);
  }
}
