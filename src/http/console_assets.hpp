#pragma once
// The web console's files (console/ at the top of the tree), embedded into
// the library at build time by cmake/embed_console.cmake, which writes
// console_assets.cpp with their bytes, content types and ETags.

#include <cstddef>
#include <string_view>

namespace runhooks::detail {

struct ConsoleAsset {
  std::string_view name;          ///< "index.html", "app.js": the path under console/
  std::string_view content_type;  ///< "text/html; charset=utf-8", ...
  std::string_view etag;          ///< a strong ETag, quotes included: the bytes' SHA-256, cut short
  std::string_view body;
};

/// Every embedded asset, in the order CMake listed them; static storage.
const ConsoleAsset* console_assets() noexcept;
std::size_t console_asset_count() noexcept;

}  // namespace runhooks::detail
