// WebhookRegistry on every backend: the C++ face of the management API.

#include <runhooks/runhooks.hpp>

#include "core/encoding.hpp"
#include "support/backends.hpp"
#include "support/bad_utf8.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace runhooks;
using namespace runhooks::test;
using namespace std::chrono_literals;

namespace {

const Timestamp kStart = Timestamp(1795759200000ms);  // 2026-11-27T06:00:00Z

template <class Backend>
struct Fixture {
  Backend backend;
  std::shared_ptr<Storage> store = backend.open();
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(kStart);
  WebhookRegistry registry{store, RegistryOptions{100, 24h, clock}};

  Webhook create(const std::string& project = "proj", const std::string& url = "https://example.com/h") {
    auto hook = registry.create(project, NewWebhook{url, std::nullopt, std::nullopt, {}});
    REQUIRE(hook);
    return *hook;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("create stores a complete hook", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  auto hook = f.registry.create(
      "proj_abc123", NewWebhook{"https://example.com/hook", R"({"Authorization":"Bearer t"})",
                                "CI", {EventType::run_finish, EventType::run_finish}});
  REQUIRE(hook);
  CHECK(std::regex_match(hook->hook_id, std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")));
  CHECK(hook->project_id == "proj_abc123");
  CHECK(hook->url == "https://example.com/hook");
  CHECK(hook->headers == std::string(R"({"Authorization":"Bearer t"})"));
  CHECK(hook->label == std::string("CI"));
  CHECK(hook->hook_events == std::vector<EventType>{EventType::run_finish});
  CHECK(hook->created_at == kStart);
  CHECK(hook->updated_at == kStart);
  CHECK(hook->enabled);
  CHECK(hook->disabled_reason.empty());
  REQUIRE(hook->secret.rfind("whsec_", 0) == 0);
  CHECK(detail::base64_decode(hook->secret.substr(6))->size() == 24);

  auto stored = f.registry.get(hook->hook_id);
  REQUIRE(stored);
  CHECK(*stored == *hook);
}

TEMPLATE_TEST_CASE("list returns a project's hooks oldest first", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(f.create("p1", "https://example.com/" + std::to_string(i)).hook_id);
    f.create("p2");
  }
  auto listed = f.registry.list("p1");
  REQUIRE(listed);
  REQUIRE(listed->size() == 5);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK((*listed)[i].hook_id == ids[i]);
  CHECK(f.registry.list("nobody")->empty());
  CHECK(f.registry.list("").error().field == "projectId");
}

TEMPLATE_TEST_CASE("update is partial and stamps updatedAt", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  auto created = f.registry.create(
      "p", NewWebhook{"https://example.com/a", R"({"X-A":"1"})", "old", {EventType::run_start}});
  REQUIRE(created);
  f.clock->advance(1500ms);

  WebhookPatch label_only;
  label_only.label.set("new");
  auto updated = f.registry.update(created->hook_id, label_only);
  REQUIRE(updated);
  CHECK(updated->label == std::string("new"));
  CHECK(updated->url == created->url);
  CHECK(updated->headers == created->headers);
  CHECK(updated->hook_events == created->hook_events);
  CHECK(updated->created_at == kStart);
  CHECK(updated->updated_at == kStart + 1500ms);

  WebhookPatch clear;
  clear.headers.clear();
  clear.label.clear();
  clear.hook_events = std::vector<EventType>{};
  clear.url = "http://example.org/b";
  updated = f.registry.update(created->hook_id, clear);
  REQUIRE(updated);
  CHECK_FALSE(updated->headers);
  CHECK_FALSE(updated->label);
  CHECK(updated->hook_events.empty());
  CHECK(updated->url == "http://example.org/b");
  CHECK(*f.registry.get(created->hook_id) == *updated);
}

TEMPLATE_TEST_CASE("a rejected update changes nothing", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook before = f.create();
  f.clock->advance(1s);

  auto empty = f.registry.update(before.hook_id, WebhookPatch{});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::invalid_argument);
  CHECK(empty.error().message ==
        "At least one field to update must be provided (url, headers, hookEvents, or label)");

  WebhookPatch bad;
  bad.label.set("fine");
  bad.headers.set(R"({"Host":"evil"})");
  auto refused = f.registry.update(before.hook_id, bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "headers");
  CHECK(*f.registry.get(before.hook_id) == before);
}

TEMPLATE_TEST_CASE("unknown and malformed hook ids are errors, never crashes", "[registry]",
                   RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const std::string unknown = "550e8400-e29b-41d4-a716-446655440000";
  CHECK(f.registry.get(unknown).error().code == ErrorCode::not_found);
  WebhookPatch patch;
  patch.label.set("x");
  CHECK(f.registry.update(unknown, patch).error().code == ErrorCode::not_found);
  CHECK(f.registry.remove(unknown).error().code == ErrorCode::not_found);
  CHECK(f.registry.rotate_secret(unknown).error().code == ErrorCode::not_found);
  for (const char* bad : {"", "x", "550e8400-e29b-41d4-a716-44665544000Z", "'; DROP TABLE hooks; --"}) {
    CHECK(f.registry.get(bad).error().code == ErrorCode::invalid_argument);
    CHECK(f.registry.remove(bad).error().code == ErrorCode::invalid_argument);
  }
  // An uppercase id finds the same hook.
  const Webhook hook = f.create();
  std::string upper = hook.hook_id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(f.registry.get(upper)->hook_id == hook.hook_id);
}

TEMPLATE_TEST_CASE("invalid creates store nothing", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  CHECK(f.registry.create("p", NewWebhook{"ftp://x/", {}, {}, {}}).error().field == "url");
  CHECK(f.registry.create("p", NewWebhook{"https://x/", "[]", {}, {}}).error().field == "headers");
  CHECK(f.registry.create("p", NewWebhook{"https://x/", {}, std::string(256, 'l'), {}}).error().field ==
        "label");
  CHECK(f.registry.create(std::string(256, 'p'), NewWebhook{"https://x/", {}, {}, {}}).error().field ==
        "projectId");
  CHECK(f.registry.list("p")->empty());
}

TEMPLATE_TEST_CASE("remove deletes and reports the hook", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook hook = f.create("proj");
  auto removed = f.registry.remove(hook.hook_id);
  REQUIRE(removed);
  CHECK(removed->hook_id == hook.hook_id);
  CHECK(removed->project_id == "proj");
  CHECK(f.registry.get(hook.hook_id).error().code == ErrorCode::not_found);
  CHECK(f.registry.remove(hook.hook_id).error().code == ErrorCode::not_found);
  CHECK(f.registry.list("proj")->empty());
}

TEMPLATE_TEST_CASE("the per-project cap holds", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  WebhookRegistry registry(store, RegistryOptions{3, 24h, nullptr});
  for (int i = 0; i < 3; ++i) REQUIRE(registry.create("p", NewWebhook{"https://e.com/", {}, {}, {}}));
  auto over = registry.create("p", NewWebhook{"https://e.com/", {}, {}, {}});
  REQUIRE_FALSE(over);
  CHECK(over.error().code == ErrorCode::conflict);
  CHECK_THAT(over.error().message, Catch::Contains("maximum of 3 webhooks"));
  CHECK(registry.list("p")->size() == 3);
  CHECK(registry.create("other", NewWebhook{"https://e.com/", {}, {}, {}}));
}

TEMPLATE_TEST_CASE("rotating the secret keeps the old one for the grace period", "[registry]",
                   RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook hook = f.create();
  f.clock->advance(10s);
  auto rotated = f.registry.rotate_secret(hook.hook_id);
  REQUIRE(rotated);
  CHECK(rotated->secret != hook.secret);
  REQUIRE(rotated->retired_secrets.size() == 1);
  CHECK(rotated->retired_secrets[0].secret == hook.secret);
  CHECK(rotated->retired_secrets[0].expires_at == kStart + 10s + 24h);
  CHECK(*f.registry.get(hook.hook_id) == *rotated);

  CHECK(rotated->signing_secrets(f.clock->now()) ==
        std::vector<std::string>{rotated->secret, hook.secret});
  CHECK(rotated->signing_secrets(kStart + 10s + 24h) == std::vector<std::string>{rotated->secret});

  // A rotation after the grace period drops the expired secret.
  f.clock->advance(25h);
  auto again = f.registry.rotate_secret(hook.hook_id);
  REQUIRE(again);
  REQUIRE(again->retired_secrets.size() == 1);
  CHECK(again->retired_secrets[0].secret == rotated->secret);
}

TEMPLATE_TEST_CASE("disable keeps a reason, enable clears it", "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook hook = f.create();
  auto disabled = f.registry.disable(hook.hook_id, "410 Gone");
  REQUIRE(disabled);
  CHECK_FALSE(disabled->enabled);
  CHECK(disabled->disabled_reason == "410 Gone");
  CHECK_FALSE(f.registry.get(hook.hook_id)->enabled);
  auto enabled = f.registry.enable(hook.hook_id);
  REQUIRE(enabled);
  CHECK(enabled->enabled);
  CHECK(enabled->disabled_reason.empty());
}

TEMPLATE_TEST_CASE("an update enables or disables, dated, and a second disable keeps the first date",
                   "[registry]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook hook = f.create();
  f.clock->advance(1s);
  WebhookPatch off;
  off.enabled = false;
  auto disabled = f.registry.update(hook.hook_id, off);
  REQUIRE(disabled);
  CHECK_FALSE(disabled->enabled);
  CHECK(disabled->disabled_reason == "disabled through the API");
  CHECK(disabled->disabled_at == hook.created_at + 1s);
  CHECK(disabled->updated_at == hook.created_at + 1s);
  CHECK(*f.registry.get(hook.hook_id) == *disabled);  // stored as returned

  f.clock->advance(1s);
  off.disabled_reason = "maintenance";
  auto again = f.registry.update(hook.hook_id, off);
  REQUIRE(again);
  CHECK(again->disabled_reason == "maintenance");
  CHECK(again->disabled_at == hook.created_at + 1s);  // disabled since then still

  f.clock->advance(1s);
  WebhookPatch on;
  on.enabled = true;
  auto enabled = f.registry.update(hook.hook_id, on);
  REQUIRE(enabled);
  CHECK(enabled->enabled);
  CHECK(enabled->disabled_reason.empty());
  CHECK_FALSE(enabled->disabled_at);
  CHECK_FALSE(enabled->failing_since);  // a fresh health window
  CHECK(enabled->updated_at == hook.created_at + 3s);
}

TEMPLATE_TEST_CASE("text that is not valid UTF-8 changes nothing", "[registry][utf8]", RUNHOOKS_TEST_BACKENDS) {
  Fixture<TestType> f;
  const Webhook before = f.create();
  f.clock->advance(1s);
  const auto refused_everywhere = [&](const std::string& prefix, const std::string& suffix, auto make_hook,
                                      auto make_patch, const std::string& field) {
    for (const auto& bad : with_invalid_utf8(prefix, suffix)) {
      INFO(field << ": " << bad.what);
      auto created = f.registry.create("p", make_hook(bad.text));
      REQUIRE_FALSE(created);
      CHECK(created.error().field == field);
      CHECK(created.error().message == field + " must be valid UTF-8");
      auto updated = f.registry.update(before.hook_id, make_patch(bad.text));
      REQUIRE_FALSE(updated);
      CHECK(updated.error().field == field);
    }
  };
  refused_everywhere(
      "https://example.com/", "h", [](const std::string& t) { return NewWebhook{t, {}, {}, {}}; },
      [](const std::string& t) { WebhookPatch p; p.url = t; return p; }, "url");
  refused_everywhere(
      R"({"X-A":")", R"("})", [](const std::string& t) { return NewWebhook{"https://example.com/h", t, {}, {}}; },
      [](const std::string& t) { WebhookPatch p; p.headers.set(t); return p; }, "headers");
  refused_everywhere(
      "CI ", "hooks", [](const std::string& t) { return NewWebhook{"https://example.com/h", {}, t, {}}; },
      [](const std::string& t) { WebhookPatch p; p.label.set(t); return p; }, "label");
  for (const auto& bad : with_invalid_utf8("proj", "_1")) {
    INFO(bad.what);
    CHECK(f.registry.create(bad.text, NewWebhook{"https://example.com/h", {}, {}, {}}).error().field ==
          "projectId");
    CHECK(f.registry.list(bad.text).error().field == "projectId");
    auto disabled = f.registry.disable(before.hook_id, "gone " + bad.text);
    REQUIRE_FALSE(disabled);
    CHECK(disabled.error().field == "reason");
    CHECK(disabled.error().message == "reason must be valid UTF-8");
  }
  CHECK(f.registry.disable(before.hook_id, std::string("gone\0now", 8)).error().message ==
        "reason must not contain a NUL character");
  // The report's case: 20,000 characters of headers behind a stray 0xBB.
  const std::string reported = "\xbb{\"X-Pad\":\"" + std::string(20'000 - 13, 'a') + "\"}";
  REQUIRE(reported.size() == 20'000);
  CHECK(f.registry.create("p", NewWebhook{"https://example.com/h", reported, {}, {}}).error().field == "headers");
  CHECK(f.registry.list("p")->empty());
  CHECK(*f.registry.get(before.hook_id) == before);
}

namespace {
// Fails every insert, as a full disk would: the registry must pass the error on.
class FailingInserts final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<void> insert_hook(const Webhook&, std::size_t) override {
    return Error{ErrorCode::internal, {}, "disk I/O error"};
  }
};
}  // namespace

TEST_CASE("storage failures reach the caller as errors", "[registry]") {
  auto store = std::make_shared<FailingInserts>(open_storage("memory:").value());
  WebhookRegistry registry(store);
  auto created = registry.create("p", NewWebhook{"https://e.com/", {}, {}, {}});
  REQUIRE_FALSE(created);
  CHECK(created.error().code == ErrorCode::internal);
  CHECK(created.error().message == "disk I/O error");
  CHECK(registry.list("p")->empty());
}
