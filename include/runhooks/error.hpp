#pragma once
/// Expected failures as values: `Error` and `Result<T>`.
///
/// Every fallible call of runhooks returns a `Result`. Bugs are asserts;
/// nothing is thrown for bad input, a missing hook or a busy database.

#include <runhooks/export.hpp>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace runhooks {

/// What went wrong. The HTTP API answers each with a status of its own
/// (`http_status` in http_api.hpp).
enum class ErrorCode {
  invalid_argument,   ///< bad input; `Error::field` names the field
  unauthenticated,    ///< missing or unknown API key
  permission_denied,  ///< the key may not do this
  not_found,          ///< no such hook, key, delivery...
  conflict,           ///< the request clashes with stored state, e.g. a cap
  unavailable,        ///< storage busy or locked; the call may succeed later
  internal,           ///< storage corrupt, I/O error, a bug
};

/// "invalid_argument", "not_found", ...
RUNHOOKS_EXPORT const char* to_string(ErrorCode code) noexcept;

/// A failure: its class, the request field at fault (empty when none) and a
/// message for a human that names the field and the limit. Never contains a
/// secret or an API key.
struct RUNHOOKS_EXPORT Error {
  ErrorCode code = ErrorCode::internal;
  std::string field;
  std::string message;

  /// e.g. `invalid_argument: url must be at most 2048 characters`.
  std::string to_string() const;

  static Error invalid(std::string field, std::string message);
  static Error not_found(std::string message = "Not found");
};

/// Either a `T` or an `Error`. Cheap to move; test it with `ok()` or `if (r)`.
///
/// **Example**
/// ```
/// auto hook = registry.get(id);
/// if (!hook) { std::cerr << hook.error().message; return; }
/// use(*hook);
/// ```
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; calling it on an error is a bug.
  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  // By value, so `for (auto& x : *store->list_hooks(p))` keeps what it loops over alive.
  T value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The value, or `fallback` on an error.
  T value_or(T fallback) const& { return ok() ? std::get<0>(state_) : std::move(fallback); }

  /// The error; calling it on a success is a bug.
  const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

/// A `Result` that carries no value on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace runhooks
