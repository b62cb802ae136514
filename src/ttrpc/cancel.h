#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kata::ttrpc {

// Tells a running handler that nobody waits for its answer any more: the
// deadline passed, the connection closed or the server shut down. A handler
// that blocks for long (a long poll) should wait on this, because the server
// joins every handler thread before serve_connection() returns.
class CancelToken {
 public:
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

  // Waits until cancelled or `deadline`; true if cancelled.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [this] { return cancelled_; });
  }

  // Waits until cancelled.
  void wait() const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return cancelled_; });
  }

  void cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool cancelled_ = false;
};

}  // namespace kata::ttrpc
