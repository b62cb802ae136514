#pragma once

// A private, real podman (Debian's 4.3, with conmon) for end-to-end tests and
// benchmarks: its own containers.conf (this host's default_ulimits, cgroupfs,
// file events), storage, run root, temp dir and network config under a short
// temporary directory, and the busybox test image loaded. Each command names
// its OCI runtime: runc, or kata-runtime with a test configuration.toml (in
// KATA_CONF_FILE). Destroying it removes every container and everything it made.
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "e2e/containerd_env.h"
#include "e2e/ctr_process.h"

namespace kata::e2e {

enum class OciRuntime { kRunc, kKata };

const char* runtime_name(OciRuntime runtime);

struct PodmanOptions {
  EnvOptions kata;           // guest image, memory, image script (default_options)
  std::string kata_runtime;  // the kata-runtime binary
};

// From the build, as default_options(); KATA_TEST_KATA_RUNTIME overrides the binary.
PodmanOptions default_podman_options(const std::string& build_dir, const std::string& source_dir);

class PodmanEnv {
 public:
  static Result<std::unique_ptr<PodmanEnv>> start(const PodmanOptions& options);
  ~PodmanEnv();
  PodmanEnv(const PodmanEnv&) = delete;
  PodmanEnv& operator=(const PodmanEnv&) = delete;

  // `podman <private paths> --runtime R [runtime flags] args...`
  std::vector<std::string> argv(OciRuntime runtime, const std::vector<std::string>& args) const;
  Result<CtrResult> podman(OciRuntime runtime, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  Result<CtrResult> podman_on_pty(
      OciRuntime runtime, const std::vector<std::string>& args,
      std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  Result<BackgroundProcess> podman_background(OciRuntime runtime,
                                              const std::vector<std::string>& args) const;

  // The runtime's own command line: `runc` or `kata-runtime --config <env's>`, then args.
  std::vector<std::string> runtime_argv(OciRuntime runtime,
                                        const std::vector<std::string>& args) const;
  // Where kata-runtime keeps its containers' records here.
  const std::string& kata_root() const { return kata_root_; }
  const std::string& image() const { return options_.kata.image; }
  const std::string& dir() const { return dir_; }
  // Whatever is left of podman container `id` under Kata++ or runc: the sandbox's
  // processes, mounts, state, cgroups (leak_check.h), and its record under kata_root().
  // `sockets_before`: shim_socket_snapshot() from before the test.
  std::string leaks_of(const std::string& id, const std::set<std::string>& sockets_before) const;

 private:
  explicit PodmanEnv(PodmanOptions options) : options_(std::move(options)) {}
  Result<void> set_up();
  Env env() const;

  PodmanOptions options_;
  std::string dir_, kata_root_, kata_config_;
  bool bridge_was_there_ = false;
};

}  // namespace kata::e2e
