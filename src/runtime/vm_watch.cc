#include "runtime/vm_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "sys/subprocess.h"

namespace kata::runtime {
namespace {

Result<UniqueFd> duplicate(int fd) {
  UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup) return Error::from_errno(errno, "duplicate pidfd");
  return dup;
}

}  // namespace

Result<std::unique_ptr<VmWatch>> VmWatch::start(WatchedProcess qemu, WatchedProcess virtiofsd) {
  std::unique_ptr<VmWatch> watch(new VmWatch());
  watch->qemu_pid_ = qemu.pid;
  KATA_ASSIGN_OR_RETURN(watch->qemu_fd_, duplicate(qemu.pidfd));
  if (virtiofsd.pidfd >= 0) {
    watch->virtiofsd_pid_ = virtiofsd.pid;
    KATA_ASSIGN_OR_RETURN(watch->virtiofsd_fd_, duplicate(virtiofsd.pidfd));
  }
  watch->stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!watch->stop_fd_) return Error::from_errno(errno, "watch VM: eventfd");
  watch->thread_ = std::thread([w = watch.get()] { w->run(); });
  return watch;
}

VmWatch::~VmWatch() {
  uint64_t one = 1;
  ssize_t unused = ::write(stop_fd_.get(), &one, sizeof one);
  (void)unused;
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> VmWatch::death() const {
  std::lock_guard lock(mu_);
  return death_;
}

void VmWatch::set_death(std::string why) {
  std::lock_guard lock(mu_);
  if (!death_) death_ = std::move(why);
}

void VmWatch::kill_qemu(const std::string& why) {
  set_death(why);
  // Through the pidfd: QEMU's pid cannot have been reused while we hold it.
  if (Result<void> killed = sys::signal_pidfd(qemu_fd_.get(), SIGKILL); !killed) {
    log::warn("kill QEMU (pid {}): {}", qemu_pid_, killed.error().message());
  }
}

void VmWatch::run() {
  bool virtiofsd_alive = virtiofsd_fd_.valid();
  for (;;) {
    pollfd fds[3] = {{stop_fd_.get(), POLLIN, 0},
                     {qemu_fd_.get(), POLLIN, 0},
                     {virtiofsd_alive ? virtiofsd_fd_.get() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      log::warn("watch VM (QEMU pid {}): poll: {}", qemu_pid_, std::strerror(errno));
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[2].revents != 0) {
      virtiofsd_alive = false;
      std::string why = "virtiofsd (pid " + std::to_string(virtiofsd_pid_) +
                        ") exited while the VM ran: the guest lost its file system";
      log::error("{}; killing QEMU (pid {})", why, qemu_pid_);
      kill_qemu(why);
    }
    if (fds[1].revents != 0) {
      set_death("QEMU (pid " + std::to_string(qemu_pid_) + ") exited");
      return;
    }
  }
}

}  // namespace kata::runtime
