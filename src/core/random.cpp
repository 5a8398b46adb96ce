#include "core/random.hpp"

#include "core/encoding.hpp"

#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>

namespace runhooks::detail {

Result<std::string> random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return Error{ErrorCode::internal, {}, "random number generator failed"};
  }
  return bytes;
}

namespace {

// Ids are made several times per delivery, and each RAND_bytes call has a
// fixed cost well above that of the 16 bytes it returns. Ids draw from a
// per-thread block of CSPRNG output instead; a forked child throws its
// inherited blocks away, or parent and child would hand out the same ids.
// Secrets never come from here (random_bytes above).
std::atomic<unsigned> fork_generation{0};

class IdEntropy {
 public:
  bool take(unsigned char* out, std::size_t n) {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, [] { ++fork_generation; }); });
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_ || used_ + n > sizeof block_) {
      if (RAND_bytes(block_, sizeof block_) != 1) return false;
      generation_ = generation;
      used_ = 0;
    }
    std::memcpy(out, block_ + used_, n);
    std::memset(block_ + used_, 0, n);  // handed out once
    used_ += n;
    return true;
  }

 private:
  unsigned char block_[512] = {};
  std::size_t used_ = sizeof block_;
  unsigned generation_ = 0;
};

std::string uuid(unsigned char (&b)[16], int version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10xx (RFC 9562)
  std::string text = hex_encode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  static constexpr std::size_t kDashes[] = {20, 16, 12, 8};  // from the back
  for (std::size_t dash : kDashes) text.insert(dash, 1, '-');
  return text;
}

// The first 60 bits of a version 7 id made now: 48 bits of milliseconds and
// a 12-bit counter (RFC 9562 section 6.2, method 1), strictly increasing in
// this process even for ids made in the same millisecond or by several
// threads. Ids made in random order within a millisecond would land on
// random pages of every index on them; in order they append to the last
// page. A time far behind the latest id (an old event's time) keeps its own
// milliseconds and a random counter: it is not on the hot path. So does a
// time out of range or well ahead of the system clock (a caller's mistake),
// which would otherwise leave every later id behind the latest.
std::uint64_t ordered_prefix(std::int64_t unix_millis, std::uint64_t random_counter) {
  static std::atomic<std::uint64_t> latest{0};
  constexpr std::uint64_t kCounterBits = 12;
  constexpr std::uint64_t kReorderWindow = std::uint64_t{1000} << kCounterBits;  // one second
  constexpr std::int64_t kMaxAhead = 60'000;                                     // one minute
  const std::uint64_t unordered =
      (static_cast<std::uint64_t>(unix_millis) & 0xFFFF'FFFF'FFFFull) << kCounterBits | (random_counter & 0xFFF);
  const std::int64_t system_now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (unix_millis < 0 || unix_millis > system_now + kMaxAhead) return unordered;
  const std::uint64_t wanted = static_cast<std::uint64_t>(unix_millis) << kCounterBits;
  std::uint64_t seen = latest.load(std::memory_order_relaxed);
  for (;;) {
    if (wanted + kReorderWindow < seen) return unordered;
    // A counter running over 4,096 ids in one millisecond carries into the
    // milliseconds: the id is then a little ahead of the clock, as the RFC allows.
    const std::uint64_t next = wanted > seen ? wanted : seen + 1;
    if (latest.compare_exchange_weak(seen, next, std::memory_order_relaxed)) return next;
  }
}

Result<std::string> uuid_from_entropy(std::int64_t unix_millis, int version) {
  thread_local IdEntropy entropy;
  unsigned char b[16];
  if (!entropy.take(b, sizeof b)) return Error{ErrorCode::internal, {}, "random number generator failed"};
  if (version == 7) {
    const std::uint64_t prefix = ordered_prefix(unix_millis, std::uint64_t{b[6]} << 8 | b[7]);
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>((prefix >> (52 - 8 * i)) & 0xFF);
    b[6] = static_cast<unsigned char>((prefix >> 8) & 0x0F);  // the version nibble is set below
    b[7] = static_cast<unsigned char>(prefix & 0xFF);
  }
  return uuid(b, version);
}

}  // namespace

Result<std::string> random_uuid() { return uuid_from_entropy(0, 4); }

Result<std::string> time_ordered_uuid(std::int64_t unix_millis) { return uuid_from_entropy(unix_millis, 7); }

Result<std::string> new_signing_secret(std::size_t bytes) {
  auto key = random_bytes(bytes);
  if (!key) return std::move(key).error();
  return "whsec_" + base64_encode(*key);
}

}  // namespace runhooks::detail
