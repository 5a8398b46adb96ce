#include "core/random.hpp"

#include "core/encoding.hpp"

#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
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

Result<std::string> uuid_from_entropy(std::int64_t unix_millis, int version) {
  thread_local IdEntropy entropy;
  unsigned char b[16];
  if (!entropy.take(b, sizeof b)) return Error{ErrorCode::internal, {}, "random number generator failed"};
  if (version == 7) {
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>((unix_millis >> (40 - 8 * i)) & 0xFF);
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
