#include "support/loopback_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace runhooks::test {

LoopbackListener listen_on_loopback(int backlog) {
  LoopbackListener listener;
  listener.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener.fd < 0) throw std::runtime_error("socket failed");
  int one = 1;
  setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener.fd, backlog) != 0) {
    close(listener.fd);
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t len = sizeof addr;
  getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listener.port = ntohs(addr.sin_port);
  return listener;
}

}  // namespace runhooks::test
