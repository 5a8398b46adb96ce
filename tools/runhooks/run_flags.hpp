#pragma once
// `fire`'s flags that build a run payload without a file (--run-url,
// --build-id, --tag, --commit-sha, --passes, ...): each sets one member of
// the wire format's run payload, over what --payload gave.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace runhooks::cli {

struct RunFlags {
  std::map<std::string, std::string> strings;         ///< top-level member -> value (runUrl, buildId, groupId)
  std::map<std::string, std::string> commit;          ///< commit member -> value (sha, branch, ...)
  std::map<std::string, std::int64_t> counts;         ///< overall, passes, ... (0 or more)
  std::vector<std::string> tags;                      ///< --tag, repeatable: replaces the payload's tags
};

/// Adds the flags to `fire`; their values land in `flags` when parsed.
void add_run_flags(CLI::App& fire, RunFlags& flags);

/// `payload` (a JSON object) with the members the flags set; a payload that
/// is not a JSON object is returned as it is (the payload check refuses it).
std::string apply_run_flags(const std::string& payload, const RunFlags& flags);

}  // namespace runhooks::cli
