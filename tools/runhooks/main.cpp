// runhooks: the command-line face of the library (see `runhooks help`).

#include "cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>

namespace runhooks::cli {

std::string Context::store_uri() const {
  if (!store_option.empty()) return cli::store_uri(store_option);
  const char* env = std::getenv("RUNHOOKS_STORE");
  return env != nullptr && *env != '\0' ? cli::store_uri(env) : "sqlite:./runhooks.db";
}

Result<std::shared_ptr<Storage>> Context::store() const { return open_storage(store_uri()); }

int report(const Error& error) {
  std::fprintf(stderr, "runhooks: %s\n", error.message.c_str());
  return error.code == ErrorCode::invalid_argument ? kUsage : kFailed;
}

namespace {

// Where the words of the command line are: the command, its subcommand,
// and whether help was asked for. `--store` may come anywhere.
struct Words {
  std::string command;
  std::string sub;          ///< the first word after the command, if not an option
  std::string help_topic;   ///< set when help was asked for ("" = overview)
  bool help = false;
  bool version = false;
};

Words scan(const std::vector<std::string>& args) {
  Words w;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--store") {
      ++i;
    } else if (a == "--help" || a == "-h") {
      w.help = true;
    } else if (a == "--version" && words.empty()) {
      w.version = true;
    } else if (a.empty() || a[0] != '-') {
      words.push_back(a);
    } else if (words.size() < 2) {
      words.push_back("");  // an option before the subcommand: there is none
    }
  }
  if (!words.empty()) w.command = words[0];
  if (words.size() > 1) w.sub = words[1];
  if (w.command == "help") {
    w.help = true;
    w.help_topic = w.sub;
    if (words.size() > 2 && !words[2].empty()) w.help_topic += " " + words[2];
  } else if (w.help) {
    w.help_topic = w.command;
    if (!w.sub.empty() && help_text(w.command + " " + w.sub) != nullptr) w.help_topic += " " + w.sub;
  }
  return w;
}

// CLI11's "The following argument(s) were not expected: X" said as before.
std::string usage_message(const CLI::ParseError& e) {
  std::string message = e.what();
  const auto extra = message.find("not expected: ");
  if (extra == std::string::npos) return message;
  std::string arg = message.substr(extra + 14);
  arg = arg.substr(0, arg.find(' '));
  return arg.rfind("-", 0) == 0 && arg.size() > 1 ? "unknown option " + arg : "unexpected argument '" + arg + "'";
}

int print_help(const std::string& topic) {
  const char* text = help_text(topic);
  if (text == nullptr) {
    std::fprintf(stderr, "runhooks: no help for '%s' (see runhooks help)\n", topic.c_str());
    return kUsage;
  }
  std::fputs(text, stdout);
  return kOk;
}

bool has_subcommand(CLI::App& app, const std::string& name) {
  try {
    app.get_subcommand(name);
    return true;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

void add_commands(CLI::App& app, const Context& context, Run& run) {
  add_serve_commands(app, context, run);
  add_keys_commands(app, context, run);
  add_hooks_commands(app, context, run);
  add_fire_command(app, context, run);
  add_history_commands(app, context, run);
  add_redeliver_commands(app, context, run);
  add_verify_commands(app, context, run);
}

}  // namespace

}  // namespace runhooks::cli

int main(int argc, char** argv) {
  using namespace runhooks::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const Words words = scan(args);
  if (words.version) {
    std::printf("runhooks %s\n", runhooks::kVersion);
    return kOk;
  }
  if (words.help) return print_help(words.help_topic);
  if (words.command.empty()) {
    std::fputs(help_text(""), stderr);
    return kUsage;
  }

  Context context;
  Run run;
  CLI::App app("runhooks", "runhooks");
  app.set_help_flag();      // help is ours: `runhooks help`, `COMMAND --help`
  app.fallthrough();        // --store after the command reaches the top level
  app.require_subcommand(1);
  app.add_option("--store", context.store_option, "sqlite:PATH, a plain PATH, memory:, postgresql://...");
  add_commands(app, context, run);

  const std::set<std::string> groups = {"hooks", "keys"};
  const std::string where = groups.count(words.command) != 0 && !words.sub.empty() &&
                                    help_text(words.command + " " + words.sub) != nullptr
                                ? words.command + " " + words.sub
                                : words.command;
  if (!has_subcommand(app, words.command)) {
    std::fprintf(stderr, "runhooks: unknown command '%s' (see runhooks help)\n", words.command.c_str());
    return kUsage;
  }
  if (groups.count(words.command) != 0 && !words.sub.empty() && where == words.command) {
    std::fprintf(stderr, "runhooks %s: unknown subcommand '%s' (see runhooks help %s)\n", words.command.c_str(),
                 words.sub.c_str(), words.command.c_str());
    return kUsage;
  }
  try {
    app.parse(argc, argv);
    return run ? run() : kUsage;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "runhooks %s: %s (see runhooks help %s)\n", where.c_str(), usage_message(e).c_str(),
                 where.c_str());
    return kUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "runhooks %s: %s (see runhooks help %s)\n", where.c_str(), e.what(), where.c_str());
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runhooks %s: %s\n", where.c_str(), e.what());
    return kFailed;
  }
}
