// The QEMU driver against fake_qemu (testing/fake_qemu_main.cc): no VM is booted.
#include "hypervisor/qemu/qemu.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::hypervisor::qemu {
namespace {

using std::chrono::milliseconds;

class QemuDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-qemu-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.qemu_path = FAKE_QEMU_PATH;
    config_.run_dir = dir_ + "/vm";
    config_.kernel = "/nonexistent/vmlinuz";
    config_.tsc_khz = 1234;
    config_.start_timeout = milliseconds(5000);
  }
  void TearDown() override {
    for (const char* knob :
         {"FAKE_QEMU_FAIL", "FAKE_QEMU_IGNORE_QUIT", "FAKE_QEMU_CONSOLE", "FAKE_QEMU_ARGV_FILE"}) {
      ::unsetenv(knob);
    }
    (void)fs::remove_all(dir_);
  }
  std::string dir_;
  VmConfig config_;
};

TEST_F(QemuDriverTest, StartQueryStop) {
  ::setenv("FAKE_QEMU_ARGV_FILE", (dir_ + "/argv").c_str(), 1);
  ::setenv("FAKE_QEMU_CONSOLE", "line1\nline2\nline3\n", 1);
  auto vm = QemuVm::start(config_);
  ASSERT_TRUE(vm) << vm.error().message();
  QemuVm& q = **vm;
  EXPECT_GT(q.pid(), 0);
  EXPECT_EQ(q.kernel_cmdline(),
            "console=ttyS0 quiet panic=-1 oops=panic tsc_early_khz=1234 tsc=reliable agent.channel=serial");
  ASSERT_NE(q.qmp(), nullptr);
  auto status = q.qmp()->query_status();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, "running");

  auto argv = fs::read_file(dir_ + "/argv");
  ASSERT_TRUE(argv);
  EXPECT_EQ(split(*argv, '\n'), q.argv());

  auto stopped = q.stop(milliseconds(5000));
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_TRUE(stopped->success()) << stopped->describe();
  EXPECT_TRUE(q.exited());
  EXPECT_EQ(q.qmp(), nullptr);
  EXPECT_FALSE(fs::exists(q.paths().qmp_socket));
  EXPECT_TRUE(fs::exists(q.paths().console_log));  // logs stay for post-mortems
  // Once QEMU is reaped, the relay has copied all it wrote.
  EXPECT_EQ(q.console_log_tail(2), "line2\nline3");
}

TEST_F(QemuDriverTest, QemuDyingDuringStartReportsItsStderr) {
  ::setenv("FAKE_QEMU_FAIL",
           "qemu-system-x86_64: could not open kernel file '/nonexistent/vmlinuz': No such file "
           "or directory",
           1);
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().message(),
            "start qemu: QEMU exited during start (exit status 1): fake_qemu: starting; "
            "qemu-system-x86_64: could not open kernel file '/nonexistent/vmlinuz': No such file "
            "or directory");
}

TEST_F(QemuDriverTest, MissingBinary) {
  config_.qemu_path = dir_ + "/no-qemu";
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().message(),
            "start qemu: exec `" + dir_ + "/no-qemu`: No such file or directory");
}

TEST_F(QemuDriverTest, QmpNeverAppearingTimesOutAndKills) {
  // Runs, but never opens a QMP socket.
  std::string script = dir_ + "/silent-qemu";
  ASSERT_TRUE(fs::write_file_atomic(script, "#!/bin/sh\nexec sleep 30\n", 0755));
  config_.qemu_path = script;
  config_.start_timeout = milliseconds(200);
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(
      vm.error().message().rfind("start qemu: QMP socket not ready within 200 ms (QEMU killed)", 0),
      0u)
      << vm.error().message();
}

TEST_F(QemuDriverTest, StopKillsAQemuThatIgnoresQuit) {
  ::setenv("FAKE_QEMU_IGNORE_QUIT", "1", 1);
  auto vm = QemuVm::start(config_);
  ASSERT_TRUE(vm) << vm.error().message();
  auto stopped = (*vm)->stop(milliseconds(200));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->signal, SIGKILL);
  EXPECT_FALSE(fs::exists((*vm)->paths().qmp_socket));
}

TEST_F(QemuDriverTest, WaitForExitTimesOutThenDestructorKills) {
  pid_t pid;
  {
    auto vm = QemuVm::start(config_);
    ASSERT_TRUE(vm) << vm.error().message();
    pid = (*vm)->pid();
    auto r = (*vm)->wait_for_exit(milliseconds(50));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded);
  }
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_FALSE(fs::exists(config_.run_dir + "/qmp.sock"));
}

TEST_F(QemuDriverTest, SocketPathTooLong) {
  config_.run_dir = dir_ + "/" + std::string(100, 'd');
  auto vm = QemuVm::start(config_);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace kata::hypervisor::qemu
