#include "agent/container/lookup.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <set>

namespace kata::agent::container {
namespace {

TEST(FindExecutable, SearchesPathInOrder) {
  std::set<std::string> exes = {"/usr/bin/ls", "/bin/ls", "/bin/sh", "./local"};
  auto is_exe = [&](const std::string& p) { return exes.count(p) > 0; };
  EXPECT_EQ(*find_executable("ls", "/usr/local/bin:/usr/bin:/bin", is_exe), "/usr/bin/ls");
  EXPECT_EQ(*find_executable("sh", "/usr/bin:/bin", is_exe), "/bin/sh");
  EXPECT_EQ(*find_executable("local", "/usr/bin::/bin", is_exe), "./local");
  EXPECT_EQ(*find_executable("/bin/sh", "", is_exe), "/bin/sh");
}

TEST(FindExecutable, MissingReadsLikeRunc) {
  auto is_exe = [](const std::string&) { return false; };
  auto r = find_executable("x", "/bin", is_exe);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(r.error().message(), "exec: \"x\": executable file not found in $PATH");
  EXPECT_FALSE(find_executable("/no/such", "/bin", is_exe));
  EXPECT_FALSE(find_executable("", "/bin", is_exe));
}

TEST(EnvValue, LastOneWins) {
  std::vector<std::string> env = {"PATH=/a", "PATHX=/x", "HOME=/h", "PATH=/b"};
  EXPECT_EQ(env_value(env, "PATH"), "/b");
  EXPECT_EQ(env_value(env, "HOME"), "/h");
  EXPECT_EQ(env_value(env, "TERM"), std::nullopt);
}

TEST(ExitCode, FromWaitStatus) {
  EXPECT_EQ(exit_code_from_wait_status(0), 0);
  EXPECT_EQ(exit_code_from_wait_status(3 << 8), 3);
  EXPECT_EQ(exit_code_from_wait_status(SIGKILL), 137);
  EXPECT_EQ(exit_code_from_wait_status(SIGTERM | 0x80), 143);  // core dumped
}

}  // namespace
}  // namespace kata::agent::container
