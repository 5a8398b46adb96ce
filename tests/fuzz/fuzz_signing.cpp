// Standard Webhooks signing (signing.hpp). The input is five parts, one a
// line, the last taking the rest:
//
//   secret \n id \n timestamp \n webhook-signature header \n body
//
// verify_webhook sees them as they are (any strings: no crash, and a
// signature is only ever accepted when it is the one the secret makes);
// sign_webhook signs id and body at the timestamp (or a fixed one when that
// line is not a number), and then: the signature verifies, alone or among
// others; a secret is accepted only when it is base64 (whsec_ optional); and
// one flipped bit in the body, the id, the timestamp or the signature never
// verifies.

#include <runhooks/signing.hpp>

#include "reference.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDefaultTimestamp = 1700000000;  // 2023-11-14

runhooks::Timestamp at(std::int64_t seconds) { return runhooks::Timestamp(std::chrono::seconds(seconds)); }

// RFC 4648 §4 base64, padded, at least one byte: what the secret (after an
// optional whsec_) must be.
bool reference_base64(std::string_view text) {
  if (text.substr(0, 6) == "whsec_") text.remove_prefix(6);
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    const char c = text[i];
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!alphabet) return false;
  }
  return true;
}

// Unix seconds written plainly, within what a Timestamp (milliseconds) holds.
bool plain_seconds(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 12) return false;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return std::to_string(value) == text;  // no leading zeros
}

bool verifies(std::string_view secret, std::string_view id, std::string_view timestamp, std::string_view body,
              std::string_view header, std::int64_t now) {
  return runhooks::verify_webhook(secret, id, timestamp, body, header, at(now)).ok();
}

// Every byte position (up to 64 of them, spread over the text) with one bit
// flipped, chosen from the position so that each run checks the same ones.
std::vector<std::string> flipped(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  const std::size_t step = text.size() <= 64 ? 1 : text.size() / 64;
  for (std::size_t i = 0; i < text.size(); i += step) {
    std::string copy(text);
    copy[i] = static_cast<char>(copy[i] ^ (1 << (i % 8)));
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fuzz::split_lines(std::string_view(reinterpret_cast<const char*>(data), size), 4);
  const std::string_view secret = parts[0], id = parts[1], timestamp_text = parts[2], header = parts[3],
                         body = parts[4];
  std::int64_t timestamp = kDefaultTimestamp;
  const bool plain = plain_seconds(timestamp_text, timestamp);

  // Whatever arrives in the headers: no crash; accepted only with the right signature.
  const auto given = runhooks::sign_webhook(secret, id, timestamp, body);
  if (verifies(secret, id, timestamp_text, body, header, timestamp) && plain) {
    fuzz::check(given.ok(), "verified with a secret that cannot sign");
    bool found = false;
    std::string_view rest = header;
    while (!rest.empty() && !found) {
      const auto space = rest.find(' ');
      found = rest.substr(0, space) == *given;
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    fuzz::check(found, "verified without the signature the secret makes");
  }

  fuzz::check(given.ok() == reference_base64(secret), given ? "accepted a secret that is not base64" : "refused a base64 secret");
  if (!given) {
    fuzz::check(given.error().field == "secret", "a bad secret is refused on another field");
    fuzz::check(!verifies(secret, id, timestamp_text, body, "v1,", timestamp), "verified with a bad secret");
    return 0;
  }
  const std::string& signature = *given;
  fuzz::check(signature.size() == 47 && signature.compare(0, 3, "v1,") == 0, "signature is not v1, + 44 base64", signature);
  const std::string ts = std::to_string(timestamp);

  // The round trip, alone, among others, in a rotation, at the edges of the tolerance.
  fuzz::check(verifies(secret, id, ts, body, signature, timestamp), "a signature does not verify");
  fuzz::check(verifies(secret, id, ts, body, "v1,bm90IHRoaXM= " + signature + " v2,x", timestamp),
              "a signature among others does not verify");
  const auto rotation = runhooks::signature_header({"whsec_b3RoZXIgc2VjcmV0IGtleQ==", std::string(secret)}, id, timestamp, body);
  fuzz::check(rotation.ok() && verifies(secret, id, ts, body, *rotation, timestamp), "a rotation header does not verify");
  fuzz::check(verifies(secret, id, ts, body, signature, timestamp + 300), "5 minutes late does not verify");
  fuzz::check(!verifies(secret, id, ts, body, signature, timestamp + 301), "over 5 minutes late verifies");
  fuzz::check(!verifies(secret, id, ts, body, signature, timestamp - 301), "over 5 minutes early verifies");
  const std::string bare(secret.substr(0, 6) == "whsec_" ? secret.substr(6) : secret);
  const auto unprefixed = runhooks::sign_webhook(bare, id, timestamp, body);
  fuzz::check(unprefixed.ok() && *unprefixed == signature, "whsec_ changes the signature");

  // One bit flipped anywhere: never verifies.
  for (const std::string& b : flipped(body)) fuzz::check(!verifies(secret, id, ts, b, signature, timestamp), "flipped body verifies");
  for (const std::string& i : flipped(id)) fuzz::check(!verifies(secret, i, ts, body, signature, timestamp), "flipped id verifies");
  for (const std::string& t : flipped(ts)) fuzz::check(!verifies(secret, id, t, body, signature, timestamp), "flipped timestamp verifies");
  for (const std::string& s : flipped(signature)) {
    fuzz::check(!verifies(secret, id, ts, body, s, timestamp), "flipped signature verifies");
  }
  return 0;
}
