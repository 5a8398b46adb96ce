#include "http/envelope.hpp"

#include "core/json_writer.hpp"

namespace runhooks {

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::permission_denied: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::conflict: return 409;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

namespace detail {

ApiResponse ok_response(int status, std::string_view data_json) {
  ApiResponse response;
  response.status = status;
  response.body.reserve(data_json.size() + 24);
  response.body.append(R"({"status":"OK","data":)").append(data_json).append("}");
  return response;
}

ApiResponse ok_page_response(std::string_view data_json, std::string_view next_cursor) {
  ApiResponse response = ok_response(200, data_json);
  response.body.pop_back();
  response.body.append(",\"nextCursor\":");
  if (next_cursor.empty()) {
    response.body.append("null");
  } else {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_string(w, next_cursor);
    response.body.append(json_text(buffer));
  }
  response.body.append("}");
  return response;
}

ApiResponse failed_response(int status, std::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("status");
  w.String("FAILED");
  w.Key("error");
  write_string(w, message);
  w.EndObject();
  ApiResponse response;
  response.status = status;
  response.body = json_text(buffer);
  return response;
}

ApiResponse error_response(const Error& error, bool from_body) {
  const int status = http_status(error.code);
  switch (error.code) {
    case ErrorCode::invalid_argument:
      return failed_response(status, from_body ? "Invalid request body: " + error.message : error.message);
    case ErrorCode::not_found: return failed_response(status, "Not found");
    case ErrorCode::unauthenticated: return failed_response(status, "Invalid authentication credentials");
    case ErrorCode::permission_denied:
    case ErrorCode::conflict: return failed_response(status, error.message);
    case ErrorCode::unavailable: return failed_response(status, "Service unavailable: storage is busy, try again");
    case ErrorCode::internal: break;
  }
  return failed_response(status, "Internal error");
}

std::string json_object_with(std::string_view name, std::string_view value) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_string(w, name);
  write_string(w, value);
  w.EndObject();
  return json_text(buffer);
}

}  // namespace detail
}  // namespace runhooks
