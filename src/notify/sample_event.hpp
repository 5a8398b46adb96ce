#pragma once
// The event a test send delivers (Publisher::send_test).

#include <runhooks/run_event.hpp>

namespace runhooks::detail {

/// A run event of `type` in the wire format's shape, with values that say
/// it is a test (tag "runhooks-test", build id "runhooks-test") so a
/// receiver can tell it from a real run; RUN_START carries zero counts.
RunEvent sample_run_event(EventType type);

}  // namespace runhooks::detail
