#pragma once
/// API keys of the management API: created once, stored hashed.

#include <runhooks/api_key.hpp>
#include <runhooks/clock.hpp>
#include <runhooks/error.hpp>
#include <runhooks/export.hpp>
#include <runhooks/storage.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// What a key may reach.
struct ApiKeyScope {
  std::vector<std::string> projects;  ///< the projects in scope, unless all_projects
  bool all_projects = false;
  bool read_only = false;  ///< may list and get, may not create, update, delete, rotate
  std::string label;       ///< for humans; may be empty; valid UTF-8
};

/// A key as created: `key` is the secret bearer token, shown this once.
struct CreatedApiKey {
  ApiKey stored;    ///< what storage keeps (hash, scope)
  std::string key;  ///< `rhk_` + 43 base64url characters (32 random bytes)
};

/// Creates, lists, revokes and checks API keys. Thread-safe.
class RUNHOOKS_EXPORT ApiKeys {
 public:
  /// Shares ownership of `storage`, which must not be null.
  explicit ApiKeys(std::shared_ptr<Storage> storage, std::shared_ptr<const Clock> clock = nullptr);

  /// A new key for `scope`. `invalid_argument` when the scope names no
  /// project (and is not all_projects), a project id breaks its rule or the
  /// label is not valid UTF-8.
  Result<CreatedApiKey> create(const ApiKeyScope& scope);

  /// Every key (hashes, never the keys themselves), oldest first.
  Result<std::vector<ApiKey>> list();

  /// Deletes the key with this id; `not_found` when there is none.
  Result<void> revoke(std::string_view key_id);

  /// The key whose bearer token is `token`, or `unauthenticated` ("Invalid
  /// authentication credentials") for an unknown or malformed one.
  Result<ApiKey> authenticate(std::string_view token);

 private:
  std::shared_ptr<Storage> storage_;
  std::shared_ptr<const Clock> clock_;
};

/// True when `key` may act on `project_id`.
RUNHOOKS_EXPORT bool in_scope(const ApiKey& key, std::string_view project_id);

}  // namespace runhooks
