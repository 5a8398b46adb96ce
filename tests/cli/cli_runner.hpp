#pragma once
// The runhooks tool run as a shell would, on a fresh SQLite store, for the
// CLI tests; and that store opened directly, to check what a command left.

#include "support/notifier_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace runhooks::test {

struct CliRunner {
  TempDir dir;
  std::string path = dir.file("cli.db");
  std::string store = "sqlite:" + path;

  /// `runhooks --store STORE args...`
  ProcessResult operator()(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {RUNHOOKS_CLI, "--store", store});
    return run_process(args, input);
  }

  /// The JSON a command that must succeed printed.
  rapidjson::Document json(std::vector<std::string> args, const std::string& input = "") const {
    auto r = (*this)(std::move(args), input);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
  }

  /// A hook of `project` delivering to `url`; its id.
  std::string hook(const std::string& project, const std::string& url) const {
    return json({"hooks", "create", "--project", project, "--url", url, "--json"})["hookId"].GetString();
  }

  /// The store itself, to check what a command left in it.
  Delivery delivery(const std::string& id) const {
    auto storage = open_storage(store);
    REQUIRE(storage);
    auto d = Publisher(*storage).delivery(id);
    REQUIRE(d);
    return *d;
  }

  OutboxEvent event(const std::string& id) const {
    auto storage = open_storage(store);
    REQUIRE(storage);
    auto e = Publisher(*storage).event(id);
    REQUIRE(e);
    return *e;
  }

  std::size_t delivery_count(const std::string& project) const {
    auto storage = open_storage(store);
    REQUIRE(storage);
    DeliveryFilter filter;
    filter.project_id = project;
    auto list = Publisher(*storage).deliveries(filter);
    REQUIRE(list);
    return list->size();
  }
};

}  // namespace runhooks::test
