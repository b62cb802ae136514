#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent_client/testing/fake_agent.h"
#include "runtime/sandbox.h"

namespace kata::runtime::testing {

// What a FakeSandbox was asked and what it should fail. Shared with the test,
// because the code under test owns (and destroys) the Sandbox itself.
struct FakeSandboxState {
  // Knobs.
  bool fail_create_container = false;
  bool fail_remove_container = false;
  // Observations.
  std::vector<SandboxOptions> started;  // filled by the factory below
  std::vector<std::string> created;
  std::vector<std::string> removed;
  int shutdown_calls = 0;
  int attach_late_network_calls = 0;
  std::vector<std::string> end_vm_calls;
  bool vm_running = true;
  std::optional<std::string> death;  // what a test or end_vm() says ended the VM
  std::mutex mu;
};

// A Sandbox without a VM: containers live in a FakeAgent. shutdown()
// disconnects the agent, as a powered-off VM would.
class FakeSandbox : public Sandbox {
 public:
  FakeSandbox(std::string id, pid_t vmm_pid,
              std::shared_ptr<agent_client::testing::FakeAgent> agent,
              std::shared_ptr<FakeSandboxState> state)
      : id_(std::move(id)), vmm_pid_(vmm_pid), agent_(std::move(agent)), state_(std::move(state)) {}

  const std::string& id() const override { return id_; }
  pid_t vmm_pid() const override { return vmm_pid_; }
  bool vm_running() override {
    std::lock_guard lock(state_->mu);
    return state_->vm_running;
  }
  std::optional<std::string> vm_death() override {
    std::lock_guard lock(state_->mu);
    return state_->death;
  }
  // As QEMU's death: the connection is gone, so every pending call fails.
  void end_vm(const std::string& why) override {
    {
      std::lock_guard lock(state_->mu);
      state_->vm_running = false;
      if (!state_->death) state_->death = why;
      state_->end_vm_calls.push_back(why);
    }
    agent_->disconnect();
  }
  // As the real one: null once shut down.
  std::shared_ptr<agent_client::Agent> agent() override {
    std::lock_guard lock(state_->mu);
    return shut_down_ ? nullptr : agent_;
  }

  Result<void> create_container(const ContainerConfig& config) override {
    {
      std::lock_guard lock(state_->mu);
      if (state_->fail_create_container) {
        return Error(Code::kInternal, "fake sandbox: create container " + config.id + " fails");
      }
      state_->created.push_back(config.id);
    }
    grpc::CreateContainerRequest req;
    req.set_container_id(config.id);
    return agent_->create_container(req);
  }
  Result<void> update_container(const std::string& container_id,
                                const grpc::LinuxResources& resources) override {
    grpc::UpdateContainerRequest req;
    req.set_container_id(container_id);
    *req.mutable_resources() = resources;
    return agent_->update_container(req);
  }
  Result<void> attach_late_network() override {
    std::lock_guard lock(state_->mu);
    ++state_->attach_late_network_calls;
    return {};
  }
  Result<void> remove_container(const std::string& container_id) override {
    {
      std::lock_guard lock(state_->mu);
      state_->removed.push_back(container_id);
      if (state_->fail_remove_container) {
        return Error(Code::kInternal, "fake sandbox: remove container " + container_id + " fails");
      }
    }
    return agent_->remove_container(container_id, 0);
  }
  Result<void> shutdown() override {
    {
      std::lock_guard lock(state_->mu);
      ++state_->shutdown_calls;
      shut_down_ = true;
      state_->vm_running = false;
      state_->death.reset();  // as the real one: nothing to report once shut down
    }
    agent_->disconnect();
    return {};
  }

 private:
  std::string id_;
  pid_t vmm_pid_;
  std::shared_ptr<agent_client::testing::FakeAgent> agent_;
  std::shared_ptr<FakeSandboxState> state_;
  bool shut_down_ = false;  // guarded by state_->mu
};

}  // namespace kata::runtime::testing
