#include "server/connection_table.hpp"

#include <vector>

namespace runhooks::cli {

bool ConnectionTable::admit(const std::shared_ptr<Connection>& connection) {
  if (size_ >= capacity_ && !evict_one()) return false;
  connection->slot_ = connections_.insert(connections_.end(), connection);
  connection->in_table_ = true;
  ++size_;
  return true;
}

void ConnectionTable::touch(Connection& connection) {
  if (connection.in_table_) connections_.splice(connections_.end(), connections_, connection.slot_);
}

void ConnectionTable::remove(Connection& connection) {
  if (!connection.in_table_) return;
  connection.in_table_ = false;
  --size_;
  connections_.erase(connection.slot_);  // may drop the last owner: callers keep their own
}

bool ConnectionTable::evict_one() {
  for (const auto& connection : connections_) {
    if (!connection->evictable()) continue;
    const auto keep = connection;
    keep->close();
    return true;
  }
  return false;
}

void ConnectionTable::close_expired(Connection::Clock::time_point now) {
  std::vector<std::shared_ptr<Connection>> expired;
  for (const auto& connection : connections_) {
    if (connection->deadline() <= now) expired.push_back(connection);
  }
  for (const auto& connection : expired) connection->close();
}

void ConnectionTable::close_all() {
  while (!connections_.empty()) {
    const auto keep = connections_.front();
    keep->close();
  }
}

void ConnectionTable::close_idle() {
  const std::vector<std::shared_ptr<Connection>> all(connections_.begin(), connections_.end());
  for (const auto& connection : all) connection->close_if_idle();
}

}  // namespace runhooks::cli
