#include "server/response_text.hpp"

#include <boost/beast/http/status.hpp>

namespace runhooks::cli {

namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string response_text(const ApiResponse& response, ConnectionHeader connection) {
  namespace http = boost::beast::http;
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(response.status)));
  std::string out;
  out.reserve(160 + response.body.size());
  out += "HTTP/1.1 " + std::to_string(response.status) + " ";
  out.append(reason.data(), reason.size());
  out += "\r\nContent-Type: " + response.content_type;
  out += "\r\nContent-Length: " + std::to_string(response.body.size());
  if (connection == ConnectionHeader::close) out += "\r\nConnection: close";
  if (connection == ConnectionHeader::keep_alive) out += "\r\nConnection: keep-alive";
  for (const auto& [name, value] : response.headers) out += "\r\n" + name + ": " + value;
  out += "\r\n\r\n";
  out += response.body;
  return out;
}

std::string response_text(const Refusal& refusal) {
  ApiResponse response;
  response.status = refusal.status;
  response.body = R"({"status":"FAILED","error":)" + json_string(refusal.message) + "}";
  return response_text(response, ConnectionHeader::close);
}

}  // namespace runhooks::cli
