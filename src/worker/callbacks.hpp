#pragma once
// The application's callbacks, called from a delivery thread: whatever they
// throw is caught and passed to on_error, and what on_error throws is
// dropped — nothing reaches the thread, let alone the application.

#include <runhooks/worker.hpp>

namespace runhooks::detail {

class Callbacks {
 public:
  explicit Callbacks(const WorkerOptions& options)
      : on_attempt_(options.on_attempt), on_endpoint_state_(options.on_endpoint_state), on_error_(options.on_error) {}

  void attempt(const AttemptReport& report);
  void endpoint_state(const EndpointStateChange& change);
  void error(const Error& error);

 private:
  std::function<void(const AttemptReport&)> on_attempt_;
  std::function<void(const EndpointStateChange&)> on_endpoint_state_;
  std::function<void(const Error&)> on_error_;
};

}  // namespace runhooks::detail
