#pragma once
/// What the notifier sends: run events in the wire format's payload shape
/// (docs/wire-format.md, Run events), or a custom JSON payload.

#include <runhooks/error.hpp>
#include <runhooks/event_type.hpp>
#include <runhooks/export.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runhooks {

/// The commit a run tested.
struct Commit {
  std::string sha;
  std::string branch;
  std::string author_name;
  std::string author_email;
  std::string message;
  std::string remote_origin;
  std::optional<std::string> default_branch;  ///< null on the wire when unknown
};

/// A run event: the payload fields of the wire format, plus how to order it.
/// Every string must be valid UTF-8: `notify` refuses the event otherwise.
struct RunEvent {
  EventType type = EventType::run_finish;
  std::string run_url;
  std::string build_id;
  std::optional<std::string> group_id;  ///< only for multi-group runs
  std::vector<std::string> tags;
  Commit commit;
  std::int64_t overall = 0;
  std::int64_t passes = 0;
  std::int64_t failures = 0;
  std::int64_t pending = 0;
  std::int64_t skipped = 0;
  std::int64_t retries = 0;
  std::int64_t flaky = 0;
  /// Names the run for ordering (RUN_START before its terminal event, per
  /// endpoint). Empty: `run_url`, else `build_id` + `group_id`.
  std::string ordering_key;
};

/// The wire-format payload: `{"event":"RUN_FINISH","runUrl":...}`.
RUNHOOKS_EXPORT std::string to_json(const RunEvent& event);

/// An event with a payload of the application's own: `json` must be valid
/// UTF-8 holding a JSON object (no escape of an unpaired surrogate) and is
/// sent byte for byte. Hooks match on `type`. Ordering as for
/// RunEvent: `ordering_key`, else the payload's `runUrl`, else `buildId` +
/// `groupId`, else none.
struct Event {
  EventType type = EventType::run_finish;
  std::string json;
  std::string ordering_key;
};

/// Checks a payload of one's own against the wire format's run payload
/// (docs/wire-format.md, Run events) where it has its members: `event` one
/// of the four names; `runUrl`, `buildId`, `groupId` strings; `tags` an array
/// of strings; `commit` an object whose members are strings (`defaultBranch`
/// may be null); the counts (`overall`, `passes`, `failures`, `pending`,
/// `skipped`, `retries`, `flaky`) whole numbers, 0 or more. Members it does
/// not know pass, and any may be missing. `invalid_argument` naming the
/// member (`commit.sha`, `tags[2]`, `passes`), or on `payload` when it is
/// not a JSON object at all. `runhooks fire` checks its payloads with it.
RUNHOOKS_EXPORT Result<void> validate_run_payload(std::string_view json);

}  // namespace runhooks
