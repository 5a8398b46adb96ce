#include "server/request_head.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <cctype>

namespace runhooks::cli {

namespace http = boost::beast::http;

namespace {

std::size_t count(const http::request_header<>& head, http::field name) {
  const auto range = head.equal_range(name);
  return static_cast<std::size_t>(std::distance(range.first, range.second));
}

std::string lowercase_trimmed(boost::beast::string_view text) {
  std::string out;
  for (const char c : text) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const auto first = out.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(" \t") - first + 1);
}

bool visible_ascii(boost::beast::string_view text) {
  for (const char c : text) {
    if (c <= 0x20 || c >= 0x7F) return false;  // char is signed: bytes over 0x7F are negative
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path percent-decoded; nothing if an escape is malformed or makes a
// control character or a slash.
std::optional<std::string> decode_path(boost::beast::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out.push_back(path[i]);
      continue;
    }
    const int high = i + 1 < path.size() ? hex_value(path[i + 1]) : -1;
    const int low = i + 2 < path.size() ? hex_value(path[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    const int byte = high * 16 + low;
    // An escaped slash would route as a separator (/webhooks/ID%2Fsecret).
    if (byte < 0x20 || byte == 0x7F || byte == '/') return std::nullopt;
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

// "/p?q" or "http://host/p?q" -> "/p?q" ("/" for "http://host?q").
std::optional<std::string> origin_form(boost::beast::string_view target) {
  if (!target.empty() && target.front() == '/') return std::string(target);
  const auto scheme_end = target.find("://");
  if (scheme_end == boost::beast::string_view::npos) return std::nullopt;
  const auto scheme = lowercase_trimmed(target.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const auto rest = target.substr(scheme_end + 3);
  const auto path = rest.find_first_of("/?");
  if (path == boost::beast::string_view::npos) return std::string("/");
  if (rest[path] == '?') return "/" + std::string(rest.substr(path));
  return std::string(rest.substr(path));
}

Refusal bad_request(std::string message) { return Refusal{400, std::move(message)}; }

}  // namespace

std::variant<AcceptedHead, Refusal> examine_head(const http::request_header<>& head) {
  if (head.version() == 11 && count(head, http::field::host) != 1) {
    return bad_request("An HTTP/1.1 request needs exactly one Host header");
  }
  const std::size_t codings = count(head, http::field::transfer_encoding);
  if (codings != 0 && head.version() == 10) {
    // RFC 9112 §6.1: an HTTP/1.0 hop does not know chunked framing.
    return bad_request("Transfer-Encoding in an HTTP/1.0 request");
  }
  if (codings != 0) {
    // Beast allows codings before `chunked`, and reads a request whose last
    // coding is not `chunked` as having no body: a proxy may read it otherwise.
    const auto coding = lowercase_trimmed(head[http::field::transfer_encoding]);
    if (coding != "chunked") {
      if (coding.size() > 7 && coding.compare(coding.size() - 7, 7, "chunked") == 0) {
        return Refusal{501, "Transfer-Encoding other than chunked is not supported"};
      }
      return bad_request("Transfer-Encoding must end with chunked");
    }
  }
  if (count(head, http::field::authorization) > 1) return bad_request("More than one Authorization header");
  if (count(head, http::field::content_type) > 1) return bad_request("More than one Content-Type header");

  const auto target = head.target();
  if (!visible_ascii(target)) return bad_request("Invalid request target");
  const auto origin = origin_form(target);
  if (!origin) return bad_request("Invalid request target");
  const auto question = origin->find('?');
  auto path = decode_path(boost::beast::string_view(*origin).substr(0, question));
  if (!path) return bad_request("Invalid request target: bad or forbidden percent-encoding in the path");

  AcceptedHead accepted;
  accepted.request.method = std::string(head.method_string());
  accepted.request.path = std::move(*path);
  if (question != std::string::npos) accepted.request.query = origin->substr(question + 1);
  accepted.request.authorization = std::string(head[http::field::authorization]);
  accepted.request.content_type = std::string(head[http::field::content_type]);
  accepted.request.if_none_match = std::string(head[http::field::if_none_match]);
  if (count(head, http::field::expect) > 1) return bad_request("More than one Expect header");
  if (count(head, http::field::expect) != 0) {
    if (lowercase_trimmed(head[http::field::expect]) != "100-continue") {
      return Refusal{417, "Only Expect: 100-continue is supported"};
    }
    accepted.expects_continue = head.version() == 11;
  }
  return accepted;
}

Refusal refusal_for(const boost::beast::error_code& error, const ServerOptions& options) {
  if (error == http::error::header_limit) {
    return Refusal{431, "Request header fields too large (limit " + std::to_string(options.max_header_bytes) +
                            " bytes, " + std::to_string(options.max_header_fields) + " fields)"};
  }
  if (error == http::error::bad_target) return bad_request("Invalid request target");
  if (error == http::error::bad_content_length) return bad_request("Invalid or conflicting Content-Length");
  if (error == http::error::bad_transfer_encoding) {
    return bad_request("Invalid Transfer-Encoding, or one sent with Content-Length");
  }
  if (error == http::error::bad_version) return bad_request("Malformed request line, or not HTTP/1.0 or HTTP/1.1");
  if (error == http::error::bad_chunk || error == http::error::bad_chunk_extension) {
    return bad_request("Malformed chunked body");
  }
  return bad_request("Malformed request");
}

Refusal folded_header() { return bad_request("Header lines must not be folded (obs-fold)"); }

Refusal request_line_too_long(const ServerOptions& options) {
  return Refusal{414, "Request line too long (limit " + std::to_string(options.max_request_line_bytes) + " bytes)"};
}

}  // namespace runhooks::cli
