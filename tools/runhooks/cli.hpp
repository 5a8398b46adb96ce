#pragma once
// What every command gets, and the commands.

#include "args.hpp"

#include <runhooks/runhooks.hpp>

#include <memory>
#include <string>
#include <vector>

namespace runhooks::cli {

/// Exit codes: 0 success, 1 a failure, 2 bad usage or invalid input.
constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct Context {
  std::string store_uri;  ///< --store, else $RUNHOOKS_STORE, else sqlite:./runhooks.db
  Result<std::shared_ptr<Storage>> store() const;
};

/// Prints `error` to stderr; returns 2 for invalid input, 1 otherwise.
int report(const Error& error);

/// A network policy with each `--allow-network` CIDR opened (UsageError if bad).
NetworkPolicy network_policy(const Args& args);

int run_serve(const Context& context, const std::vector<std::string>& argv);
int run_worker(const Context& context, const std::vector<std::string>& argv);
int run_keys(const Context& context, const std::vector<std::string>& argv);
int run_hooks(const Context& context, const std::vector<std::string>& argv);
int run_fire(const Context& context, const std::vector<std::string>& argv);
int run_deliveries(const Context& context, const std::vector<std::string>& argv);
int run_attempts(const Context& context, const std::vector<std::string>& argv);
int run_redeliver(const Context& context, const std::vector<std::string>& argv);
int run_verify(const Context& context, const std::vector<std::string>& argv);
int run_openapi(const Context& context, const std::vector<std::string>& argv);

/// The --help text of a command ("" = the overview).
const char* help_text(const std::string& command);

}  // namespace runhooks::cli
