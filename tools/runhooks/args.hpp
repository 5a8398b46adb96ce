#pragma once
// Command-line arguments: `--name value`, `--name=value`, boolean `--flag`,
// repeatable options, and positionals. A misuse throws UsageError, which main
// turns into a message and exit code 2.

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace runhooks::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  /// Parses `argv` against the options a command knows: `valued` take a
  /// value, `flags` do not. Anything else starting with "--" is an error.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
       const std::set<std::string>& flags);

  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;  ///< the last one given
  std::string required(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;      ///< every one given
  const std::vector<std::string>& positional() const { return positional_; }
  /// The i-th positional, or a UsageError naming `what`.
  std::string positional(std::size_t i, const std::string& what) const;
  /// Refuses positionals beyond the first `n`.
  void at_most(std::size_t n) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace runhooks::cli
