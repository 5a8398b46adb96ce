#pragma once
// How `hooks` commands print a hook, a list of hooks, a secret.

#include <runhooks/runhooks.hpp>

#include <string>
#include <vector>

namespace runhooks::cli {

/// The wire-format Webhook objects with --json, else a table.
void print_hooks(const std::vector<Webhook>& hooks, bool json);
/// The wire-format Webhook object with --json, else one field a line.
void print_hook(const Webhook& hook, bool json);
/// `{"secret":...}` with --json, else the secret alone.
void print_secret(const std::string& secret, bool json);

}  // namespace runhooks::cli
