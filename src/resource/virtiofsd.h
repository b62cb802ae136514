#pragma once

// One virtiofsd (QEMU 7.2's C daemon) per sandbox, sharing the sandbox's shared dir.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "sys/subprocess.h"

namespace kata::resource {

struct VirtiofsdConfig {
  std::string daemon = "/usr/lib/qemu/virtiofsd";
  std::string shared_dir = {};   // absolute, no ','
  std::string socket_path = {};  // the vhost-user socket QEMU connects to
  std::string log_path = {};     // virtiofsd's stderr
  // "auto", "always", "none" (or Kata's "never", the Rust daemon's name for "none").
  std::string cache = "auto";
  std::vector<std::string> extra_args = {};  // configuration.toml virtio_fs_extra_args
  std::chrono::milliseconds start_timeout{10000};
};

// The daemon's argv. The socket is created by us and handed over as fd 0 (--fd=0):
// virtiofsd then needs no pid file of its own (it would leave one in /run/virtiofsd
// after a SIGKILL) and is connectable as soon as it is spawned.
Result<std::vector<std::string>> virtiofsd_argv(const VirtiofsdConfig& config);

// A running virtiofsd. It exits by itself once QEMU disconnects; stop() and the
// destructor make sure of it (SIGKILL to its process group, which also holds the
// child it runs in its own pid namespace), reap it and remove the socket.
class Virtiofsd {
 public:
  // Binds the socket and spawns the daemon without waiting for it: QEMU may connect
  // at once, its connection waits in the socket's backlog until the daemon is ready.
  static Result<std::unique_ptr<Virtiofsd>> spawn(const VirtiofsdConfig& config);
  // spawn() and wait_ready(); nothing is left when it fails.
  static Result<std::unique_ptr<Virtiofsd>> start(const VirtiofsdConfig& config);

  // Waits until the daemon says it waits for QEMU. A daemon that died meanwhile (or
  // hangs past start_timeout) fails this with the end of its output, and is reaped.
  Result<void> wait_ready();

  Virtiofsd(const Virtiofsd&) = delete;
  Virtiofsd& operator=(const Virtiofsd&) = delete;
  ~Virtiofsd();

  pid_t pid() const { return process_.pid(); }
  int pidfd() const { return process_.pidfd(); }  // readable once it has exited
  bool exited() const { return process_.reaped(); }
  const std::string& socket_path() const { return config_.socket_path; }

  // Kills its group unless it has exited already, and returns how it ended. No
  // grace period: its work ends with QEMU's and it keeps nothing worth a clean exit.
  Result<sys::ExitStatus> stop();

  std::string log_tail(size_t n_lines) const;

 private:
  Virtiofsd(sys::Process process, VirtiofsdConfig config)
      : process_(std::move(process)), config_(std::move(config)) {}
  void kill_and_reap();

  sys::Process process_;
  VirtiofsdConfig config_;
};

}  // namespace kata::resource
