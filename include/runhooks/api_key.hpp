#pragma once
/// API keys of the management API, as stored: hashed, never in clear.

#include <runhooks/clock.hpp>

#include <string>
#include <vector>

namespace runhooks {

/// A stored API key. The key itself is shown once, when created; storage
/// keeps only its SHA-256 (lowercase hex), which is what lookups use.
struct ApiKey {
  std::string key_id;                 ///< public identifier, e.g. for revoke
  std::string key_hash;               ///< SHA-256 of the key, lowercase hex
  std::string label;                  ///< free text for humans; may be empty
  std::vector<std::string> projects;  ///< projects in scope, unless all_projects
  bool all_projects = false;          ///< scope: every project
  bool read_only = false;             ///< may read, may not create/update/delete
  Timestamp created_at;

  friend bool operator==(const ApiKey& a, const ApiKey& b) {
    return a.key_id == b.key_id && a.key_hash == b.key_hash &&
           a.label == b.label && a.projects == b.projects &&
           a.all_projects == b.all_projects && a.read_only == b.read_only &&
           a.created_at == b.created_at;
  }
};

}  // namespace runhooks
