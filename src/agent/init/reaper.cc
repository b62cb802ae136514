#include "agent/init/reaper.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "common/log.h"

namespace kata::agent {

Result<std::unique_ptr<Reaper>> Reaper::start() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (int err = pthread_sigmask(SIG_BLOCK, &mask, nullptr); err != 0) {
    return Error::from_errno(err, "block SIGCHLD");
  }
  UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return Error::from_errno(errno, "signalfd");
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return Error::from_errno(errno, "eventfd");
  std::unique_ptr<Reaper> reaper(new Reaper(std::move(sfd), std::move(efd)));
  reaper->thread_ = std::thread([r = reaper.get()] { r->run(); });
  return reaper;
}

Reaper::Reaper(UniqueFd signal_fd, UniqueFd stop_fd)
    : signal_fd_(std::move(signal_fd)), stop_fd_(std::move(stop_fd)) {}

Reaper::~Reaper() {
  uint64_t one = 1;
  ssize_t unused = ::write(stop_fd_.get(), &one, sizeof one);
  (void)unused;
  if (thread_.joinable()) thread_.join();
}

Result<pid_t> Reaper::spawn(const Starter& starter, ExitCallback on_exit) {
  std::lock_guard lock(mu_);
  KATA_ASSIGN_OR_RETURN(pid_t pid, starter());
  watched_[pid] = std::move(on_exit);
  return pid;
}

uint64_t Reaper::orphans_reaped() const {
  std::lock_guard lock(mu_);
  return orphans_;
}

void Reaper::run() {
  // Children that exited before the signalfd existed raised no signal we can read.
  reap_all();
  pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("reaper: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    // Drain: many SIGCHLDs coalesce into one, so the count tells nothing.
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
    }
    reap_all();
  }
}

void Reaper::reap_all() {
  std::vector<std::pair<ExitCallback, std::pair<pid_t, int>>> exits;
  {
    std::lock_guard lock(mu_);
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;  // 0: children left but none exited; -1/ECHILD: none left
      auto it = watched_.find(pid);
      if (it == watched_.end()) {
        ++orphans_;
        log::debug("reaped orphan {} (status {:#x})", pid, status);
        continue;
      }
      exits.push_back({std::move(it->second), {pid, status}});
      watched_.erase(it);
    }
  }
  // Outside the lock, so that a callback may take its own locks without
  // ordering against spawn().
  for (auto& [cb, exit] : exits) {
    if (cb) cb(exit.first, exit.second);
  }
}

}  // namespace kata::agent
