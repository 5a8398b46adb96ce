#include "notify/sample_event.hpp"

namespace runhooks::detail {

RunEvent sample_run_event(EventType type) {
  RunEvent event;
  event.type = type;
  event.run_url = "https://runhooks.invalid/test-run";
  event.build_id = "runhooks-test";
  event.tags = {"runhooks-test"};
  event.commit.sha = "0000000000000000000000000000000000000000";
  event.commit.branch = "main";
  event.commit.author_name = "runhooks";
  event.commit.author_email = "test@runhooks.invalid";
  event.commit.message = "A test event sent by runhooks";
  event.commit.remote_origin = "https://runhooks.invalid/repository.git";
  event.commit.default_branch = "main";
  if (type != EventType::run_start) {
    event.overall = 10;
    event.passes = 8;
    event.failures = 1;
    event.pending = 0;
    event.skipped = 1;
    event.retries = 0;
    event.flaky = 0;
  }
  return event;
}

}  // namespace runhooks::detail
