#pragma once
// A listening TCP socket on 127.0.0.1 at a port the kernel picks: what
// every test receiver starts from.

namespace runhooks::test {

struct LoopbackListener {
  int fd = -1;  ///< close-on-exec; the caller closes it
  int port = 0;
};

/// Throws std::runtime_error when the socket cannot be made, bound or listened on.
LoopbackListener listen_on_loopback(int backlog);

}  // namespace runhooks::test
