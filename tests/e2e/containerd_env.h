#pragma once

// A private, real containerd for end-to-end tests and benchmarks: its own config,
// root, state and sockets under a short temporary directory, our shim directory first
// on its PATH (containerd hands its environment to shims, so KATA_CONF_FILE points the
// Kata++ shim at a test configuration.toml), and the busybox test image imported.
// Destroying it stops containerd and removes everything it made.

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "e2e/ctr_process.h"
#include "sys/subprocess.h"

namespace kata::e2e {

inline constexpr const char* kRuncRuntime = "io.containerd.runc.v2";
inline constexpr const char* kKataRuntime = "io.containerd.kata.v2";

struct EnvOptions {
  // Put first on containerd's PATH (where containerd-shim-kata-v2 is); empty = none.
  std::string shim_dir;
  // vmlinux (or vmlinuz) + kata-initrd.img for the Kata++ configuration.toml.
  std::string guest_dir;
  // tests/images/make-busybox-oci.
  std::string image_script;
  std::string image = "localhost/busybox:test";
  // Memory of each VM (MiB) and seconds the shim waits for the agent.
  int vm_memory_mib = 512;
  int dial_timeout_s = 60;
  // Extra lines for [hypervisor.qemu] of the test configuration.toml.
  std::string extra_hypervisor_toml;
  // Enables containerd's CRI plugin (cri_config.h): `runc` and `kata` handlers, a pause
  // image built from `pause_binary`, a CNI bridge network of the env's own. ctr then works
  // in CRI's namespace, k8s.io.
  bool cri = false;
  std::string pause_binary;  // tests/images/pause, built
  std::string pause_image = "localhost/pause:test";
};

// Paths from the build: the shim's directory and binary, the guest image, the image
// script; each overridable from the environment (KATA_TEST_SHIM_DIR, KATA_TEST_GUEST_DIR).
EnvOptions default_options(const std::string& build_dir, const std::string& source_dir);

// The Kata++ configuration.toml the harness gives the runtime: the guest image of
// `options`, TCG, its memory and agent dial timeout.
std::string kata_test_config(const EnvOptions& options);

class ContainerdEnv {
 public:
  static Result<std::unique_ptr<ContainerdEnv>> start(const EnvOptions& options);
  ~ContainerdEnv();
  ContainerdEnv(const ContainerdEnv&) = delete;
  ContainerdEnv& operator=(const ContainerdEnv&) = delete;

  // `ctr -a <socket> -n <namespace> args...`
  std::vector<std::string> ctr_argv(const std::vector<std::string>& args) const;
  Result<CtrResult> ctr(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  Result<CtrResult> ctr_on_pty(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  Result<BackgroundProcess> ctr_background(const std::vector<std::string>& args) const;

  // `ctr run --rm --runtime <runtime> <image> <id> cmd...`
  std::vector<std::string> run_args(const std::string& runtime, const std::string& id,
                                    const std::vector<std::string>& cmd,
                                    const std::vector<std::string>& flags = {}) const;

  // containerd answers `ctr version` and is still running.
  bool healthy() const;
  // Stops containerd (SIGTERM: its shims and tasks go on) and starts it again on the same
  // configuration, root and state, as an upgrade or a crash-restart of a node would.
  Result<void> restart();
  // A fresh id, unique across concurrent test binaries (the Kata++ state dirs
  // /run/kata-containers/<id> are host-wide): "<prefix>-<pid>-<n>".
  std::string unique_id(const std::string& prefix);
  // Best effort: kills and deletes task and container `id`, ignoring "not found".
  void force_remove(const std::string& id) const;
  // force_remove() of each id, then wait_for_no_leaks() of each (leak_check.h):
  // what is left of them, one line per sandbox, "" when nothing is.
  std::string remove_and_find_leaks(const std::vector<std::string>& ids,
                                    const std::set<std::string>& sockets_before) const;
  // Unpacks the image's single layer into `dir` (for `ctr run --config` with a rootfs
  // directory instead of a snapshot).
  Result<void> unpack_image_to(const std::string& dir) const;

  const std::string& dir() const { return dir_; }
  const std::string& address() const { return address_; }
  const std::string& ns() const { return ns_; }
  const std::string& image() const { return options_.image; }
  const std::string& kata_config() const { return kata_config_; }
  // With `cri`: the CNI bridge and subnet of the pods' network.
  const std::string& cri_bridge() const { return cri_bridge_; }
  const std::string& cri_subnet() const { return cri_subnet_; }
  pid_t pid() const { return containerd_->pid(); }
  // The last `bytes` of containerd's log (shim errors end up there too).
  std::string log_tail(size_t bytes = 4000) const;

 private:
  explicit ContainerdEnv(EnvOptions options) : options_(std::move(options)) {}
  Result<void> write_configs();
  Result<void> launch();
  Result<void> import_image(const std::string& name, const std::string& pause_binary);
  void stop();

  EnvOptions options_;
  std::string dir_, address_, ns_, kata_config_, image_tar_;
  std::string cri_bridge_, cri_subnet_;
  std::unique_ptr<sys::Process> containerd_;
  int next_id_ = 0;
};

}  // namespace kata::e2e
