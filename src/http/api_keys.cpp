#include <runhooks/api_keys.hpp>
#include <runhooks/validation.hpp>

#include "core/encoding.hpp"
#include "core/random.hpp"
#include "model/stored_text.hpp"

#include <algorithm>
#include <cassert>

namespace runhooks {

namespace {

constexpr std::string_view kKeyPrefix = "rhk_";

// base64url without padding (RFC 4648 §5): safe in a header and a shell.
std::string base64url(std::string_view bytes) {
  std::string text = detail::base64_encode(bytes);
  for (char& c : text) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  text.erase(std::find(text.begin(), text.end(), '='), text.end());
  return text;
}

Error unauthenticated() {
  return Error{ErrorCode::unauthenticated, {}, "Invalid authentication credentials"};
}

}  // namespace

ApiKeys::ApiKeys(std::shared_ptr<Storage> storage, std::shared_ptr<const Clock> clock)
    : storage_(std::move(storage)), clock_(std::move(clock)) {
  assert(storage_ != nullptr);
}

Result<CreatedApiKey> ApiKeys::create(const ApiKeyScope& scope) {
  if (!scope.all_projects && scope.projects.empty()) {
    return Error::invalid("projects", "a key needs at least one project, or all projects");
  }
  for (const std::string& project : scope.projects) {
    if (auto valid = validate_project_id(project); !valid) return std::move(valid).error();
  }
  if (auto valid = detail::validate_stored_text(scope.label, "label"); !valid) return std::move(valid).error();
  auto secret = detail::random_bytes(32);
  if (!secret) return std::move(secret).error();
  auto id = detail::random_bytes(8);
  if (!id) return std::move(id).error();

  CreatedApiKey created;
  created.key = std::string(kKeyPrefix) + base64url(*secret);
  created.stored.key_id = "key_" + detail::hex_encode(*id);
  created.stored.key_hash = detail::sha256_hex(created.key);
  created.stored.label = scope.label;
  created.stored.projects = scope.all_projects ? std::vector<std::string>{} : scope.projects;
  created.stored.all_projects = scope.all_projects;
  created.stored.read_only = scope.read_only;
  created.stored.created_at = clock_ ? clock_->now() : Clock::system().now();
  if (auto stored = storage_->insert_api_key(created.stored); !stored) return std::move(stored).error();
  return created;
}

Result<std::vector<ApiKey>> ApiKeys::list() { return storage_->list_api_keys(); }

Result<void> ApiKeys::revoke(std::string_view key_id) { return storage_->delete_api_key(key_id); }

Result<ApiKey> ApiKeys::authenticate(std::string_view token) {
  if (token.substr(0, kKeyPrefix.size()) != kKeyPrefix || token.size() > 200) return unauthenticated();
  // Looked up by hash: the comparison is on a digest, so its timing tells
  // nothing about the key.
  auto key = storage_->find_api_key(detail::sha256_hex(token));
  if (!key) {
    if (key.error().code == ErrorCode::not_found) return unauthenticated();
    return key;
  }
  return key;
}

bool in_scope(const ApiKey& key, std::string_view project_id) {
  return key.all_projects ||
         std::find(key.projects.begin(), key.projects.end(), project_id) != key.projects.end();
}

}  // namespace runhooks
