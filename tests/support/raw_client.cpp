#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace runhooks::test {

namespace {

sockaddr_in loopback(const std::string& address, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  return addr;
}

int open_socket(int port, const std::string& source, bool blocking) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) return -1;
  if (!source.empty()) {
    const sockaddr_in from = loopback(source, 0);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
      close(fd);
      return -1;
    }
  }
  const sockaddr_in to = loopback("127.0.0.1", port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int connect_loopback(int port, const std::string& source) { return open_socket(port, source, true); }

std::string exchange(int port, const std::string& request, std::chrono::milliseconds wait) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "<no connection>";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close before taking it all: read what it said
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  pollfd p{fd, POLLIN, 0};
  char buffer[16384];
  while (poll(&p, 1, static_cast<int>(wait.count())) > 0) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      reply += "<closed>";
      break;
    }
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return reply;
}

std::size_t count_status_lines(const std::string& reply) {
  std::size_t count = 0;
  for (std::size_t at = reply.find("HTTP/1.1 "); at != std::string::npos; at = reply.find("HTTP/1.1 ", at + 1)) {
    if (at == 0 || reply.compare(at - 4, 4, "\r\n\r\n") == 0 || reply[at - 1] == '}') ++count;
  }
  return count;
}

SlowClients::SlowClients(int port, std::size_t count, std::chrono::milliseconds interval)
    : port_(port), count_(count), interval_(interval), thread_([this] { run(); }) {}

SlowClients::~SlowClients() {
  stop_ = true;
  thread_.join();
}

void SlowClients::run() {
  struct Slow {
    int fd = -1;
    std::string source;
    std::chrono::steady_clock::time_point next_byte;
  };
  std::vector<Slow> clients(count_);
  for (std::size_t i = 0; i < clients.size(); ++i) clients[i].source = "127.0.0." + std::to_string(2 + i % 8);
  const std::string first = "GET /webhooks?projectId=p HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  std::vector<pollfd> polled;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    std::size_t open = 0;
    for (auto& client : clients) {
      if (client.fd < 0) {
        client.fd = open_socket(port_, client.source, false);
        if (client.fd < 0) continue;
        send(client.fd, first.data(), first.size(), MSG_NOSIGNAL);  // may fail until connected: fine
        client.next_byte = now + interval_;
      } else if (interval_.count() > 0 && now >= client.next_byte) {
        send(client.fd, "a", 1, MSG_NOSIGNAL);
        client.next_byte = now + interval_;
      }
      ++open;
    }
    open_ = open;
    polled.clear();
    for (const auto& client : clients) polled.push_back(pollfd{client.fd, POLLIN, 0});
    if (poll(polled.data(), polled.size(), 20) <= 0) continue;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (polled[i].revents == 0) continue;
      char buffer[4096];
      if (recv(clients[i].fd, buffer, sizeof buffer, 0) > 0) continue;  // an answer (503): wait for the close
      close(clients[i].fd);
      clients[i].fd = -1;
      ++closed_;
    }
  }
  for (const auto& client : clients) {
    if (client.fd >= 0) close(client.fd);
  }
}

std::size_t resident_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

}  // namespace runhooks::test
