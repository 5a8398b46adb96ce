// Ids and secrets: UUID v4, time-ordered UUID v7, signing secrets, and a
// forked child that does not repeat its parent's.

#include "core/encoding.hpp"
#include "core/random.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <regex>
#include <set>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

using namespace runhooks;
using namespace std::chrono_literals;

TEST_CASE("ids are UUID v4 and secrets are whsec_ + 24 random bytes", "[core]") {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto id = runhooks::detail::random_uuid();
    REQUIRE(id);
    CHECK(std::regex_match(*id, uuid_v4));
    seen.insert(*id);
  }
  CHECK(seen.size() == 200);
  auto secret = runhooks::detail::new_signing_secret();
  REQUIRE(secret);
  REQUIRE(secret->rfind("whsec_", 0) == 0);
  const auto key = runhooks::detail::base64_decode(secret->substr(6));
  REQUIRE(key);
  CHECK(key->size() == 24);
}

TEST_CASE("time-ordered ids sort by time and carry version 7", "[core]") {
  const std::regex uuid_v7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const auto early = runhooks::detail::time_ordered_uuid(1'700'000'000'000);
  const auto late = runhooks::detail::time_ordered_uuid(1'700'000'000'001);
  REQUIRE(early);
  REQUIRE(late);
  CHECK(std::regex_match(*early, uuid_v7));
  CHECK(early->substr(0, 13) == "018bcfe5-6800");  // 48 bits of milliseconds
  CHECK(*early < *late);
}

TEST_CASE("time-ordered ids made in one millisecond still sort in the order they were made", "[core]") {
  // Ids in order append to an index's last page instead of random pages.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  std::string previous = runhooks::detail::time_ordered_uuid(now).value();
  for (int i = 0; i < 10'000; ++i) {  // more than the 12-bit counter holds: it carries into the time
    const std::string next = runhooks::detail::time_ordered_uuid(now).value();
    REQUIRE(previous < next);
    previous = next;
  }
  // An id for a time well in the past keeps its own time.
  const auto old = runhooks::detail::time_ordered_uuid(1'700'000'000'000);
  REQUIRE(old);
  CHECK(old->substr(0, 13) == "018bcfe5-6800");
  // A time far ahead (a caller's mistake) does not hold back the ids after it.
  REQUIRE(runhooks::detail::time_ordered_uuid(now + 86'400'000));
  const std::string after = runhooks::detail::time_ordered_uuid(now + 10).value();
  CHECK(previous < after);
}

TEST_CASE("a forked child does not repeat the parent's ids", "[core]") {
  (void)runhooks::detail::random_uuid();  // the parent holds a block of entropy
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string id = runhooks::detail::random_uuid().value_or("");
    (void)!write(fds[1], id.data(), id.size());
    _exit(0);
  }
  close(fds[1]);
  char buffer[64] = {};
  const ssize_t n = read(fds[0], buffer, sizeof buffer);
  close(fds[0]);
  waitpid(child, nullptr, 0);
  REQUIRE(n == 36);
  CHECK(std::string(buffer, 36) != runhooks::detail::random_uuid().value());
}
