#include "worker/storage_thread.hpp"

#include <algorithm>
#include <exception>
#include <iterator>

namespace runhooks::detail {

StorageThread::StorageThread(Storage& storage, std::string owner, std::chrono::milliseconds lease,
                             std::function<void()> done)
    : storage_(storage), writer_(storage, std::move(owner), lease), done_callback_(std::move(done)) {
  thread_ = std::thread([this] { run(); });
}

StorageThread::~StorageThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StorageThread::add(AttemptResult result, std::string event_id) {
  std::lock_guard lock(mutex_);
  queued_.emplace_back(std::move(result), std::move(event_id));
}

void StorageThread::submit() {
  {
    std::lock_guard lock(mutex_);
    if (queued_.empty()) return;
  }
  wake_.notify_one();
}

std::size_t StorageThread::pending() const {
  std::lock_guard lock(mutex_);
  return queued_.size() + writing_ + done_.written.size();
}

void StorageThread::claim(ClaimRequest request) {
  {
    std::lock_guard lock(mutex_);
    claim_request_ = std::move(request);
    claiming_ = true;
  }
  wake_.notify_one();
}

StorageThread::Taken StorageThread::take() {
  std::lock_guard lock(mutex_);
  Taken taken;
  std::swap(taken, done_);
  return taken;
}

StorageThread::Taken StorageThread::drain(std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(mutex_);
    const std::size_t before = final_writes_;
    const bool writes_left = !queued_.empty() || writing_ != 0;
    if (writes_left) final_write_ = true;
    wake_.notify_one();
    // Done when the claim is answered and everything is stored, or once
    // the final write has failed.
    drained_.wait_for(lock, timeout, [&] {
      return !claiming_ && queued_.empty() && (writing_ == 0 || !writes_left || final_writes_ != before);
    });
  }
  return take();
}

bool StorageThread::write_due(std::chrono::milliseconds& sleep) const {
  sleep = {};
  if (queued_.empty() && writer_.pending() == 0) return false;
  if (final_write_ || writer_.ready()) return true;
  sleep = std::max(std::chrono::milliseconds(1), writer_.pause_left());
  return false;
}

void StorageThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    std::chrono::milliseconds sleep{};
    while (!stopping_ && !claim_request_ && !write_due(sleep)) {
      if (sleep.count() > 0) {
        wake_.wait_for(lock, sleep);
      } else {
        wake_.wait(lock);
      }
    }
    if (stopping_) return;
    if (claim_request_) {
      make_claim(lock);
    } else {
      make_write(lock);
    }
    drained_.notify_all();
    lock.unlock();
    done_callback_();
    lock.lock();
  }
}

void StorageThread::make_claim(std::unique_lock<std::mutex>& lock) {
  const ClaimRequest request = std::move(*claim_request_);
  claim_request_.reset();
  lock.unlock();
  Result<std::vector<ClaimedDelivery>> claimed = Error{ErrorCode::internal, {}, ""};
  try {
    claimed = storage_.claim_due(request);
  } catch (const std::exception& e) {
    // An application's own Storage that throws: a failed claim like any other.
    claimed = Error{ErrorCode::internal, {}, std::string("claiming threw: ") + e.what()};
  } catch (...) {
    claimed = Error{ErrorCode::internal, {}, "claiming threw"};
  }
  lock.lock();
  done_.claimed = std::move(claimed);
  claiming_ = false;
}

void StorageThread::make_write(std::unique_lock<std::mutex>& lock) {
  // Everything queued so far goes in one batch, behind any kept from a
  // failed write.
  for (auto& [result, event_id] : queued_) {
    writing_ids_.push_back(result.attempt.delivery_id);
    writer_.add(std::move(result), std::move(event_id));
  }
  queued_.clear();
  writing_ = writer_.pending();
  const bool even_if_pausing = final_write_;
  final_write_ = false;
  lock.unlock();
  auto stored = writer_.write(even_if_pausing);
  lock.lock();
  if (stored) {
    done_.written.insert(done_.written.end(), std::make_move_iterator(stored->begin()),
                         std::make_move_iterator(stored->end()));
    done_.finished.insert(done_.finished.end(), std::make_move_iterator(writing_ids_.begin()),
                          std::make_move_iterator(writing_ids_.end()));
    writing_ids_.clear();
  } else {
    done_.errors.push_back(std::move(stored).error());
  }
  writing_ = writer_.pending();  // what a failed write kept
  if (even_if_pausing) ++final_writes_;
}

}  // namespace runhooks::detail
