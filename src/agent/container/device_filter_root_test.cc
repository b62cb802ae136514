// The device filter against the host kernel (root): its verifier accepts the
// programs, and on a cgroup2 hierarchy an attached filter decides opens and a
// second attach replaces the first.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "agent/container/device_filter.h"

namespace kata::agent::container {
namespace {

const DeviceRule kDenyAll{false, 'a', -1, -1, "rwm"};
const DeviceRule kAllowAll{true, 'a', -1, -1, "rwm"};

// A writable cgroup2 mount of the host, "" if none.
std::string cgroup2_mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string dev, dir, type, rest;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2" && ::access(dir.c_str(), W_OK) == 0) return dir;
  }
  return "";
}

// Runs a child in `cgroup` that opens `path` for writing: 0 or its errno.
int open_in_cgroup(const std::string& cgroup, const char* path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int procs = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (procs < 0 || ::write(procs, "0", 1) != 1) ::_exit(255);
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    ::_exit(fd < 0 ? errno : 0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class DeviceFilterKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

TEST_F(DeviceFilterKernel, VerifierAcceptsThePrograms) {
  const std::vector<DeviceRule> sets[] = {
      {},
      {kAllowAll},
      with_default_device_rules({kDenyAll}),
      with_default_device_rules({kDenyAll, {true, 'c', 10, 200, "rw"}, {false, 'b', 8, -1, "w"}}),
      {kAllowAll, {false, 'c', 4, -1, "rwm"}, {true, 'c', 4294967295, 0, "r"}},
  };
  for (const auto& rules : sets) {
    Result<std::vector<bpf_insn>> prog = device_filter_program(rules);
    ASSERT_TRUE(prog) << prog.error().message();
    Result<UniqueFd> loaded = load_device_filter(*prog);
    EXPECT_TRUE(loaded) << loaded.error().message();
  }
}

TEST_F(DeviceFilterKernel, AttachDecidesAndAReattachReplaces) {
  std::string root = cgroup2_mount();
  if (root.empty()) GTEST_SKIP() << "no writable cgroup2 mount";
  std::string cgroup = root + "/kata-devfilter-test-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(cgroup.c_str(), 0755), 0) << strerror(errno);
  auto only_null = device_filter_program({kDenyAll, {true, 'c', 1, 3, "rw"}});
  auto null_and_full = device_filter_program({kDenyAll, {true, 'c', 1, -1, "rw"}});
  ASSERT_TRUE(only_null && null_and_full);

  Result<void> attached = attach_device_filter(cgroup, *only_null);
  ASSERT_TRUE(attached) << attached.error().message();
  EXPECT_EQ(open_in_cgroup(cgroup, "/dev/null"), 0);
  EXPECT_EQ(open_in_cgroup(cgroup, "/dev/full"), EPERM);
  // Were the first still attached, it would refuse /dev/full (every program must allow).
  attached = attach_device_filter(cgroup, *null_and_full);
  ASSERT_TRUE(attached) << attached.error().message();
  EXPECT_EQ(open_in_cgroup(cgroup, "/dev/full"), 0);

  EXPECT_EQ(::rmdir(cgroup.c_str()), 0) << strerror(errno);
}

}  // namespace
}  // namespace kata::agent::container
