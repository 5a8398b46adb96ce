#pragma once
// What several commands share in parsing their options (CLI11): numbers
// checked as text so that a bad one names its option, event lists, the
// network policy, the store URI.

#include <runhooks/event_type.hpp>
#include <runhooks/network_policy.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace runhooks::cli {

/// Invalid input found after parsing (an unknown event name, an unreadable
/// file): main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Accepts whole numbers from `min` to `max` (the text, before CLI11
/// converts it): "needs a whole number from MIN to MAX (got 'abc')".
CLI::Validator whole_number(std::int64_t min, std::int64_t max);

/// `--name N` bound to `value`, which must be a whole number from `min` to
/// `max`; anything else is a usage error naming the option and `unit`
/// (e.g. "--limit: needs a whole number from 1 to 1000 (got 'abc')").
CLI::Option* add_number(CLI::App& app, const std::string& name, std::int64_t& value, std::int64_t min,
                        std::int64_t max, const std::string& description);

/// `--allow-network CIDR`, repeatable, into `cidrs`.
CLI::Option* add_allow_network(CLI::App& app, std::vector<std::string>& cidrs);

/// The certificate authorities deliveries over HTTPS trust (a receiver with
/// a private CA's certificate), in place of libcurl's defaults.
struct CaOptions {
  std::string file;  ///< --ca-file FILE: a PEM bundle
  std::string path;  ///< --ca-path DIR: a directory of hashed certificates
};

/// `--ca-file FILE` and `--ca-path DIR` into `ca`, checked when parsed as
/// the worker would check them: a usage error naming the option and why
/// (e.g. "--ca-file: '/x.pem' cannot be read: No such file or directory").
void add_ca_options(CLI::App& app, CaOptions& ca);

/// A repeatable option taking one value per occurrence (`--project P --project Q`).
CLI::Option* add_repeatable(CLI::App& app, const std::string& name, std::vector<std::string>& values,
                            const std::string& description);

/// The default network policy with each CIDR opened (UsageError if one is bad).
NetworkPolicy network_policy(const std::vector<std::string>& cidrs);

/// Event names from every `--events` given, each a comma-separated list
/// (spaces around names ignored); UsageError for an unknown name.
std::vector<EventType> parse_events(const std::vector<std::string>& lists);

/// One event name (UsageError naming `option` when unknown).
EventType parse_event(const std::string& name, const std::string& option);

/// The store URI of `--store` text: a plain path (no `scheme:`) means
/// `sqlite:PATH`.
std::string store_uri(const std::string& text);

}  // namespace runhooks::cli
