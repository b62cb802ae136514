#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <utility>

#include "common/unique_fd.h"

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

  // An eventfd that turns readable once cancelled, for handlers that wait in
  // poll(): with it among their fds they need no timeout, and an idle guest
  // is not woken to look at the token. Made on first use, owned by the token;
  // -1 if the kernel refuses one (then poll with a timeout).
  int wake_fd() const {
    std::lock_guard lock(mu_);
    if (!wake_fd_) wake_fd_.reset(::eventfd(cancelled_ ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK));
    return wake_fd_.get();
  }

  // Calls `notify` when the token is cancelled, as long as the returned
  // handle lives; once the handle is gone, `notify` is never called again.
  // A waiter on its own condition variable passes a function that notifies
  // it, and checks cancelled() in its wait predicate (which also covers a
  // cancel that came before the subscription).
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept
        : token_(std::exchange(other.token_, nullptr)), it_(other.it_) {}
    Subscription& operator=(Subscription&&) = delete;
    ~Subscription() {
      if (!token_) return;
      std::lock_guard lock(token_->subscribers_mu_);
      token_->subscribers_.erase(it_);
    }

   private:
    friend class CancelToken;
    using Iterator = std::list<std::function<void()>>::iterator;
    Subscription(const CancelToken* token, Iterator it) : token_(token), it_(it) {}
    const CancelToken* token_ = nullptr;
    Iterator it_;
  };

  [[nodiscard]] Subscription subscribe(std::function<void()> notify) const {
    std::lock_guard lock(subscribers_mu_);
    return Subscription(this, subscribers_.insert(subscribers_.end(), std::move(notify)));
  }

  void cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      if (wake_fd_) {
        uint64_t one = 1;
        (void)!::write(wake_fd_.get(), &one, sizeof one);
      }
    }
    cv_.notify_all();
    // Not under mu_: a subscriber takes its own lock, under which it may call
    // cancelled().
    std::lock_guard lock(subscribers_mu_);
    for (const auto& notify : subscribers_) notify();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool cancelled_ = false;
  mutable UniqueFd wake_fd_;
  mutable std::mutex subscribers_mu_;
  mutable std::list<std::function<void()>> subscribers_;
};

// Waits until `fd` is ready for `events` (or in error: the caller's read or
// write reports it); false once `cancel` (which may be null) is cancelled.
inline bool wait_ready_or_cancelled(int fd, short events, const CancelToken* cancel) {
  constexpr int kFallbackPollMs = 100;  // only when the token has no eventfd
  int wake = cancel ? cancel->wake_fd() : -1;
  for (;;) {
    if (cancel && cancel->cancelled()) return false;
    pollfd p[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
    int r = ::poll(p, wake >= 0 ? 2 : 1, cancel && wake < 0 ? kFallbackPollMs : -1);
    if (r > 0 && p[0].revents != 0) return true;
    if (r < 0 && errno != EINTR) return true;
  }
}

}  // namespace kata::ttrpc
