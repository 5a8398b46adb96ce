#include "options.hpp"

#include <runhooks/transport.hpp>

#include <cctype>
#include <limits>
#include <sstream>

namespace runhooks::cli {

namespace {

constexpr const char* kEventNames = "RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED";

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Runs the library's check on the option's text; its message, which starts
// with the field's name, is said after the option's name instead.
CLI::Validator ca_check(bool directory) {
  return CLI::Validator(
      [directory](std::string& text) -> std::string {
        if (text.empty()) return directory ? "needs a directory" : "needs a file";
        auto checked = directory ? check_ca_trust("", text) : check_ca_trust(text, "");
        if (checked) return {};
        const Error& error = checked.error();
        return error.message.rfind(error.field + " ", 0) == 0 ? error.message.substr(error.field.size() + 1)
                                                                : error.message;
      },
      directory ? "DIR" : "FILE");
}

}  // namespace

// Checks the text before CLI11 converts it, so that the message says what
// the option needs rather than "Could not convert".
CLI::Validator whole_number(std::int64_t min, std::int64_t max) {
  const std::string need = max == std::numeric_limits<std::int64_t>::max()
                               ? "needs a whole number, " + std::to_string(min) + " or more"
                               : "needs a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, need](std::string& text) -> std::string {
        std::size_t used = 0;
        long long value = 0;
        try {
          value = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (text.empty() || used != text.size() || std::isspace(static_cast<unsigned char>(text[0])) ||
            value < min || value > max) {
          return need + " (got '" + text + "')";
        }
        return {};
      },
      "INT");
}

CLI::Option* add_number(CLI::App& app, const std::string& name, std::int64_t& value, std::int64_t min,
                        std::int64_t max, const std::string& description) {
  return app.add_option(name, value, description)->check(whole_number(min, max));
}

CLI::Option* add_repeatable(CLI::App& app, const std::string& name, std::vector<std::string>& values,
                            const std::string& description) {
  return app.add_option(name, values, description)->allow_extra_args(false);
}

CLI::Option* add_allow_network(CLI::App& app, std::vector<std::string>& cidrs) {
  return add_repeatable(app, "--allow-network", cidrs, "open a subnet the delivery network policy denies");
}

void add_ca_options(CLI::App& app, CaOptions& ca) {
  app.add_option("--ca-file", ca.file, "trust the CAs of this PEM bundle for HTTPS deliveries")->check(ca_check(false));
  app.add_option("--ca-path", ca.path, "trust the CAs of this directory of hashed certificates")->check(ca_check(true));
}

NetworkPolicy network_policy(const std::vector<std::string>& cidrs) {
  NetworkPolicy policy;
  for (const std::string& cidr : cidrs) {
    if (auto allowed = policy.allow(cidr); !allowed) throw UsageError("--allow-network: " + allowed.error().message);
  }
  return policy;
}

EventType parse_event(const std::string& name, const std::string& option) {
  const auto type = parse_event_type(name);
  if (!type) throw UsageError(option + "unknown event '" + name + "' (" + kEventNames + ")");
  return *type;
}

std::vector<EventType> parse_events(const std::vector<std::string>& lists) {
  std::vector<EventType> events;
  for (const std::string& list : lists) {
    std::stringstream in(list);
    std::string name;
    while (std::getline(in, name, ',')) {
      name = trimmed(name);
      if (name.empty()) continue;
      const EventType type = parse_event(name, "--events: ");
      bool seen = false;
      for (EventType e : events) seen = seen || e == type;
      if (!seen) events.push_back(type);
    }
  }
  return events;
}

std::string store_uri(const std::string& text) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  std::size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  const bool has_scheme = i > 0 && i < text.size() && text[i] == ':' && std::isalpha(static_cast<unsigned char>(text[0]));
  return has_scheme ? text : "sqlite:" + text;
}

}  // namespace runhooks::cli
