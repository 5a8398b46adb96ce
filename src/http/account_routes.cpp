// GET /me and GET /projects: what a client (the console) learns of its key.

#include "core/json_writer.hpp"
#include "http/api_context.hpp"
#include "http/envelope.hpp"

#include <algorithm>

namespace runhooks::detail {

namespace {

ApiResponse me(const ApiKey& key) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("keyId"); write_string(w, key.key_id);
  w.Key("label"); write_string(w, key.label);
  w.Key("allProjects"); w.Bool(key.all_projects);
  w.Key("projects");
  if (key.all_projects) {
    w.Null();
  } else {
    w.StartArray();
    for (const std::string& project : key.projects) write_string(w, project);
    w.EndArray();
  }
  w.Key("readOnly"); w.Bool(key.read_only);
  w.EndObject();
  return ok_response(200, json_text(buffer));
}

// A key for every project sees those that have hooks; a scoped key sees its
// own projects, hooks or not (so a console can create the first one).
ApiResponse projects(ApiContext& context, const ApiKey& key) {
  std::vector<std::string> ids = key.projects;
  if (key.all_projects) {
    auto stored = context.storage->list_project_ids();
    if (!stored) return error_response(stored.error(), false);
    ids = std::move(*stored);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const std::string& id : ids) {
    w.StartObject();
    w.Key("projectId"); write_string(w, id);
    w.EndObject();
  }
  w.EndArray();
  return ok_response(200, json_text(buffer));
}

}  // namespace

ApiResponse account_routes(ApiContext& context, const ApiRequest& request, const ApiKey& key,
                           const PathSegments& parts) {
  if (parts.size() != 1) return failed_response(404, "Not found");
  if (request.method != "GET") return method_not_allowed("GET");
  return parts[0] == "me" ? me(key) : projects(context, key);
}

}  // namespace runhooks::detail
