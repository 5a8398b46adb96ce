#include "args.hpp"

namespace runhooks::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
           const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (flags.count(name) != 0) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      values_[name].push_back("");
    } else if (valued.count(name) != 0) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
        inline_value = argv[++i];
      }
      values_[name].push_back(*inline_value);
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
}

bool Args::has(const std::string& name) const { return values_.count(name) != 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second.back();
}

std::string Args::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw UsageError("--" + name + " is required");
  return *v;
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto found = values_.find(name);
  return found == values_.end() ? std::vector<std::string>{} : found->second;
}

std::string Args::positional(std::size_t i, const std::string& what) const {
  if (i >= positional_.size()) throw UsageError(what + " is required");
  return positional_[i];
}

void Args::at_most(std::size_t n) const {
  if (positional_.size() > n) throw UsageError("unexpected argument '" + positional_[n] + "'");
}

}  // namespace runhooks::cli
