#include "hook_output.hpp"

#include "output.hpp"

#include <cstdio>

namespace runhooks::cli {

namespace {

std::string events_text(const Webhook& h) {
  if (h.hook_events.empty()) return "(all)";
  std::string text;
  for (EventType t : h.hook_events) text += (text.empty() ? "" : ",") + std::string(to_string(t));
  return text;
}

}  // namespace

void print_hooks(const std::vector<Webhook>& hooks, bool json) {
  if (json) {
    std::printf("%s\n", to_json(hooks).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Webhook& h : hooks) {
    rows.push_back({h.hook_id, h.enabled ? "enabled" : "disabled: " + h.disabled_reason, events_text(h),
                    h.label.value_or(""), h.url});
  }
  print_table({"HOOK ID", "STATE", "EVENTS", "LABEL", "URL"}, rows);
}

void print_hook(const Webhook& h, bool json) {
  if (json) {
    std::printf("%s\n", to_json(h).c_str());
    return;
  }
  std::printf("hookId:     %s\nprojectId:  %s\nurl:        %s\nheaders:    %s\nhookEvents: %s\n"
              "label:      %s\nstate:      %s\ncreatedAt:  %s\nupdatedAt:  %s\n",
              h.hook_id.c_str(), h.project_id.c_str(), h.url.c_str(), h.headers.value_or("null").c_str(),
              events_text(h).c_str(), h.label.value_or("null").c_str(),
              h.enabled ? "enabled" : ("disabled: " + h.disabled_reason).c_str(),
              format_iso8601(h.created_at).c_str(), format_iso8601(h.updated_at).c_str());
}

void print_secret(const std::string& secret, bool json) {
  if (json) std::printf("%s\n", json_strings({{"secret", secret}}).c_str());
  else std::printf("%s\n", secret.c_str());
}

}  // namespace runhooks::cli
