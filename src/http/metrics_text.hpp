#pragma once
// GET /metrics: a worker's figures and the outbox's backlog in Prometheus'
// text exposition format (version 0.0.4).

#include <runhooks/worker.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace runhooks::detail {

/// The Content-Type of what metrics_text writes.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

/// The exposition: the pending gauge when `pending` is known, and the
/// worker's counters, gauge and histogram when `stats` is given (a process
/// without a worker has none).
std::string metrics_text(const WorkerStats* stats, std::optional<std::uint64_t> pending);

}  // namespace runhooks::detail
