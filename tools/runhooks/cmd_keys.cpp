// runhooks keys create | list | revoke

#include "cli.hpp"
#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

int run_keys(const Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) throw UsageError("a subcommand is required: create, list, revoke");
  const std::string sub = argv[0];
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  const Args args(rest, {"project", "label"}, {"json", "all-projects", "read-only"});
  const bool json = args.has("json");
  auto store = context.store();
  if (!store) return report(store.error());
  ApiKeys keys(*store);

  if (sub == "create") {
    args.at_most(0);
    ApiKeyScope scope;
    scope.projects = args.all("project");
    scope.all_projects = args.has("all-projects");
    scope.read_only = args.has("read-only");
    scope.label = args.value("label").value_or("");
    if (scope.all_projects && !scope.projects.empty()) throw UsageError("--project and --all-projects exclude each other");
    if (!scope.all_projects && scope.projects.empty()) throw UsageError("--project P (repeatable) or --all-projects is required");
    auto created = keys.create(scope);
    if (!created) return report(created.error());
    if (json) std::printf("%s\n", json_strings({{"keyId", created->stored.key_id}, {"key", created->key}}).c_str());
    else std::printf("%s\n(key id %s; the key is shown only now: store it safely)\n", created->key.c_str(),
                     created->stored.key_id.c_str());
    return kOk;
  }
  if (sub == "list") {
    args.at_most(0);
    auto list = keys.list();
    if (!list) return report(list.error());
    if (json) {
      std::printf("%s\n", to_json(*list).c_str());
      return kOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const ApiKey& k : *list) {
      std::string scope;
      for (const std::string& p : k.projects) scope += (scope.empty() ? "" : ",") + p;
      rows.push_back({k.key_id, k.all_projects ? "(all projects)" : scope, k.read_only ? "read-only" : "read-write",
                      format_iso8601(k.created_at), k.label});
    }
    print_table({"KEY ID", "PROJECTS", "ACCESS", "CREATED", "LABEL"}, rows);
    return kOk;
  }
  if (sub == "revoke") {
    args.at_most(1);
    const std::string id = args.positional(0, "a key id");
    if (auto revoked = keys.revoke(id); !revoked) return report(revoked.error());
    if (json) std::printf("%s\n", json_strings({{"keyId", id}}).c_str());
    else std::printf("revoked %s\n", id.c_str());
    return kOk;
  }
  throw UsageError("unknown subcommand '" + sub + "'");
}

}  // namespace runhooks::cli
