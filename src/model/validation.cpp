// The UTF-8 rule every text follows; the rules for labels, project ids, hook
// ids and events; and the whole-request checks built from every field rule.

#include <runhooks/validation.hpp>

#include "model/stored_text.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cctype>

namespace runhooks {

Result<void> validate_utf8(std::string_view text, std::string_view field) {
  if (detail::is_valid_utf8(text)) return {};
  return Error::invalid(std::string(field), std::string(field) + " must be valid UTF-8");
}

namespace detail {

Result<void> validate_stored_text(std::string_view text, std::string_view field) {
  if (auto valid = validate_utf8(text, field); !valid) return valid;
  if (text.find('\0') == std::string_view::npos) return {};
  return Error::invalid(std::string(field), std::string(field) + " must not contain a NUL character");
}

}  // namespace detail

Result<void> validate_label(std::string_view label) {
  const auto characters = detail::count_utf8_characters(label);
  if (!characters) return Error::invalid("label", "label must be valid UTF-8");
  if (*characters < 1 || *characters > kMaxLabelLength) {
    return Error::invalid("label", "label must be 1 to " + std::to_string(kMaxLabelLength) +
                                       " characters");
  }
  // PostgreSQL cannot store one in text, and no reader expects one.
  if (label.find('\0') != std::string_view::npos) {
    return Error::invalid("label", "label must not contain a NUL character");
  }
  return {};
}

Result<void> validate_project_id(std::string_view project_id) {
  if (auto valid = validate_utf8(project_id, "projectId"); !valid) return valid;
  if (project_id.empty() || project_id.size() > kMaxProjectIdLength) {
    return Error::invalid("projectId", "projectId must be 1 to " +
                                           std::to_string(kMaxProjectIdLength) + " characters");
  }
  const bool printable = std::all_of(project_id.begin(), project_id.end(), [](char c) {
    return c >= 0x20 && c <= 0x7E;
  });
  if (!printable) {
    return Error::invalid("projectId", "projectId must contain printable ASCII characters only");
  }
  return {};
}

Result<std::string> canonical_hook_id(std::string_view hook_id) {
  static constexpr std::size_t kDashes[] = {8, 13, 18, 23};
  auto invalid = [] {
    return Error::invalid("hookId", "hookId must be a UUID (8-4-4-4-12 hexadecimal digits)");
  };
  if (hook_id.size() != 36) return invalid();
  std::string canonical(hook_id);
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    const bool dash_here = std::find(std::begin(kDashes), std::end(kDashes), i) != std::end(kDashes);
    const unsigned char c = static_cast<unsigned char>(canonical[i]);
    if (dash_here ? c != '-' : !std::isxdigit(c)) return invalid();
    canonical[i] = static_cast<char>(std::tolower(c));
  }
  return canonical;
}

std::vector<EventType> unique_events(const std::vector<EventType>& events) {
  std::vector<EventType> unique;
  for (EventType type : events) {
    if (std::find(unique.begin(), unique.end(), type) == unique.end()) unique.push_back(type);
  }
  return unique;
}

Result<void> validate(const NewWebhook& hook) {
  if (auto url = validate_url(hook.url); !url) return url;
  if (hook.headers) {
    if (auto headers = validate_headers(*hook.headers); !headers) return headers;
  }
  if (hook.label) {
    if (auto label = validate_label(*hook.label); !label) return label;
  }
  return {};
}

Result<void> validate(const WebhookPatch& patch) {
  if (patch.empty()) {
    return Error::invalid("", "At least one field to update must be provided "
                              "(url, headers, hookEvents, or label)");
  }
  if (patch.url) {
    if (auto url = validate_url(*patch.url); !url) return url;
  }
  if (patch.headers.is_set()) {
    if (auto headers = validate_headers(patch.headers.value()); !headers) return headers;
  }
  if (patch.label.is_set()) {
    if (auto label = validate_label(patch.label.value()); !label) return label;
  }
  if (patch.disabled_reason) {
    if (!patch.enabled || *patch.enabled) {
      return Error::invalid("disabledReason", "disabledReason is only accepted with \"enabled\": false");
    }
    if (auto text = detail::validate_stored_text(*patch.disabled_reason, "disabledReason"); !text) return text;
    if (patch.disabled_reason->empty() || *detail::count_utf8_characters(*patch.disabled_reason) > 255) {
      return Error::invalid("disabledReason", "disabledReason must be 1 to 255 characters");
    }
  }
  return {};
}

}  // namespace runhooks
