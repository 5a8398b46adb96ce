// GET /healthz and GET /metrics: what a load balancer and Prometheus ask.

#include "http/api_context.hpp"
#include "http/envelope.hpp"
#include "http/metrics_text.hpp"

namespace runhooks::detail {

ApiResponse health_route(ApiContext& context, const ApiRequest& request) {
  if (request.method != "GET") return method_not_allowed("GET");
  // The cheapest read every backend answers from an index.
  auto answered = context.storage->next_due_at();
  if (!answered) return failed_response(503, "storage does not answer");
  ApiResponse response;
  response.body = R"({"status":"OK"})";
  return response;
}

ApiResponse metrics_route(ApiContext& context, const ApiRequest& request, const ApiKey& key) {
  if (request.method != "GET") return method_not_allowed("GET");
  // The figures are the whole outbox's and the worker's, not one project's.
  if (!key.all_projects) return failed_response(403, "Forbidden: /metrics needs a key for all projects");
  auto pending = context.storage->count_pending();
  if (!pending) return error_response(pending.error(), false);
  std::optional<WorkerStats> stats;
  if (context.options.worker_stats) stats = context.options.worker_stats();
  ApiResponse response;
  response.content_type = kMetricsContentType;
  response.body = metrics_text(stats ? &*stats : nullptr, *pending);
  return response;
}

}  // namespace runhooks::detail
