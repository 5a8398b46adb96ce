#pragma once
// What every command gets, and how each command group joins the parser.

#include "options.hpp"

#include <runhooks/runhooks.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace runhooks::cli {

/// Exit codes (docs/cli.md and `runhooks help` list them).
constexpr int kOk = 0;
constexpr int kFailed = 1;    ///< storage, not found, conflict, a delivery that did not succeed
constexpr int kUsage = 2;     ///< bad usage or invalid input
constexpr int kNoHooks = 3;   ///< `fire` matched no enabled hook (unless --allow-no-hooks)

struct Context {
  std::string store_option;  ///< --store as given (before or after the command)
  /// --store, else $RUNHOOKS_STORE, else sqlite:./runhooks.db; a plain path means sqlite:PATH.
  std::string store_uri() const;
  Result<std::shared_ptr<Storage>> store() const;
};

/// Prints `error` to stderr; returns 2 for invalid input, 1 otherwise.
int report(const Error& error);

/// What the parsed command does; set by the chosen subcommand's callback and
/// run by main once parsing succeeded.
using Run = std::function<int()>;

/// Each adds its commands to `app`; the one parsed sets `run`. `context`
/// outlives the run.
void add_serve_commands(CLI::App& app, const Context& context, Run& run);     // serve, worker
void add_keys_commands(CLI::App& app, const Context& context, Run& run);      // keys, me
void add_hooks_commands(CLI::App& app, const Context& context, Run& run);     // hooks ...
void add_hook_actions(CLI::App& hooks, const Context& context, Run& run);     // hooks enable, disable, test
void add_fire_command(CLI::App& app, const Context& context, Run& run);       // fire
void add_history_commands(CLI::App& app, const Context& context, Run& run);   // deliveries, attempts
void add_redeliver_commands(CLI::App& app, const Context& context, Run& run); // redeliver, recover
void add_verify_commands(CLI::App& app, const Context& context, Run& run);    // verify, openapi

/// The help text of a command ("" = the overview; "hooks create" for a
/// subcommand), or nullptr when there is none.
const char* help_text(const std::string& command);

}  // namespace runhooks::cli
