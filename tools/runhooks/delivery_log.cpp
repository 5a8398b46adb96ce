#include "delivery_log.hpp"

#include <runhooks/clock.hpp>

#include <cstdio>

namespace runhooks::cli {

namespace {

using Field = DeliveryLog::Field;

std::string json_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04x", c);
      out += code;
    } else {
      out += c;
    }
  }
  return out;
}

Field number(const char* key, std::uint64_t value) { return {key, std::to_string(value), true}; }

}  // namespace

void add_log_options(CLI::App& app, LogOptions& options) {
  app.add_option("--log-level", options.level, "warn (failures, hook state, summary) or info (every attempt)")
      ->check(CLI::IsMember({"warn", "info"}));
  app.add_option("--log-format", options.format, "text or json (one object a line)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--quiet", options.quiet, "log nothing but fatal errors");
  app.add_option("--log-summary", options.summary_seconds, "seconds between summaries (default 60; 0: none)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86400}));
}

DeliveryLog::DeliveryLog(LogOptions options) : options_(std::move(options)) {}

DeliveryLog::~DeliveryLog() { stop_summary(); }

void DeliveryLog::write(const char* level, const char* message, const std::vector<Field>& fields) {
  const std::string time = format_iso8601(Clock::system().now());
  std::string line;
  if (options_.format == "json") {
    line = "{\"time\":\"" + time + "\",\"level\":\"" + level + "\",\"msg\":\"" + message + "\"";
    for (const Field& f : fields) {
      line += ",\"" + f.key + "\":" + (f.number ? f.value : "\"" + json_escaped(f.value) + "\"");
    }
    line += "}\n";
  } else {
    line = time + " " + level + " " + message;
    for (const Field& f : fields) line += " " + f.key + "=" + f.value;
    line += "\n";
  }
  const std::lock_guard<std::mutex> lock(write_mutex_);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void DeliveryLog::attempt(const AttemptReport& report) {
  const Attempt& a = report.attempt;
  const bool failed = a.error_class != AttemptErrorClass::none;
  if (!failed && options_.level != "info") return;
  std::vector<Field> fields = {
      {"hookId", a.hook_id},
      {"deliveryId", a.delivery_id},
      {"trigger", to_string(a.trigger)},
      {"outcome", failed ? to_string(a.error_class) : "success"},
      number("status", static_cast<std::uint64_t>(a.status_code)),
      number("durationMs", static_cast<std::uint64_t>(a.duration.count())),
      {"delivery", to_string(report.delivery.status)},
      number("attempts", static_cast<std::uint64_t>(report.delivery.attempt_count)),
  };
  if (a.error_class == AttemptErrorClass::blocked_by_policy) {
    fields.push_back({"hint", "the network policy denies the address: see --allow-network"});
  }
  write(failed ? "warn" : "info", "attempt", fields);
}

void DeliveryLog::attach(WorkerOptions& options) {
  if (options_.quiet) return;
  options.on_attempt = [this](const AttemptReport& report) { attempt(report); };
  options.on_endpoint_state = [this](const EndpointStateChange& change) {
    write("warn", change.enabled ? "hook enabled" : "hook disabled",
          {{"hookId", change.hook_id}, {"projectId", change.project_id}, {"reason", change.reason}});
  };
  options.on_error = [this](const Error& error) { write("error", "storage", {{"error", error.message}}); };
}

void DeliveryLog::start_summary(std::function<WorkerStats()> stats) {
  if (options_.quiet || options_.summary_seconds == 0) return;
  summary_ = std::thread([this, stats = std::move(stats)] {
    std::unique_lock<std::mutex> lock(summary_mutex_);
    while (!summary_wake_.wait_for(lock, std::chrono::seconds(options_.summary_seconds), [this] { return stopping_; })) {
      const WorkerStats s = stats();
      write("info", "summary",
            {number("attempts", s.attempts), number("succeeded", s.succeeded), number("failed", s.failed),
             number("retried", s.retried), number("inFlight", s.in_flight), number("storageErrors", s.storage_errors),
             number("hooksDisabled", s.hooks_disabled)});
    }
  });
}

void DeliveryLog::stop_summary() {
  {
    const std::lock_guard<std::mutex> lock(summary_mutex_);
    stopping_ = true;
  }
  summary_wake_.notify_all();
  if (summary_.joinable()) summary_.join();
}

}  // namespace runhooks::cli
