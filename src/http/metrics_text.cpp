#include "http/metrics_text.hpp"

#include <cinttypes>
#include <cstdio>

namespace runhooks::detail {

namespace {

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(const char* name, std::uint64_t value, const std::string& labels = {}) {
    char number[32];
    std::snprintf(number, sizeof number, "%" PRIu64, value);
    line(name, labels, number);
  }
  void sample(const char* name, double value, const std::string& labels = {}) {
    char number[40];
    std::snprintf(number, sizeof number, "%.17g", value);
    line(name, labels, number);
  }
  std::string take() { return std::move(text_); }

 private:
  void line(const char* name, const std::string& labels, const char* value) {
    text_.append(name);
    if (!labels.empty()) text_.append("{").append(labels).append("}");
    text_.append(" ").append(value).append("\n");
  }
  std::string text_;
};

std::string label(const char* name, const std::string& value) { return std::string(name) + "=\"" + value + "\""; }

std::string bound_label(double bound) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", bound);
  return label("le", text);
}

void write_worker(Exposition& out, const WorkerStats& stats) {
  out.family("runhooks_attempts_total", "counter", "HTTP attempts made by this process's worker, by outcome.");
  for (std::size_t i = 0; i < stats.attempts_by_outcome.size(); ++i) {
    const auto error_class = static_cast<AttemptErrorClass>(i);
    const char* outcome = error_class == AttemptErrorClass::none ? "succeeded" : to_string(error_class);
    out.sample("runhooks_attempts_total", stats.attempts_by_outcome[i], label("outcome", outcome));
  }
  out.family("runhooks_deliveries_completed_total", "counter",
             "Deliveries this process's worker finished, by how they ended.");
  out.sample("runhooks_deliveries_completed_total", stats.succeeded, label("status", "succeeded"));
  out.sample("runhooks_deliveries_completed_total", stats.failed, label("status", "failed"));
  out.family("runhooks_retries_scheduled_total", "counter", "Attempts that failed and were scheduled again.");
  out.sample("runhooks_retries_scheduled_total", stats.retried);
  out.family("runhooks_requests_in_flight", "gauge", "Requests this process's worker has in flight now.");
  out.sample("runhooks_requests_in_flight", static_cast<std::uint64_t>(stats.in_flight));
  out.family("runhooks_hooks_disabled_total", "counter",
             "Hooks this process's worker disabled (410 Gone, or only failures for the health window).");
  out.sample("runhooks_hooks_disabled_total", stats.hooks_disabled);
  out.family("runhooks_storage_errors_total", "counter", "Storage calls of the worker that failed (it retries).");
  out.sample("runhooks_storage_errors_total", stats.storage_errors);

  out.family("runhooks_attempt_duration_seconds", "histogram", "How long attempts took, request start to end.");
  const auto& histogram = stats.attempt_duration;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < DurationHistogram::kBounds.size(); ++i) {
    cumulative += histogram.counts[i];
    out.sample("runhooks_attempt_duration_seconds_bucket", cumulative, bound_label(DurationHistogram::kBounds[i]));
  }
  cumulative += histogram.counts.back();
  out.sample("runhooks_attempt_duration_seconds_bucket", cumulative, label("le", "+Inf"));
  out.sample("runhooks_attempt_duration_seconds_sum", histogram.sum_seconds);
  out.sample("runhooks_attempt_duration_seconds_count", cumulative);
}

}  // namespace

std::string metrics_text(const WorkerStats* stats, std::optional<std::uint64_t> pending) {
  Exposition out;
  if (pending) {
    out.family("runhooks_deliveries_pending", "gauge",
               "Deliveries in the outbox waiting to be sent or retried, leased ones included.");
    out.sample("runhooks_deliveries_pending", *pending);
  }
  if (stats) write_worker(out, *stats);
  return out.take();
}

}  // namespace runhooks::detail
