#pragma once
// GET /console/ and /console/{asset}: the web console's static files, served
// without a key (HttpApiOptions::serve_console), with a strict
// Content-Security-Policy and ETags (docs/console.md).

#include <runhooks/http_api.hpp>

#include <string_view>
#include <vector>

namespace runhooks::detail {

/// The answer for a request whose first path segment (after /v1) is
/// "console"; `parts` are the path's segments from there. `/console` without
/// a trailing slash redirects to `console/` (relative, so it works under any
/// prefix an application mounts HttpApi at).
ApiResponse console_route(const ApiRequest& request, const std::vector<std::string_view>& parts);

}  // namespace runhooks::detail
