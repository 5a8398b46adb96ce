// HttpApi (http_api.hpp) on a memory: store holding two hooks in proj_a, two
// in proj_b, and three API keys: read-write on proj_a, read-only on proj_a,
// read-write on all projects. The input is up to four requests separated by
// a line "====", each six parts, one a line, the last taking the rest:
//
//   key \n method \n path \n query \n content type \n body
//
// key is rw, ro, all or none, or else the Authorization header itself.
// {A1} {A2} {B1} {B2} (and {B1U}, upper case) stand for the hooks' ids,
// {RW} {RO} {ALL} for the keys, anywhere in a request.
//
// Every answer: a documented status (a memory: store is never busy and has
// no internal error to report, so 500 and 503 count as failures); a JSON
// object {"status":"OK","data":...} for 2xx, {"status":"FAILED","error":"..."}
// otherwise (GET /openapi.json excepted: the document itself); Allow with 405.
// A key scoped to proj_a never sees proj_b's hooks or secrets, never changes
// them, and gets the same answer for a proj_b hook or project as for one that
// does not exist. The read-only key never changes anything and never sees a
// secret. A request no key authenticates changes nothing.

#include <runhooks/api_keys.hpp>
#include <runhooks/http_api.hpp>
#include <runhooks/registry.hpp>
#include <runhooks/storage.hpp>
#include <runhooks/storage_wrapper.hpp>

#include "reference.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using fuzz::check;
using fuzz::Json;
using runhooks::Result;
using runhooks::Storage;
using runhooks::Webhook;

const std::string kProjectA = "proj_a";
const std::string kProjectB = "proj_b";
const std::string kUnknownHook = "00000000-0000-4000-8000-000000000000";
const std::string kUnknownProject = "proj_c";

// Remembers what was written and which key was looked up.
class Recorder : public runhooks::StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;

  std::vector<std::string> writes;  // the project of each hook written; "*" for anything else
  std::string key_hash;             // of the last key found

  void reset() {
    writes.clear();
    key_hash.clear();
  }

  Result<void> insert_hook(const Webhook& hook, std::size_t max) override {
    auto r = StorageWrapper::insert_hook(hook, max);
    if (r) writes.push_back(hook.project_id);
    return r;
  }
  Result<Webhook> modify_hook(std::string_view id, const std::function<Result<void>(Webhook&)>& change) override {
    auto r = StorageWrapper::modify_hook(id, change);
    if (r) writes.push_back(r->project_id);
    return r;
  }
  Result<Webhook> delete_hook(std::string_view id) override {
    auto r = StorageWrapper::delete_hook(id);
    if (r) writes.push_back(r->project_id);
    return r;
  }
  Result<runhooks::ApiKey> find_api_key(std::string_view hash) override {
    auto r = StorageWrapper::find_api_key(hash);
    if (r) key_hash = r->key_hash;
    return r;
  }
  Result<void> insert_api_key(const runhooks::ApiKey& key) override { return other(StorageWrapper::insert_api_key(key)); }
  Result<void> delete_api_key(std::string_view id) override { return other(StorageWrapper::delete_api_key(id)); }
  Result<runhooks::EnqueueResult> enqueue(const runhooks::OutboxEvent& event) override {
    return other(StorageWrapper::enqueue(event));
  }
  Result<runhooks::Delivery> reschedule_delivery(std::string_view id, runhooks::Timestamp when,
                                                 runhooks::AttemptTrigger trigger) override {
    auto r = StorageWrapper::reschedule_delivery(id, when, trigger);
    if (r) writes.push_back(r->project_id);
    return r;
  }
  Result<runhooks::EnqueueResult> enqueue_to_hook(const runhooks::OutboxEvent& event, std::string_view hook_id,
                                                  runhooks::AttemptTrigger trigger) override {
    auto r = StorageWrapper::enqueue_to_hook(event, hook_id, trigger);
    if (r) writes.push_back(event.project_id);
    return r;
  }
  Result<std::size_t> purge_attempts(runhooks::Timestamp before) override {
    return other(StorageWrapper::purge_attempts(before));
  }
  Result<std::size_t> purge_events(runhooks::Timestamp before, std::size_t limit) override {
    return other(StorageWrapper::purge_events(before, limit));
  }

 private:
  template <class R>
  R other(R result) {
    if (result) writes.push_back("*");
    return result;
  }
};

struct Fixture {
  std::shared_ptr<Storage> memory = runhooks::open_storage("memory:").value();
  std::shared_ptr<Recorder> store = std::make_shared<Recorder>(memory);
  std::map<std::string, std::string> keys;         // rw, ro, all -> bearer token
  std::map<std::string, std::string> key_names;    // hash -> rw, ro, all
  std::map<std::string, std::string> placeholders;
  std::set<std::string> b_ids;
  std::unique_ptr<runhooks::HttpApi> api;

  Fixture() {
    runhooks::ApiKeys api_keys(store);
    const std::pair<const char*, runhooks::ApiKeyScope> scopes[] = {
        {"rw", {{kProjectA}, false, false, "rw"}},
        {"ro", {{kProjectA}, false, true, "ro"}},
        {"all", {{}, true, false, "all"}}};
    for (const auto& [name, scope] : scopes) {
      auto created = api_keys.create(scope);
      check(created.ok(), "fixture: key");
      keys[name] = created->key;
      key_names[created->stored.key_hash] = name;
    }
    placeholders = {{"{RW}", keys["rw"]}, {"{RO}", keys["ro"]}, {"{ALL}", keys["all"]}};
    runhooks::WebhookRegistry registry(store);
    auto add = [&](const std::string& project, const char* name, runhooks::NewWebhook hook) {
      auto created = registry.create(project, hook);
      check(created.ok(), "fixture: hook");
      placeholders[name] = created->hook_id;
      if (project == kProjectB) b_ids.insert(created->hook_id);
    };
    add(kProjectA, "{A1}", {"https://a.example/1", std::nullopt, std::nullopt, {}});
    add(kProjectA, "{A2}", {"https://a.example/2", R"({"X-A":"a"})", "a two", {runhooks::EventType::run_start}});
    add(kProjectB, "{B1}", {"https://b.example/1", R"({"X-B":"b"})", "b one", {}});
    add(kProjectB, "{B2}", {"http://b.example:8080/2", std::nullopt, "b two", {runhooks::EventType::run_finish}});
    std::string upper = placeholders["{B1}"];
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
      return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    placeholders["{B1U}"] = upper;
    b_ids.insert(upper);
    store->reset();
    runhooks::HttpApiOptions options;
    options.max_body_bytes = 2048;                    // 413 within reach of the fuzzer
    options.registry.max_hooks_per_project = 4;       // and 409
    options.max_waiting_tests = 0;                    // a test send with ?wait: 429, never a wait
    api = std::make_unique<runhooks::HttpApi>(store, options);
  }

  std::string substitute(std::string_view text) const {
    std::string out(text);
    for (const auto& [name, value] : placeholders) {
      for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at + value.size())) {
        out.replace(at, name.size(), value);
      }
    }
    return out;
  }

  std::vector<Webhook> hooks(const std::string& project) const {
    auto listed = memory->list_hooks(project);
    check(listed.ok(), "fixture: list");
    return *listed;
  }
};

bool is_failure_status(int status) {
  static const std::set<int> kDocumented = {400, 401, 403, 404, 405, 409, 413, 415, 429};
  return kDocumented.count(status) != 0;
}

// Every object member `name` anywhere in `value`.
void collect(const Json& value, std::string_view name, std::vector<const Json*>& out) {
  for (const auto& item : value.items) collect(item, name, out);
  for (const auto& [key, member] : value.members) {
    if (key.text == name) out.push_back(&member);
    collect(member, name, out);
  }
}

void check_envelope(const runhooks::ApiRequest& request, const runhooks::ApiResponse& response) {
  const bool ok_status = response.status == 200 || response.status == 201 || response.status == 202;
  check(ok_status || is_failure_status(response.status), "status outside the documented set",
        std::to_string(response.status));
  if (response.content_type.rfind("text/plain", 0) == 0) {  // the Prometheus text of /metrics
    check(response.status == 200 && request.path.find("metrics") != std::string::npos, "text for something else");
    return;
  }
  check(response.content_type == "application/json", "content type is not JSON", response.content_type);
  if (response.status == 201) check(request.method == "POST", "201 for something else than a POST");
  if (response.status == 405) {
    const bool allow = std::any_of(response.headers.begin(), response.headers.end(),
                                   [](const auto& header) { return header.first == "Allow"; });
    check(allow, "405 without Allow");
  }
  if (response.status == 200 && response.body == runhooks::openapi_document()) return;
  const fuzz::JsonParse body = fuzz::parse_json(response.body);
  check(body.valid() && body.value.kind == Json::Kind::object, "body is not a JSON object (of UTF-8)", response.body);
  const Json* status = body.value.member("status");
  check(status != nullptr && status->kind == Json::Kind::string, "body without status", response.body);
  const bool health = body.value.members.size() == 1 && status->text == "OK";  // GET /healthz
  if (health) {
    check(request.path.find("healthz") != std::string::npos, "a bare OK for something else", response.body);
    return;
  }
  const bool page = body.value.member("nextCursor") != nullptr;  // a page of deliveries
  check(body.value.members.size() == (page ? 3u : 2u), "body is not status and one more member", response.body);
  if (ok_status) {
    check(status->text == "OK" && body.value.member("data") != nullptr, "2xx is not OK with data", response.body);
  } else {
    const Json* error = body.value.member("error");
    check(status->text == "FAILED" && error != nullptr && error->kind == Json::Kind::string && !error->text.empty(),
          "failure is not FAILED with an error", response.body);
  }
}

// Nothing of proj_b's in what a proj_a key got.
void check_nothing_of_b(const Fixture& f, const runhooks::ApiResponse& response,
                        const std::set<std::string>& b_secrets) {
  for (const std::string& secret : b_secrets) {
    check(response.body.find(secret) == std::string::npos, "a proj_a key got a proj_b secret");
  }
  const fuzz::JsonParse body = fuzz::parse_json(response.body);
  if (!body.valid()) return;  // the openapi document
  std::vector<const Json*> found;
  collect(body.value, "projectId", found);
  for (const Json* project : found) check(project->text == kProjectA, "a proj_a key saw another project", project->text);
  found.clear();
  collect(body.value, "hookId", found);
  for (const Json* id : found) check(f.b_ids.count(id->text) == 0, "a proj_a key saw a proj_b hook", id->text);
}

std::set<std::string> secrets_of(const std::vector<Webhook>& hooks) {
  std::set<std::string> out;
  for (const Webhook& hook : hooks) {
    out.insert(hook.secret);
    for (const auto& retired : hook.retired_secrets) out.insert(retired.secret);
  }
  return out;
}

// The request with every proj_b hook id and project in it made unknown.
runhooks::ApiRequest without_b(const Fixture& f, runhooks::ApiRequest request) {
  for (const std::string& id : f.b_ids) {
    for (auto at = request.path.find(id); at != std::string::npos; at = request.path.find(id)) {
      request.path.replace(at, id.size(), kUnknownHook);
    }
  }
  for (auto at = request.query.find(kProjectB); at != std::string::npos; at = request.query.find(kProjectB)) {
    request.query.replace(at, kProjectB.size(), kUnknownProject);
  }
  return request;
}

void run_request(Fixture& f, std::string_view text) {
  const auto parts = fuzz::split_lines(text, 5);
  runhooks::ApiRequest request;
  const std::string key(parts[0]);
  if (key == "rw" || key == "ro" || key == "all") request.authorization = "Bearer " + f.keys[key];
  else if (key != "none") request.authorization = f.substitute(key);
  request.method = std::string(parts[1]);
  request.path = f.substitute(parts[2]);
  request.query = f.substitute(parts[3]);
  request.content_type = std::string(parts[4]);
  request.body = f.substitute(parts[5]);

  const auto a_before = f.hooks(kProjectA);
  const auto b_before = f.hooks(kProjectB);
  f.store->reset();
  const runhooks::ApiResponse response = f.api->handle(request);
  check_envelope(request, response);

  const auto named = f.key_names.find(f.store->key_hash);
  const std::string who = named == f.key_names.end() ? "none" : named->second;
  const std::vector<std::string> writes = f.store->writes;
  if (response.status == 401) {
    check(response.body == R"({"status":"FAILED","error":"Invalid authentication credentials"})", "401 body",
          response.body);
  }
  if (who == "none" || who == "ro") {
    check(writes.empty(), who == "ro" ? "the read-only key wrote" : "a request without a key wrote");
    check(f.hooks(kProjectA) == a_before && f.hooks(kProjectB) == b_before, "storage changed without a write key");
  }
  if (who == "ro") {
    const auto a_secrets = secrets_of(a_before);
    for (const std::string& secret : a_secrets) {
      check(response.body.find(secret) == std::string::npos, "the read-only key got a secret");
    }
  }
  if (who == "rw" || who == "ro") {
    for (const std::string& project : writes) check(project == kProjectA, "a proj_a key wrote elsewhere", project);
    check(f.hooks(kProjectB) == b_before, "a proj_a key changed proj_b");
    check_nothing_of_b(f, response, secrets_of(b_before));
    // No existence oracle: a proj_b hook or project answers as an unknown one.
    // (A refusal changed nothing, so asking again is safe.)
    const runhooks::ApiRequest unknown = without_b(f, request);
    const bool refused = response.status >= 400;
    if (refused && (unknown.path != request.path || unknown.query != request.query)) {
      f.store->reset();
      const runhooks::ApiResponse other = f.api->handle(unknown);
      check(other.status == response.status && other.body == response.body,
            "a proj_b hook or project answers unlike an unknown one", response.body + " vs " + other.body);
      check(f.hooks(kProjectB) == b_before, "a proj_a key changed proj_b");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture f;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 4 && !input.empty(); ++i) {
    const auto separator = input.find("\n====\n");
    run_request(f, input.substr(0, separator));
    input = separator == std::string_view::npos ? std::string_view() : input.substr(separator + 6);
  }
  return 0;
}
