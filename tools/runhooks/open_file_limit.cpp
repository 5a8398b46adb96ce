#include "open_file_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace runhooks::cli {

std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    // The kernel refuses RLIM_INFINITY for this limit (fs.nr_open caps
    // it), so the hard limit is a number.
    const rlimit raised{limit.rlim_max, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, std::numeric_limits<std::size_t>::max()));
}

std::size_t room_for_connections(std::size_t limit) {
  constexpr std::size_t kOtherDescriptors = 256;
  return limit > 2 * kOtherDescriptors ? limit - kOtherDescriptors : std::max<std::size_t>(1, limit / 2);
}

}  // namespace runhooks::cli
