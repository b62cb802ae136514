#pragma once

// Watches the host processes a VM cannot live without, so that the death of
// one is the end of the sandbox rather than a hang. virtiofsd gone means the
// guest's file system is gone: every file access in the guest would block
// forever (FUSE requests nobody answers), calls to the agent with it. So its
// death ends QEMU at once, and QEMU's end closes the agent connection, which
// fails every pending call and reports every process exited. Fault model:
// docs/sandbox-state.md.
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::runtime {

struct WatchedProcess {
  pid_t pid = 0;
  int pidfd = -1;  // borrowed: the watch keeps a duplicate
};

class VmWatch {
 public:
  // `virtiofsd.pidfd` < 0: a VM without a share.
  static Result<std::unique_ptr<VmWatch>> start(WatchedProcess qemu, WatchedProcess virtiofsd);
  VmWatch(const VmWatch&) = delete;
  VmWatch& operator=(const VmWatch&) = delete;
  ~VmWatch();  // stops watching; kills nothing

  // SIGKILL to QEMU, with `why` as its death (unless it died already).
  void kill_qemu(const std::string& why);

  // What ended the VM ("virtiofsd (pid 12) exited: ..."), once something did.
  std::optional<std::string> death() const;

 private:
  VmWatch() = default;
  void run();
  void set_death(std::string why);

  pid_t qemu_pid_ = 0, virtiofsd_pid_ = 0;
  UniqueFd qemu_fd_, virtiofsd_fd_, stop_fd_;
  mutable std::mutex mu_;
  std::optional<std::string> death_;
  std::thread thread_;
};

}  // namespace kata::runtime
