#pragma once

// What every CRI e2e suite shares: one private containerd with its CRI plugin for the test
// binary (ContainerdEnv with `cri`), our runtime.v1 client, and a fixture parameterized by
// the runtime handler ("runc", "kata") that makes pods and containers the way a kubelet
// does and, after each test, stops and removes its pods twice over (both idempotent) and
// requires that nothing of them remains: no process, mount, socket or state directory,
// not the network namespace CRI made for each.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cri/pod_config.h"
#include "e2e/containerd_env.h"

namespace kata::e2e {

namespace v1 = cri::v1;

// Set up once per test binary (a gtest Environment registered by cri_fixture.cc).
ContainerdEnv* cri_env();
cri::CriClient* cri_client();

// The QEMU processes that serve `pod_id`.
std::vector<pid_t> qemu_pids(const std::string& pod_id);

class CriPodFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool kata() const { return handler_ == "kata"; }
  ContainerdEnv& env() { return *cri_env(); }
  cri::CriClient& cri() { return *cri_client(); }

  // A pod named `prefix-<handler>-...` whose hostname is its name, `adjust`ed; "" after a
  // failed expectation.
  std::string run_pod(const std::string& prefix, v1::PodSandboxConfig* config_out = nullptr,
                      const std::function<void(v1::PodSandboxConfig&)>& adjust = nullptr);
  // Created (`adjust`ed) and started; "" after a failed expectation.
  std::string start_container(const std::string& pod_id, const v1::PodSandboxConfig& pod,
                              const std::string& name, const std::vector<std::string>& command,
                              uint32_t attempt = 0,
                              const std::function<void(v1::ContainerConfig&)>& adjust = nullptr);
  // stdout of `cmd` in container `id` (trimmed), which must exit 0.
  std::string exec(const std::string& id, const std::vector<std::string>& cmd);
  // The container's log file (`path` under the pod's log directory) once it holds `text`
  // (up to 30 s), else what it holds.
  std::string wait_for_log(const std::string& path, const std::string& text);

  // For a pod the test removed itself: TearDown only checks that nothing of it remains.
  void removed_by_test(const std::string& pod_id);

  std::string handler_, log_dir_;
  std::set<std::string> sockets_before_;
  std::vector<std::string> pods_, containers_, removed_pods_;
  std::vector<std::string> netns_;  // the pods' network namespaces, gone after removal
};

}  // namespace kata::e2e
