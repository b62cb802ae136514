#pragma once

// A private, real Docker (Debian's docker.io 20.10) for end-to-end tests: dockerd
// with its own data and exec roots, API socket, pid file and cgroup parent under a
// short temporary directory, no bridge and no iptables rules (the host's network is
// left alone), kata-runtime added as the runtime `kata` (containerd's runc shim with
// it as BinaryName), and the busybox test image imported. Destroying it removes every
// container, stops dockerd (and the containerd it started) and removes what it made.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "e2e/ctr_process.h"
#include "e2e/podman_env.h"
#include "sys/subprocess.h"

namespace kata::e2e {

class DockerEnv {
 public:
  static Result<std::unique_ptr<DockerEnv>> start(const PodmanOptions& options);
  ~DockerEnv();
  DockerEnv(const DockerEnv&) = delete;
  DockerEnv& operator=(const DockerEnv&) = delete;

  // `docker -H <socket> args...` (Debian's 20.10 client, /usr/bin/docker).
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
  Result<CtrResult> docker(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  Result<CtrResult> docker_on_pty(
      const std::vector<std::string>& args,
      std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  // `--runtime` for docker run: "kata" or "runc".
  static const char* runtime_flag(OciRuntime runtime);

  const std::string& image() const { return options_.kata.image; }
  const std::string& dir() const { return dir_; }
  // The last `bytes` of dockerd's log.
  std::string log_tail(size_t bytes = 4000) const;

 private:
  explicit DockerEnv(PodmanOptions options) : options_(std::move(options)) {}
  Result<void> launch();
  Result<void> import_image();
  void stop();

  PodmanOptions options_;
  std::string dir_, socket_, cgroup_parent_;
  std::unique_ptr<sys::Process> dockerd_;
};

}  // namespace kata::e2e
