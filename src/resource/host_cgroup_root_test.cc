// The sandbox's host cgroup on this host's real cgroupfs: needs root (label `root`).
// Every test works below a parent of its own and removes it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/strings.h"
#include "resource/host_cgroup.h"

namespace kata::resource {
namespace {

// The line of /proc/<pid>/cgroup for the hierarchy holding `controller`.
std::string cgroup_of(pid_t pid, const std::string& controller) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return "";
  for (const std::string& line : split(*text, '\n')) {
    std::vector<std::string> f = split(line, ':', false);
    if (f.size() == 3 && (f[1] == controller || f[1].find(controller + ",") == 0 ||
                          f[1].find("," + controller) != std::string::npos)) {
      return f[2];
    }
  }
  return "";
}

std::string trimmed(const std::string& path) {
  auto text = fs::read_file(path);
  return text ? std::string(trim(*text)) : "<unreadable>";
}

class HostCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto all = host_cgroup_hierarchies();
    if (!all) GTEST_SKIP() << all.error().message();
    hierarchies_ = *all;
    parent_ = "/kata-cgroup-test-" + std::to_string(::getpid());
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    for (const CgroupHierarchy& h : hierarchies_) {
      std::string dir = h.dir(parent_);
      ::rmdir((dir + "/s1").c_str());
      EXPECT_FALSE(fs::exists(dir + "/s1")) << dir << "/s1 left";
      ::rmdir(dir.c_str());
    }
  }
  pid_t spawn_sleeper() {
    child_ = ::fork();
    if (child_ == 0) {
      ::execl("/bin/sleep", "sleep", "100", nullptr);
      ::_exit(127);
    }
    return child_;
  }

  std::vector<CgroupHierarchy> hierarchies_;
  std::string parent_;
  pid_t child_ = -1;
};

TEST_F(HostCgroupTest, ProcessesLimitsAndRemovalInEveryHierarchy) {
  auto cgroup = HostCgroup::create(hierarchies_, parent_ + "/s1");
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  ASSERT_EQ(cgroup->dirs().size(), hierarchies_.size());
  for (const std::string& dir : cgroup->dirs()) EXPECT_TRUE(fs::exists(dir + "/cgroup.procs"));

  pid_t pid = spawn_sleeper();
  ASSERT_TRUE(cgroup->add_process(pid));
  EXPECT_EQ(cgroup_of(pid, "memory"), parent_ + "/s1");
  EXPECT_EQ(cgroup_of(pid, "cpu"), parent_ + "/s1");

  HostLimits limits{300 << 20, 20000, 100000};
  ASSERT_TRUE(cgroup->set_limits(limits));
  for (size_t i = 0; i < hierarchies_.size(); ++i) {
    const std::string& dir = cgroup->dirs()[i];
    if (hierarchies_[i].has("memory") && !hierarchies_[i].unified) {
      EXPECT_EQ(trimmed(dir + "/memory.limit_in_bytes"), std::to_string(300 << 20));
    }
    if (hierarchies_[i].has("cpu") && !hierarchies_[i].unified) {
      EXPECT_EQ(trimmed(dir + "/cpu.cfs_quota_us"), "20000");
    }
    // v1 starts a cpuset empty; an empty one would have refused the process.
    if (hierarchies_[i].has("cpuset") && !hierarchies_[i].unified) {
      EXPECT_FALSE(trimmed(dir + "/cpuset.cpus").empty());
    }
  }
  ASSERT_TRUE(cgroup->set_limits(HostLimits{}));  // back to unlimited
  for (size_t i = 0; i < hierarchies_.size(); ++i) {
    if (hierarchies_[i].has("cpu") && !hierarchies_[i].unified) {
      EXPECT_EQ(trimmed(cgroup->dirs()[i] + "/cpu.cfs_quota_us"), "-1");
    }
  }

  // The service itself goes in too, and must come out for the directories to go.
  std::string own_memory = cgroup_of(::getpid(), "memory");
  ASSERT_TRUE(cgroup->add_process(::getpid()));
  EXPECT_EQ(cgroup_of(::getpid(), "memory"), parent_ + "/s1");
  ::kill(child_, SIGKILL);
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  ASSERT_TRUE(cgroup->remove());
  EXPECT_EQ(cgroup_of(::getpid(), "memory"), own_memory);
  for (const std::string& dir : cgroup->dirs()) EXPECT_FALSE(fs::exists(dir)) << dir;
  // The parent stays: other sandboxes of the pod's parent share it.
  EXPECT_TRUE(fs::exists(hierarchies_[0].dir(parent_)));
}

TEST_F(HostCgroupTest, HostilePathCreatesNothing) {
  auto refused = HostCgroup::create(hierarchies_, parent_ + "/s1/../../escape");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  for (const CgroupHierarchy& h : hierarchies_) EXPECT_FALSE(fs::exists(h.dir(parent_)));
}

TEST_F(HostCgroupTest, CleanupRemovesOnlyCgroupDirectories) {
  auto cgroup = HostCgroup::create(hierarchies_, parent_ + "/s1");
  ASSERT_TRUE(cgroup);
  char tmpl[] = "/tmp/kata-not-a-cgroup-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::vector<std::string> dirs = cgroup->dirs();
  dirs.push_back(tmpl);
  auto removed = remove_cgroup_dirs(dirs);
  ASSERT_FALSE(removed);
  EXPECT_NE(removed.error().message().find("not below a cgroup mount"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmpl));
  ::rmdir(tmpl);
  for (const std::string& dir : cgroup->dirs()) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(remove_cgroup_dirs(cgroup->dirs()));  // already gone: fine
}

}  // namespace
}  // namespace kata::resource
