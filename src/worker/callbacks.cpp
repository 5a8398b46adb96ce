#include "worker/callbacks.hpp"

#include <exception>

namespace runhooks::detail {

namespace {

template <class Call>
void guarded(const char* name, Callbacks& callbacks, Call call) {
  try {
    call();
  } catch (const std::exception& e) {
    callbacks.error(Error{ErrorCode::internal, {}, std::string(name) + " threw: " + e.what()});
  } catch (...) {
    callbacks.error(Error{ErrorCode::internal, {}, std::string(name) + " threw"});
  }
}

}  // namespace

void Callbacks::attempt(const AttemptReport& report) {
  if (on_attempt_) guarded("on_attempt", *this, [&] { on_attempt_(report); });
}

void Callbacks::endpoint_state(const EndpointStateChange& change) {
  if (on_endpoint_state_) guarded("on_endpoint_state", *this, [&] { on_endpoint_state_(change); });
}

void Callbacks::error(const Error& error) {
  if (!on_error_) return;
  try {
    on_error_(error);
  } catch (...) {
    // The application's error handler failed too; there is nowhere left to go.
  }
}

}  // namespace runhooks::detail
