// Boots the real guest image and talks to the real agent, then proves that
// nothing of the VM is left: no QEMU process, no socket, no run directory.
#include "runtime/guest_vm.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "common/fs.h"
#include "vm/vm_test_util.h"

namespace kata::runtime {
namespace {

using vm_test::guest_dir;
using vm_test::process_alive;

class GuestVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(guest_dir() + "/kata-initrd.img"))
        << "no guest image in " << guest_dir()
        << " (run scripts/setup, or set KATA_TEST_GUEST_DIR)";
    char tmpl[] = "/tmp/kata-vmtest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_root_ = tmpl;
    // The KVM probe costs a few seconds on hosts where KVM hangs; one test
    // runs it (auto), the others go straight to TCG.
    config_ = vm_test::tcg_guest_config();
    config_.agent.dial_timeout = 60;
    options_.id = "vmtest-" + std::to_string(::getpid());
    options_.run_root = run_root_;
  }

  void TearDown() override {
    vm_test::expect_nothing_left(run_root_, options_.id);
    (void)fs::remove_all(run_root_);
  }

  config::Config config_;
  BootOptions options_;
  std::string run_root_;
};

TEST_F(GuestVmTest, BootsAnswersAndPowersOffByItself) {
  config_.hypervisor.accelerator = config::Accelerator::kAuto;
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_TRUE(guest) << guest.error().message();
  auto& g = **guest;
  pid_t qemu = g.vm().pid();
  std::string agent_socket = hypervisor::qemu::RunPaths::in(g.run_dir()).agent_socket;
  EXPECT_TRUE(fs::exists(agent_socket));

  EXPECT_TRUE(g.agent().check());
  Result<std::string> version = g.agent().version();
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(*version, KATA_VERSION);

  auto details = g.agent().guest_details();
  ASSERT_TRUE(details) << details.error().message();
  EXPECT_EQ(details->agent_version, KATA_VERSION);
  EXPECT_TRUE(details->init_daemon);
  // The kernel under test is either kata-osbuilder's or Debian's; both say so in uname -v.
  EXPECT_FALSE(details->kernel_release.empty());
  EXPECT_TRUE(details->kernel_version.find("Kata++ ") != std::string::npos ||
              details->kernel_version.find("Debian ") != std::string::npos)
      << details->kernel_version;
  EXPECT_GT(details->mem_block_size_bytes, 0u);

  agent_client::SandboxSpec spec{options_.id, "kata-test-host", {"nameserver 10.0.2.3"}};
  Result<void> created = g.agent().create_sandbox(spec);
  ASSERT_TRUE(created) << created.error().message();
  Result<void> again = g.agent().create_sandbox(spec);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists) << again.error().message();
  EXPECT_TRUE(g.agent().set_guest_time(std::chrono::system_clock::now()));

  // DestroySandbox powers the guest off: QEMU must exit by itself.
  Result<void> down = g.shutdown(std::chrono::seconds(30));
  EXPECT_TRUE(down) << down.error().message();
  EXPECT_FALSE(process_alive(qemu));
  EXPECT_FALSE(fs::exists(agent_socket));
  Result<void> twice = g.shutdown(std::chrono::seconds(1));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Code::kFailedPrecondition);
}

// QEMU as configured by default: its own seccomp filter on (Seccomp: 2) and no
// capability in any set, though it runs as root.
void expect_confined(pid_t qemu) {
  std::string status = *fs::read_file("/proc/" + std::to_string(qemu) + "/status");
  for (const char* line :
       {"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000",
        "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "Seccomp:\t2"}) {
    EXPECT_NE(status.find(line), std::string::npos) << line << " not in\n" << status;
  }
  std::string cmdline = *fs::read_file("/proc/" + std::to_string(qemu) + "/cmdline");
  EXPECT_NE(cmdline.find(std::string("-sandbox\0on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                                     "resourcecontrol=deny\0",
                                     81)),
            std::string::npos);
}

// With every device the runtime uses (virtio-serial, vhost-user-fs with virtiofsd, rng,
// balloon) the confined QEMU boots, serves and shares.
TEST_F(GuestVmTest, ConfinedQemuBootsWithASharedDir) {
  options_.shared_dir = run_root_ + "/shared";
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_TRUE(guest) << guest.error().message();
  expect_confined((*guest)->vm().pid());
  EXPECT_TRUE((*guest)->agent().check());
  Result<void> down = (*guest)->destroy();
  EXPECT_TRUE(down) << down.error().message();
}

TEST_F(GuestVmTest, BootsOnQ35Too) {
  config_.hypervisor.machine_type = config::MachineType::kQ35;
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_TRUE(guest) << guest.error().message();
  EXPECT_EQ((*guest)->machine(), hypervisor::Machine::kQ35);
  expect_confined((*guest)->vm().pid());
  auto details = (*guest)->agent().guest_details();
  ASSERT_TRUE(details) << details.error().message();
  EXPECT_EQ(details->agent_version, KATA_VERSION);
  Result<void> down = (*guest)->shutdown(std::chrono::seconds(30));
  EXPECT_TRUE(down) << down.error().message();
}

TEST_F(GuestVmTest, RejectsAnOverlongHostname) {
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_TRUE(guest) << guest.error().message();
  agent_client::SandboxSpec spec{options_.id, std::string(100, 'h'), {}};
  Result<void> created = (*guest)->agent().create_sandbox(spec);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code(), Code::kInvalidArgument) << created.error().message();
  EXPECT_TRUE((*guest)->agent().check()) << "the agent must survive a bad request";
  EXPECT_TRUE((*guest)->shutdown(std::chrono::seconds(30)));
}

TEST_F(GuestVmTest, KilledQemuIsReportedAndCleanedUp) {
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_TRUE(guest) << guest.error().message();
  pid_t qemu = (*guest)->vm().pid();
  ASSERT_EQ(::kill(qemu, SIGKILL), 0);
  Result<void> down = (*guest)->shutdown(std::chrono::seconds(5));
  EXPECT_FALSE(down) << "a dead QEMU cannot have powered off cleanly";
  EXPECT_FALSE(process_alive(qemu));
}

TEST_F(GuestVmTest, SilentAgentTimesOutWithTheConsoleTail) {
  // The agent listens on vsock while the host waits on virtio-serial: the
  // guest boots fine, but no Check is ever answered.
  config_.hypervisor.kernel_params = "agent.channel=vsock";
  config_.agent.dial_timeout = 12;  // boots reach "serving" in 2-6 s here
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_FALSE(guest);
  const std::string& msg = guest.error().message();
  EXPECT_EQ(guest.error().code(), Code::kDeadlineExceeded) << msg;
  EXPECT_NE(msg.find("guest console"), std::string::npos) << msg;
  EXPECT_NE(msg.find("serving on vsock"), std::string::npos) << msg;
}

TEST_F(GuestVmTest, BadKernelFailsClearlyAndLeavesNothing) {
  config_.hypervisor.kernel = run_root_ + "/no-such-vmlinuz";
  config_.hypervisor.accelerator = config::Accelerator::kTcg;
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_FALSE(guest);
  EXPECT_NE(guest.error().message().find("no-such-vmlinuz"), std::string::npos)
      << guest.error().message();
}

TEST_F(GuestVmTest, RunDirInUseIsRefusedAndKept) {
  ASSERT_TRUE(fs::mkdir_all(run_root_ + "/" + options_.id));
  auto guest = GuestVm::boot(config_, options_);
  ASSERT_FALSE(guest);
  EXPECT_EQ(guest.error().code(), Code::kAlreadyExists);
  EXPECT_TRUE(fs::exists(run_root_ + "/" + options_.id)) << "another VM's run dir must be kept";
  ASSERT_TRUE(fs::remove_all(run_root_ + "/" + options_.id));
}

}  // namespace
}  // namespace kata::runtime
