#pragma once
// The server's open connections, longest waiting first, with the room
// policy: when full, a newcomer pushes out the connection that has waited
// longest for its request to arrive. So clients that open connections and
// dribble (slowloris) or idle hold a slot only until newer ones need it,
// from however many addresses they come, while a client that sends its
// request at once is answered. I/O thread only.

#include "server/connection.hpp"

#include <cstddef>
#include <list>
#include <memory>

namespace runhooks::cli {

class ConnectionTable {
 public:
  explicit ConnectionTable(std::size_t capacity) : capacity_(capacity) {}

  /// Takes `connection` in, pushing out the longest-waiting evictable one if
  /// full; false (and nothing changed) when every connection is busy.
  bool admit(const std::shared_ptr<Connection>& connection);
  /// Marks `connection` as starting to wait now (moves it to the back).
  void touch(Connection& connection);
  void remove(Connection& connection);
  /// Closes the connections whose deadline has passed.
  void close_expired(Connection::Clock::time_point now);
  /// Closes the longest-waiting evictable connection; false if none.
  bool evict_one();
  /// Closes every connection but those whose request is being handled or answered.
  void close_idle();
  void close_all();
  std::size_t size() const { return size_; }

 private:
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::list<std::shared_ptr<Connection>> connections_;  // by the time they started waiting
};

}  // namespace runhooks::cli
