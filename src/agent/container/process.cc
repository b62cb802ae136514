#include "agent/container/process.h"

#include <signal.h>

#include <cerrno>

#include "agent/container/lookup.h"

namespace kata::agent::container {
void Process::on_exit(int wait_status) {
  {
    std::lock_guard lock(mu_);
    exit_code_ = exit_code_from_wait_status(wait_status);
  }
  cv_.notify_all();
}

bool Process::exited() const {
  std::lock_guard lock(mu_);
  return exit_code_.has_value();
}

Result<int> Process::wait(const ttrpc::CancelToken* cancel) {
  // Woken by the exit or by the cancel, never by a timer: a container that
  // runs for hours keeps a WaitProcess call pending all along.
  auto notify = [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  };
  ttrpc::CancelToken::Subscription woken =
      cancel ? cancel->subscribe(notify) : ttrpc::CancelToken::Subscription();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return exit_code_ || (cancel && cancel->cancelled()); });
  if (!exit_code_) return Error(Code::kCancelled, "wait cancelled");
  return *exit_code_;
}

Result<int> Process::wait_for(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, limit, [this] { return exit_code_.has_value(); })) {
    return Error(Code::kDeadlineExceeded,
                 "process " + std::to_string(pid_.load()) + " did not exit");
  }
  return *exit_code_;
}

Result<void> Process::signal(int sig) {
  std::lock_guard lock(mu_);
  if (exit_code_ || pid_.load() <= 0) return {};
  if (::kill(pid_.load(), sig) != 0 && errno != ESRCH) {
    return Error::from_errno(errno, "kill " + std::to_string(pid_.load()));
  }
  return {};
}

}  // namespace kata::agent::container
