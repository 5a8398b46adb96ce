// runhooks: the command-line face of the library (see `runhooks --help`).

#include "cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>

namespace runhooks::cli {

Result<std::shared_ptr<Storage>> Context::store() const { return open_storage(store_uri); }

int report(const Error& error) {
  std::fprintf(stderr, "runhooks: %s\n", error.message.c_str());
  return error.code == ErrorCode::invalid_argument ? kUsage : kFailed;
}

NetworkPolicy network_policy(const Args& args) {
  NetworkPolicy policy;
  for (const std::string& cidr : args.all("allow-network")) {
    if (auto allowed = policy.allow(cidr); !allowed) throw UsageError(allowed.error().message);
  }
  return policy;
}

}  // namespace runhooks::cli

int main(int argc, char** argv) {
  using namespace runhooks::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  Context context;
  const char* env = std::getenv("RUNHOOKS_STORE");
  context.store_uri = env != nullptr && *env != '\0' ? env : "sqlite:./runhooks.db";

  // Global options come before the command.
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    if (args[i] == "--store" && i + 1 < args.size()) {
      context.store_uri = args[++i];
    } else if (args[i].rfind("--store=", 0) == 0) {
      context.store_uri = args[i].substr(8);
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(help_text(""), stdout);
      return kOk;
    } else if (args[i] == "--version") {
      std::printf("runhooks %s\n", runhooks::kVersion);
      return kOk;
    } else {
      break;
    }
  }
  if (i == args.size()) {
    std::fputs(help_text(""), stderr);
    return kUsage;
  }
  const std::string command = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  for (const std::string& a : rest) {
    if (a == "--help" || a == "-h") {
      std::string topic = command;
      if ((command == "keys" || command == "hooks") && !rest.empty() && rest[0] != a) topic += " " + rest[0];
      std::fputs(help_text(topic), stdout);
      return kOk;
    }
  }

  using Runner = int (*)(const Context&, const std::vector<std::string>&);
  static const std::map<std::string, Runner> commands = {
      {"serve", run_serve},           {"worker", run_worker},     {"keys", run_keys},
      {"hooks", run_hooks},           {"fire", run_fire},         {"deliveries", run_deliveries},
      {"attempts", run_attempts},     {"redeliver", run_redeliver}, {"verify", run_verify},
      {"openapi", run_openapi},
  };
  const auto found = commands.find(command);
  if (found == commands.end()) {
    std::fprintf(stderr, "runhooks: unknown command '%s' (see runhooks --help)\n", command.c_str());
    return kUsage;
  }
  try {
    return found->second(context, rest);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "runhooks %s: %s (see runhooks %s --help)\n", command.c_str(), e.what(),
                 command.c_str());
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runhooks %s: %s\n", command.c_str(), e.what());
    return kFailed;
  }
}
