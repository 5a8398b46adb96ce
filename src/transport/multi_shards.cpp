#include "transport/multi_shards.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace runhooks::detail {

namespace {

// A socket's tag in the loop: its shard and its descriptor.
std::uint64_t tag_of(std::uint32_t shard, curl_socket_t socket) {
  return (std::uint64_t{shard} << 32) | static_cast<std::uint32_t>(socket);
}

// The scheme and authority of `url` ("https://Host:8443"), where libcurl's
// connection key comes from; all of it when it has no "://". The same
// origin written two ways (an explicit default port) is two origins here,
// which costs a connection at most.
std::string_view origin_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return url;
  return url.substr(0, url.find_first_of("/?#", scheme_end + 3));
}

// FNV-1a, ASCII letters folded (scheme and host are case-insensitive).
std::uint64_t hash_folded(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

MultiShards::MultiShards(std::size_t count) : shards_(std::max<std::size_t>(count, 1)) {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_[i];
    shard.loop = &loop_;
    shard.index = static_cast<std::uint32_t>(i);
    shard.multi.reset(curl_multi_init());
    if (!shard.multi) {
      problem_ = "libcurl could not make a multi handle (out of memory)";
      continue;
    }
    CURLM* multi = shard.multi.get();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &shard);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &shard);
  }
}

MultiShards::~MultiShards() = default;

const std::string& MultiShards::problem() const { return loop_.problem().empty() ? problem_ : loop_.problem(); }

CURLMcode MultiShards::add(CURL* easy, std::string_view url) {
  if (!problem().empty()) return CURLM_INTERNAL_ERROR;
  Shard& shard = shard_for(url);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &shard);
  if (const CURLMcode added = curl_multi_add_handle(shard.multi.get(), easy); added != CURLM_OK) {
    curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
    return added;
  }
  // libcurl keeps, by default, four idle connections per handle in the
  // multi at the moment a transfer ends, and closes the oldest beyond that.
  // Handles leave the multi when their transfer ends, so each lull (the
  // worker between claims, a quiet minute) would close the connections the
  // next burst needs open again, with a handshake each. Four per transfer
  // the shard ever had in flight at once instead.
  if (++shard.in_flight > shard.most_in_flight) {
    shard.most_in_flight = shard.in_flight;
    curl_multi_setopt(shard.multi.get(), CURLMOPT_MAXCONNECTS, static_cast<long>(4 * shard.most_in_flight));
  }
  return CURLM_OK;
}

void MultiShards::remove(CURL* easy) {
  void* found = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &found);
  auto* shard = static_cast<Shard*>(found);
  if (shard == nullptr) return;
  curl_multi_remove_handle(shard->multi.get(), easy);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
  --shard->in_flight;
  // Gone: not to be ended again, whoever takes the handle next.
  auto& listed = shard->unwatchable;
  listed.erase(std::remove_if(listed.begin(), listed.end(), [easy](const auto& entry) { return entry.first == easy; }),
               listed.end());
}

MultiShards::Shard& MultiShards::shard_for(std::string_view url) {
  Shard& home = shards_[hash_folded(origin_of(url)) % shards_.size()];
  if (home.in_flight < kCrowded) return home;
  return shards_[hash_folded(url) % shards_.size()];
}

std::size_t MultiShards::drive(std::chrono::milliseconds max_wait, const Finished& finished) {
  const bool woken = run(std::chrono::milliseconds(0));
  std::size_t ended = collect(finished);
  if (ended == 0 && !woken && max_wait.count() > 0) {
    run(max_wait);
    ended += collect(finished);
  }
  return ended;
}

bool MultiShards::run(std::chrono::milliseconds wait) {
  const auto now = SteadyClock::now();
  for (const Shard& shard : shards_) {
    if (!shard.due) continue;
    // Rounded up: woken before the timer is due, it would only wait again.
    wait = std::min(wait, std::max(std::chrono::milliseconds(0),
                                   std::chrono::ceil<std::chrono::milliseconds>(*shard.due - now)));
  }
  bool woken = false;
  for (const SocketLoop::Ready& ready : loop_.wait(wait, woken)) {
    // An event of a socket closed by an earlier action of this batch (its
    // descriptor perhaps reused since) is one libcurl ignores or reads as
    // a spurious wake-up.
    const int events = (ready.in ? CURL_CSELECT_IN : 0) | (ready.out ? CURL_CSELECT_OUT : 0) |
                       (ready.error ? CURL_CSELECT_ERR : 0);
    socket_action(shards_[ready.tag >> 32], static_cast<curl_socket_t>(ready.tag & 0xffffffffu), events);
  }
  const auto after = SteadyClock::now();
  for (Shard& shard : shards_) {
    if (!shard.due || *shard.due > after) continue;
    shard.due.reset();  // before the call: libcurl sets the next one in it
    socket_action(shard, CURL_SOCKET_TIMEOUT, 0);
  }
  return woken;
}

void MultiShards::socket_action(Shard& shard, curl_socket_t socket, int events) {
  int running = 0;
  // A failure here (out of memory) leaves the transfers to their timeouts,
  // which the next call runs.
  curl_multi_socket_action(shard.multi.get(), socket, events, &running);
  // Ended now, before any completion runs: until then no handle listed
  // here can have been reported and reused.
  std::vector<std::pair<CURL*, int>> unwatchable;
  unwatchable.swap(shard.unwatchable);
  for (const auto& [easy, error] : unwatchable) {
    remove(easy);
    aborted_.emplace_back(easy, std::string("the loop cannot watch the connection's socket: epoll_ctl: ") +
                                    std::strerror(error));
  }
}

std::size_t MultiShards::collect(const Finished& finished) {
  std::size_t ended = 0;
  for (Shard& shard : shards_) {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(shard.multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;  // the message is freed by the removal
      remove(easy);
      // May add transfers, to this shard too: info_read takes them in turn.
      finished(easy, code, std::string());
      ++ended;
    }
  }
  // Swapped out: what the completions do cannot touch the list being read.
  std::vector<std::pair<CURL*, std::string>> aborted;
  aborted.swap(aborted_);
  for (const auto& [easy, problem] : aborted) finished(easy, CURLE_ABORTED_BY_CALLBACK, problem);
  return ended + aborted.size();
}

int MultiShards::on_socket(CURL* easy, curl_socket_t socket, int what, void* data, void*) {
  auto* shard = static_cast<Shard*>(data);
  if (what == CURL_POLL_REMOVE) {
    shard->loop->forget(socket);
    return 0;
  }
  const int error = shard->loop->watch(socket, (what & CURL_POLL_IN) != 0, (what & CURL_POLL_OUT) != 0,
                                       tag_of(shard->index, socket));
  if (error == 0) return 0;
  // Not -1: that would make libcurl 7.88 fail every later call on the
  // multi handle. The transfer is ended once libcurl returns instead — if
  // it is one of ours (libcurl's own handles have no private pointer).
  void* owner = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
  const bool listed = std::any_of(shard->unwatchable.begin(), shard->unwatchable.end(),
                                  [easy](const auto& entry) { return entry.first == easy; });
  if (owner == shard && !listed) shard->unwatchable.emplace_back(easy, error);
  return 0;
}

int MultiShards::on_timer(CURLM*, long timeout_ms, void* data) {
  auto* shard = static_cast<Shard*>(data);
  if (timeout_ms < 0) {
    shard->due.reset();
  } else {
    shard->due = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

}  // namespace runhooks::detail
