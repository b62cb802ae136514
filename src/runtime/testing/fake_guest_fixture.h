#pragma once

// A GoogleTest fixture that boots GuestVms on a FakeVmm and FakeGuestAgent in
// a temporary run root, and checks at the end that nothing of the VM is left.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/fs.h"
#include "runtime/guest_vm.h"
#include "runtime/testing/fake_vmm.h"

namespace kata::runtime::testing {

class FakeGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kata-fake-vm-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    run_root_ = tmpl;
    // Given, not probed: the KVM probe would boot a real guest.
    config_.hypervisor.accelerator = config::Accelerator::kTcg;
    options_.id = "fake-vm";
    options_.run_root = run_root_;
    options_.launch_vmm = fake_vmm_factory(control_);
    options_.dial_agent = fake_agent_dialer(control_);
  }

  void TearDown() override {
    guest_.reset();
    EXPECT_FALSE(fs::exists(run_dir())) << "the run dir outlived the VM";
    if (control_->pid != 0) {
      EXPECT_TRUE(control_->wait_ended()) << "the VMM's process outlived the VM";
      EXPECT_TRUE(control_->exit_status()) << "the VMM's process was not reaped";
    }
    (void)fs::remove_all(run_root_);
  }

  std::string run_dir() const { return run_root_ + "/" + options_.id; }

  void boot() {
    Result<std::unique_ptr<GuestVm>> guest = GuestVm::boot(config_, options_);
    ASSERT_TRUE(guest) << guest.error().message();
    guest_ = std::move(*guest);
  }

  // A SIGKILL from outside: the VMM crashed or someone killed it.
  void crash_vmm() {
    ASSERT_EQ(::kill(control_->pid, SIGKILL), 0);
    ASSERT_TRUE(control_->wait_ended());
  }

  // For what another thread (VmWatch) notices: true once `done` holds.
  static bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::shared_ptr<FakeVmmControl> control_ = std::make_shared<FakeVmmControl>();
  config::Config config_;
  BootOptions options_;
  std::string run_root_;
  std::unique_ptr<GuestVm> guest_;
};

}  // namespace kata::runtime::testing
