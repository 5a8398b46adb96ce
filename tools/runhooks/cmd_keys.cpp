// runhooks keys create | list | revoke; runhooks me --key KEY

#include "cli.hpp"
#include "output.hpp"

#include <cstdio>
#include <cstdlib>

namespace runhooks::cli {

namespace {

struct KeyOptions {
  std::string id;
  std::vector<std::string> projects;
  bool all_projects = false, read_only = false, json = false;
  std::string label;
  std::string key;
};

std::string scope_text(const ApiKey& k) {
  if (k.all_projects) return "(all projects)";
  std::string scope;
  for (const std::string& p : k.projects) scope += (scope.empty() ? "" : ",") + p;
  return scope;
}

int create(ApiKeys& keys, const KeyOptions& o) {
  ApiKeyScope scope;
  scope.projects = o.projects;
  scope.all_projects = o.all_projects;
  scope.read_only = o.read_only;
  scope.label = o.label;
  if (!scope.all_projects && scope.projects.empty()) throw UsageError("--project P (repeatable) or --all-projects is required");
  auto created = keys.create(scope);
  if (!created) return report(created.error());
  if (o.json) std::printf("%s\n", json_strings({{"keyId", created->stored.key_id}, {"key", created->key}}).c_str());
  else std::printf("%s\n(key id %s; the key is shown only now: store it safely)\n", created->key.c_str(),
                   created->stored.key_id.c_str());
  return kOk;
}

int list(ApiKeys& keys, const KeyOptions& o) {
  auto all = keys.list();
  if (!all) return report(all.error());
  if (o.json) {
    std::printf("%s\n", to_json(*all).c_str());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const ApiKey& k : *all) {
    rows.push_back({k.key_id, scope_text(k), k.read_only ? "read-only" : "read-write", format_iso8601(k.created_at),
                    k.label});
  }
  print_table({"KEY ID", "PROJECTS", "ACCESS", "CREATED", "LABEL"}, rows);
  return kOk;
}

int revoke(ApiKeys& keys, const KeyOptions& o) {
  if (auto revoked = keys.revoke(o.id); !revoked) return report(revoked.error());
  if (o.json) std::printf("%s\n", json_strings({{"keyId", o.id}}).c_str());
  else std::printf("revoked %s\n", o.id.c_str());
  return kOk;
}

int run_sub(const Context& context, const std::string& sub, const KeyOptions& o) {
  auto store = context.store();
  if (!store) return report(store.error());
  ApiKeys keys(*store);
  if (sub == "create") return create(keys, o);
  if (sub == "list") return list(keys, o);
  return revoke(keys, o);
}

// What GET /me shows of the key the caller holds.
int me(const Context& context, const KeyOptions& o) {
  std::string key = o.key;
  if (key.empty()) {
    const char* env = std::getenv("RUNHOOKS_KEY");
    key = env != nullptr ? env : "";
  }
  if (key.empty()) throw UsageError("--key KEY or $RUNHOOKS_KEY is required");
  auto store = context.store();
  if (!store) return report(store.error());
  auto found = ApiKeys(*store).authenticate(key);
  if (!found) return report(found.error());
  if (o.json) {
    std::printf("%s\n", to_json(*found).c_str());
    return kOk;
  }
  std::printf("keyId:    %s\nlabel:    %s\nprojects: %s\naccess:   %s\n", found->key_id.c_str(), found->label.c_str(),
              scope_text(*found).c_str(), found->read_only ? "read-only" : "read-write");
  return kOk;
}

}  // namespace

void add_keys_commands(CLI::App& app, const Context& context, Run& run) {
  CLI::App* keys = app.add_subcommand("keys", "create, list and revoke API keys");
  keys->require_subcommand(1);
  for (const char* name : {"create", "list", "revoke"}) {
    auto o = std::make_shared<KeyOptions>();
    const std::string sub = name;
    CLI::App* cmd = keys->add_subcommand(sub, sub + " API keys");
    cmd->add_flag("--json", o->json, "print JSON");
    if (sub == "create") {
      auto* projects = add_repeatable(*cmd, "--project", o->projects, "a project the key may use (repeatable)");
      cmd->add_flag("--all-projects", o->all_projects, "every project")->excludes(projects);
      cmd->add_flag("--read-only", o->read_only, "GET only");
      cmd->add_option("--label", o->label, "a name to show");
    }
    if (sub == "revoke") cmd->add_option("KEY_ID", o->id, "a key id")->required();
    cmd->callback([&context, &run, o, sub] { run = [&context, o, sub] { return run_sub(context, sub, *o); }; });
  }

  auto m = std::make_shared<KeyOptions>();
  CLI::App* me_app = app.add_subcommand("me", "what the API knows of a key (GET /me)");
  me_app->add_option("--key", m->key, "the key (default $RUNHOOKS_KEY)");
  me_app->add_flag("--json", m->json, "print JSON");
  me_app->callback([&context, &run, m] { run = [&context, m] { return me(context, *m); }; });
}

}  // namespace runhooks::cli
