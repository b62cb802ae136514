#include "runtime/guest_vm.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "common/fs.h"
#include "runtime/sandbox_state.h"
#include "runtime/testing/fake_guest_fixture.h"
#include "sys/process_identity.h"

namespace kata::runtime {
namespace {

using testing::FakeGuestTest;

TEST(GuestVmTest, HostileIdChangesNothing) {
  config::Config c;
  BootOptions o;
  o.id = "../escape";
  o.run_root = ::testing::TempDir() + "/kata-runtime-test-root";
  auto vm = GuestVm::boot(c, o);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code(), Code::kInvalidArgument);
  EXPECT_NE(vm.error().message().find("invalid id"), std::string::npos);
  EXPECT_FALSE(fs::exists(o.run_root));
}

// A call that blocks in the guest until the VM ends.
std::future<Result<int32_t>> pending_call(GuestVm& guest, testing::FakeGuestAgent& agent) {
  std::shared_ptr<agent_client::Agent> client = guest.shared_agent();
  auto call = std::async(std::launch::async, [client] { return client->wait_process("c", ""); });
  EXPECT_TRUE(agent.wait_call("wait_process c/"));
  return call;
}

TEST_F(FakeGuestTest, BootWritesTheVmmIntoTheState) {
  boot();
  pid_t pid = control_->pid;
  EXPECT_EQ(guest_->vm().pid(), pid);
  EXPECT_EQ(control_->dials.load(), 1);
  EXPECT_TRUE(guest_->agent().check());

  Result<SandboxState> state = read_sandbox_state(run_dir());
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(state->status, SandboxStatus::kRunning);
  EXPECT_EQ(state->service.pid, ::getpid());
  Result<sys::ProcessIdentity> vmm = sys::identify_process(pid);
  ASSERT_TRUE(vmm) << vmm.error().message();
  EXPECT_EQ(state->qemu, *vmm) << "pid and start time of the VMM's process";
  EXPECT_TRUE(state->virtiofsd.empty()) << "no share, no virtiofsd";
}

TEST_F(FakeGuestTest, CrashedVmmIsTheDeathAndFailsPendingCalls) {
  boot();
  auto call = pending_call(*guest_, *control_->agent);
  crash_vmm();
  Result<int32_t> waited = call.get();
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code(), Code::kUnavailable);
  std::string qemu_exited = "QEMU (pid " + std::to_string(control_->pid) + ") exited";
  EXPECT_TRUE(eventually([&] { return guest_->death() == qemu_exited; }))
      << guest_->death().value_or("(no death)");

  Result<void> down = guest_->shutdown(std::chrono::seconds(5));
  ASSERT_FALSE(down) << "a dead VM cannot have powered off";
  EXPECT_EQ(down.error().code(), Code::kUnavailable) << down.error().message();
  EXPECT_FALSE(fs::exists(run_dir()));
}

TEST_F(FakeGuestTest, EndKillsTheVmmWithTheReasonGiven) {
  boot();
  auto call = pending_call(*guest_, *control_->agent);
  guest_->end("the agent hung");
  EXPECT_FALSE(call.get()) << "a call pending on an ended VM must fail";
  EXPECT_EQ(guest_->death(), "the agent hung");
  EXPECT_TRUE(control_->wait_ended());
  EXPECT_EQ(guest_->death(), "the agent hung") << "the VMM's exit must not overwrite the reason";
  EXPECT_TRUE(guest_->destroy());
  ASSERT_TRUE(control_->exit_status());
  EXPECT_EQ(control_->exit_status()->signal, SIGKILL);
}

TEST_F(FakeGuestTest, AHungGuestIsEndedLikeADeadOne) {
  using std::chrono::milliseconds;
  options_.heartbeat = HeartbeatOptions{milliseconds(20), milliseconds(20),
                                        std::chrono::seconds(30), milliseconds(200)};
  boot();
  auto call = pending_call(*guest_, *control_->agent);
  control_->agent->hang_check = true;  // QEMU lives, the guest answers nothing
  EXPECT_FALSE(call.get()) << "a call pending on a hung guest must fail once it is ended";
  EXPECT_TRUE(control_->wait_ended());
  std::string death = guest_->death().value_or("(no death)");
  EXPECT_NE(death.find("did not answer a health check"), std::string::npos) << death;
  EXPECT_TRUE(guest_->destroy());
}

TEST_F(FakeGuestTest, AnAnsweringGuestIsLeftAlone) {
  using std::chrono::milliseconds;
  options_.heartbeat =
      HeartbeatOptions{milliseconds(10), milliseconds(20), milliseconds(0), milliseconds(0)};
  boot();
  ASSERT_TRUE(control_->agent->wait_call("check"));
  std::this_thread::sleep_for(milliseconds(100));  // several checks, each answered
  EXPECT_EQ(guest_->death(), std::nullopt);
  EXPECT_TRUE(guest_->shutdown(std::chrono::seconds(10)));
}

TEST_F(FakeGuestTest, ShutdownWaitsForTheGuestToPowerOff) {
  boot();
  Result<void> down = guest_->shutdown(std::chrono::seconds(10));
  ASSERT_TRUE(down) << down.error().message();
  EXPECT_TRUE(control_->agent->wait_call("destroy_sandbox"));
  EXPECT_EQ(control_->stop_calls.load(), 0) << "a guest that powers off needs no stop";
  EXPECT_EQ(control_->kill_calls.load(), 0);
  ASSERT_TRUE(control_->exit_status());
  EXPECT_EQ(control_->exit_status()->signal, SIGTERM) << "the fake guest's power-off";
  EXPECT_FALSE(fs::exists(run_dir()));
  EXPECT_FALSE(control_->agent->check()) << "the agent is gone with its VM";

  Result<void> twice = guest_->shutdown(std::chrono::seconds(1));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Code::kFailedPrecondition);
}

TEST_F(FakeGuestTest, ShutdownOfAHungGuestFallsBackToKill) {
  control_->guest_hangs = true;
  control_->ignore_stop = true;
  boot();
  Result<void> down = guest_->shutdown(std::chrono::milliseconds(50));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), Code::kDeadlineExceeded) << down.error().message();
  EXPECT_EQ(control_->stop_calls.load(), 1);
  ASSERT_TRUE(control_->exit_status());
  EXPECT_EQ(control_->exit_status()->signal, SIGKILL)
      << "the stop was ignored: only a kill ends it";
  EXPECT_FALSE(fs::exists(run_dir()));
}

TEST_F(FakeGuestTest, DestroyLeavesNothing) {
  boot();
  pid_t pid = control_->pid;
  ASSERT_TRUE(guest_->destroy());
  EXPECT_EQ(control_->kill_calls.load(), 1);
  EXPECT_EQ(control_->agent->calls().back(), "check") << "destroy says nothing to the agent";
  EXPECT_FALSE(fs::exists(run_dir()));
  EXPECT_EQ(::kill(pid, 0), -1) << "the VMM's process was reaped";
  EXPECT_FALSE(control_->agent->check());

  Result<void> twice = guest_->destroy();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Code::kFailedPrecondition);
}

TEST_F(FakeGuestTest, FailedLaunchLeavesNoRunDir) {
  control_->fail_launch = true;
  Result<std::unique_ptr<GuestVm>> guest = GuestVm::boot(config_, options_);
  ASSERT_FALSE(guest);
  EXPECT_NE(guest.error().message().find("launch fails"), std::string::npos)
      << guest.error().message();
  EXPECT_EQ(control_->launches.load(), 1);
  EXPECT_EQ(control_->dials.load(), 0);
  EXPECT_FALSE(fs::exists(run_dir())) << "the launch had created it";
}

TEST_F(FakeGuestTest, VmmDyingDuringBootFailsItWithTheConsole) {
  control_->agent_silent = true;
  control_->die_after = std::chrono::milliseconds(50);
  Result<std::unique_ptr<GuestVm>> guest = GuestVm::boot(config_, options_);
  ASSERT_FALSE(guest);
  const std::string& msg = guest.error().message();
  EXPECT_EQ(guest.error().code(), Code::kUnavailable) << msg;
  EXPECT_NE(msg.find("exited before its agent answered"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fake guest fake-vm up"), std::string::npos) << "the console tail: " << msg;
  EXPECT_FALSE(fs::exists(run_dir()));
}

}  // namespace
}  // namespace kata::runtime
