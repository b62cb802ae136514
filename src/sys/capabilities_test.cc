#include "sys/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace kata::sys {
namespace {

// The hex mask of `set` ("CapBnd") in /proc/self/status.
uint64_t status_mask(const std::string& set) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(set + ":", 0) == 0) return std::stoull(line.substr(set.size() + 1), nullptr, 16);
  }
  return ~uint64_t{0};
}

TEST(CapabilitiesTest, MaskNamesEachCapability) {
  EXPECT_EQ(capability_mask({}), 0u);
  EXPECT_EQ(capability_mask({CAP_CHOWN, CAP_KILL}), (uint64_t{1} << 0) | (uint64_t{1} << 5));
  EXPECT_EQ(capability_mask({CAP_SYS_ADMIN}), uint64_t{1} << 21);
}

TEST(CapabilitiesTest, LimitKeepsOnlyWhatIsAsked) {
  Result<int> last = read_last_cap();
  ASSERT_TRUE(last) << last.error().message();
  EXPECT_GE(*last, CAP_SYS_ADMIN);
  const uint64_t keep = capability_mask({CAP_KILL, CAP_SYS_ADMIN});
  const uint64_t before = status_mask("CapEff");
  // In a child: the test process keeps its own capabilities.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!limit_capabilities(keep, *last)) ::_exit(2);
    bool ok = status_mask("CapEff") == (before & keep) && status_mask("CapInh") == 0 &&
              status_mask("CapAmb") == 0 && (::geteuid() != 0 || status_mask("CapBnd") == keep);
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's sets are not `before & keep`";
}

}  // namespace
}  // namespace kata::sys
