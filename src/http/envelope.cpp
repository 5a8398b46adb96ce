#include "http/envelope.hpp"

#include "core/json_writer.hpp"

namespace runhooks::detail {

ApiResponse ok_response(int status, std::string_view data_json) {
  ApiResponse response;
  response.status = status;
  response.body.reserve(data_json.size() + 24);
  response.body.append(R"({"status":"OK","data":)").append(data_json).append("}");
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
  switch (error.code) {
    case ErrorCode::invalid_argument:
      return failed_response(400, from_body ? "Invalid request body: " + error.message : error.message);
    case ErrorCode::not_found: return failed_response(404, "Not found");
    case ErrorCode::unauthenticated: return failed_response(401, "Invalid authentication credentials");
    case ErrorCode::permission_denied: return failed_response(403, error.message);
    case ErrorCode::conflict: return failed_response(409, error.message);
    case ErrorCode::unavailable: return failed_response(503, "Service unavailable: storage is busy, try again");
    case ErrorCode::internal: return failed_response(500, "Internal error");
  }
  return failed_response(500, "Internal error");
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

}  // namespace runhooks::detail
