// Every field rule of validation.hpp against a reference written here from
// the documented rule (README, "Validation"). The whole input goes to every
// validator; they must agree with the reference exactly, except validate_url,
// which libcurl parses: an accepted URL must have the simple properties, and
// a URL of a plain shape must be accepted.

#include <runhooks/event_type.hpp>
#include <runhooks/validation.hpp>

#include "reference.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Refusals are invalid_argument on the field, with a message.
void check_refusal(const runhooks::Error& error, std::string_view field) {
  fuzz::check(error.code == runhooks::ErrorCode::invalid_argument, "refusal is not invalid_argument", error.message);
  fuzz::check(error.field == field, "refusal names another field", error.field);
  fuzz::check(!error.message.empty(), "refusal without a message");
}

template <class R>
void agree(const R& result, bool expected, std::string_view field, const char* what) {
  if (static_cast<bool>(result) != expected) fuzz::fail(what, expected ? "reference accepts" : "reference refuses");
  if (!result) check_refusal(result.error(), field);
}

// label: 1 to 255 code points of valid UTF-8, no NUL.
bool reference_label(std::string_view text) {
  const auto cps = fuzz::decode_utf8(text);
  return cps && !cps->empty() && cps->size() <= 255 && !has_nul(text);
}

// projectId: 1 to 255 printable ASCII characters, space included.
bool reference_project_id(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

// hookId: 8-4-4-4-12 hex digits, either case.
bool reference_hook_id(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

// RFC 9110 §5.6.2 tchar.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool is_reserved(const std::string& lower_name) {
  static const std::set<std::string> kReserved = {
      "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
      "host", "x-timestamp", "connection", "transfer-encoding", "te", "upgrade", "keep-alive",
      "trailer", "expect"};
  return kReserved.count(lower_name) != 0 || lower_name.compare(0, 6, "proxy-") == 0;
}

// headers: at most 4096 code points of valid UTF-8 (no NUL) holding a JSON
// object of string values; names RFC 9110 tokens, unique ignoring case, not
// reserved; values with no control character but tab and no escaped lone
// surrogate.
bool reference_headers(std::string_view text) {
  const auto cps = fuzz::decode_utf8(text);
  if (!cps || cps->size() > 4096 || has_nul(text)) return false;
  const fuzz::JsonParse parsed = fuzz::parse_json(text);
  // Too deep to tell: such nesting can only be in a value, which must be a string.
  if (!parsed.valid() || parsed.value.kind != fuzz::Json::Kind::object) return false;
  std::set<std::string> seen;
  for (const auto& [name, value] : parsed.value.members) {
    if (!is_token(name.text)) return false;
    const std::string lower_name = lowercase(name.text);
    if (is_reserved(lower_name) || !seen.insert(lower_name).second) return false;
    if (value.kind != fuzz::Json::Kind::string || value.lone_surrogate) return false;
    for (char c : value.text) {
      const auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7F) return false;
    }
  }
  return true;
}

// What any accepted url has (README: at most 2048 characters; http:// or
// https://, scheme in any case, then a host; no whitespace or control
// characters; valid UTF-8).
void check_accepted_url(std::string_view url) {
  const auto cps = fuzz::decode_utf8(url);
  fuzz::check(cps.has_value(), "accepted url is not UTF-8");
  fuzz::check(!cps->empty() && cps->size() <= 2048, "accepted url length");
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    fuzz::check(byte > 0x20 && byte != 0x7F, "accepted url has a space or control character");
  }
  const std::string head = lowercase(url.substr(0, 8));
  const std::size_t scheme = head.compare(0, 7, "http://") == 0 ? 4 : head.compare(0, 8, "https://") == 0 ? 5 : 0;
  fuzz::check(scheme != 0, "accepted url is not http:// or https://");
  fuzz::check(url.size() > scheme + 3 && url[scheme + 3] != '/', "accepted url has no host");
}

// A plain URL every URL parser takes: http(s)://letters[.letters...][:port][/path].
bool plain_url(std::string_view url) {
  const std::string head = lowercase(url.substr(0, 8));
  std::size_t i = head.compare(0, 7, "http://") == 0 ? 7 : head.compare(0, 8, "https://") == 0 ? 8 : 0;
  if (i == 0 || url.size() > 2048) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto alnum = [&](char c) { return letter(c) || (c >= '0' && c <= '9'); };
  while (true) {  // labels, each starting with a letter
    if (i >= url.size() || !letter(url[i])) return false;
    while (i < url.size() && alnum(url[i])) ++i;
    if (i < url.size() && url[i] == '.') { ++i; continue; }
    break;
  }
  if (i < url.size() && url[i] == ':') {
    const std::size_t start = ++i;
    while (i < url.size() && url[i] >= '0' && url[i] <= '9') ++i;
    const std::string_view port = url.substr(start, i - start);
    if (port.empty() || port.size() > 5 || port[0] == '0' || std::stol(std::string(port)) > 65535) return false;
  }
  if (i == url.size()) return true;
  if (url[i] != '/') return false;
  for (; i < url.size(); ++i) {
    if (!alnum(url[i]) && std::string_view("._~/-").find(url[i]) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  agree(runhooks::validate_utf8(text, "field"), fuzz::is_utf8(text), "field", "validate_utf8 disagrees");
  agree(runhooks::validate_label(text), reference_label(text), "label", "validate_label disagrees");
  agree(runhooks::validate_project_id(text), reference_project_id(text), "projectId",
        "validate_project_id disagrees");
  agree(runhooks::validate_headers(text), reference_headers(text), "headers", "validate_headers disagrees");

  const auto hook_id = runhooks::canonical_hook_id(text);
  agree(hook_id, reference_hook_id(text), "hookId", "canonical_hook_id disagrees");
  if (hook_id) fuzz::check(*hook_id == lowercase(text), "canonical hook id is not the lowercase input", *hook_id);

  const auto event = runhooks::parse_event_type(text);
  const bool known = text == "RUN_START" || text == "RUN_FINISH" || text == "RUN_TIMEOUT" || text == "RUN_CANCELED";
  fuzz::check(event.has_value() == known, "parse_event_type disagrees");
  if (event) fuzz::check(runhooks::to_string(*event) == text, "event name does not round-trip");

  const auto url = runhooks::validate_url(text);
  if (url) check_accepted_url(text);
  else check_refusal(url.error(), "url");
  if (plain_url(text)) fuzz::check(url.ok(), "a plain url is refused", url ? "" : url.error().message);
  return 0;
}
