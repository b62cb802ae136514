#include "runtime/vm_sandbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "common/fs.h"
#include "runtime/testing/fake_guest_fixture.h"

namespace kata::runtime {
namespace {

class VmSandboxTest : public testing::FakeGuestTest {
 protected:
  void TearDown() override {
    sandbox_.reset();
    FakeGuestTest::TearDown();
  }

  SandboxOptions sandbox_options() const {
    SandboxOptions o;
    o.id = options_.id;
    o.hostname = "fake-host";
    o.run_root = run_root_;
    return o;
  }

  void start() {
    boot();
    Result<std::unique_ptr<Sandbox>> sandbox =
        start_sandbox_on(std::move(guest_), sandbox_options());
    ASSERT_TRUE(sandbox) << sandbox.error().message();
    sandbox_ = std::move(*sandbox);
  }

  bool agent_was_asked(const std::string& call) {
    std::vector<std::string> calls = control_->agent->calls();
    return std::find(calls.begin(), calls.end(), call) != calls.end();
  }

  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(VmSandboxTest, StartsInTheGuestAndShutsDownToNothing) {
  start();
  EXPECT_TRUE(agent_was_asked("create_sandbox"));
  EXPECT_EQ(sandbox_->vmm_pid(), control_->pid);
  EXPECT_NE(sandbox_->agent(), nullptr);
  EXPECT_TRUE(sandbox_->vm_running());
  EXPECT_EQ(sandbox_->vm_death(), std::nullopt);

  Result<void> down = sandbox_->shutdown();
  ASSERT_TRUE(down) << down.error().message();
  EXPECT_EQ(control_->kill_calls.load(), 1) << "a sandbox's end is GuestVm::destroy";
  EXPECT_EQ(sandbox_->agent(), nullptr);
  EXPECT_FALSE(sandbox_->vm_running());
  EXPECT_EQ(sandbox_->vm_death(), std::nullopt) << "a shutdown is no death";
  EXPECT_FALSE(fs::exists(run_dir()));

  Result<void> twice = sandbox_->shutdown();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Code::kFailedPrecondition);
}

TEST_F(VmSandboxTest, UpdateOfAnUnknownContainerAsksNothing) {
  start();
  grpc::LinuxResources resources;
  resources.mutable_memory()->set_limit(64 << 20);
  Result<void> updated = sandbox_->update_container("nope", resources);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code(), Code::kNotFound);
  EXPECT_NE(updated.error().message().find("nope"), std::string::npos);
  EXPECT_FALSE(agent_was_asked("update_container nope"));
}

TEST_F(VmSandboxTest, SeesItsVmDie) {
  start();
  std::shared_ptr<agent_client::Agent> agent = sandbox_->agent();
  auto call = std::async(std::launch::async, [agent] { return agent->wait_process("c", ""); });
  ASSERT_TRUE(control_->agent->wait_call("wait_process c/"));
  crash_vmm();
  Result<int32_t> waited = call.get();
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code(), Code::kUnavailable);
  EXPECT_FALSE(sandbox_->vm_running());
  std::string qemu_exited = "QEMU (pid " + std::to_string(control_->pid) + ") exited";
  EXPECT_TRUE(eventually([&] { return sandbox_->vm_death() == qemu_exited; }));
  EXPECT_FALSE(sandbox_->agent()->check()) << "the agent is gone with its VM";

  EXPECT_TRUE(sandbox_->shutdown()) << "the host side of a dead VM still goes";
  EXPECT_FALSE(fs::exists(run_dir()));
}

TEST_F(VmSandboxTest, EndVmKillsItWithTheReason) {
  start();
  sandbox_->end_vm("the agent cannot serve a kill");
  EXPECT_TRUE(control_->wait_ended());
  EXPECT_FALSE(sandbox_->vm_running());
  EXPECT_EQ(sandbox_->vm_death(), "the agent cannot serve a kill");
}

TEST_F(VmSandboxTest, GuestThatCannotCreateItLeavesNothing) {
  boot();
  guest_->end("gone before the sandbox");
  ASSERT_TRUE(control_->wait_ended());
  Result<std::unique_ptr<Sandbox>> sandbox = start_sandbox_on(std::move(guest_), sandbox_options());
  ASSERT_FALSE(sandbox);
  EXPECT_EQ(sandbox.error().code(), Code::kUnavailable) << sandbox.error().message();
  EXPECT_NE(sandbox.error().message().find("start sandbox fake-vm"), std::string::npos);
  EXPECT_FALSE(fs::exists(run_dir()));
}

}  // namespace
}  // namespace kata::runtime
