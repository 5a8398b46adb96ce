#pragma once
// What `worker` and `serve` log on stderr about delivery: failed attempts,
// storage errors, hooks disabled and a periodic summary by default; one line
// per attempt at --log-level info; nothing but fatal errors with --quiet.
// Lines never carry a URL, header fields or an error text (which may quote
// the receiver's address or secrets): hook id, delivery id, outcome,
// status and duration say what happened.

#include <runhooks/worker.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace runhooks::cli {

struct LogOptions {
  std::string level = "warn";    ///< warn (default) or info
  std::string format = "text";   ///< text or json (one object a line)
  bool quiet = false;
  std::int64_t summary_seconds = 60;  ///< 0: no periodic summary
};

/// Adds --log-level, --log-format, --quiet and --log-summary to a command.
void add_log_options(CLI::App& app, LogOptions& options);

/// Thread-safe: the delivery threads and the summary thread write through it.
class DeliveryLog {
 public:
  explicit DeliveryLog(LogOptions options);
  ~DeliveryLog();  ///< stops the summary
  DeliveryLog(const DeliveryLog&) = delete;
  DeliveryLog& operator=(const DeliveryLog&) = delete;

  /// Sets the worker's on_attempt, on_endpoint_state and on_error; this log
  /// must outlive the worker.
  void attach(WorkerOptions& options);
  /// Logs `stats()` every summary interval until destroyed or stop_summary.
  void start_summary(std::function<WorkerStats()> stats);
  void stop_summary();

  struct Field {
    std::string key;
    std::string value;
    bool number = false;
  };
  /// One line: time, level, message and fields.
  void write(const char* level, const char* message, const std::vector<Field>& fields);

 private:
  void attempt(const AttemptReport& report);

  LogOptions options_;
  std::mutex write_mutex_;
  std::mutex summary_mutex_;
  std::condition_variable summary_wake_;
  bool stopping_ = false;
  std::thread summary_;
};

}  // namespace runhooks::cli
