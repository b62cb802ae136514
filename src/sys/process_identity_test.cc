#include "sys/process_identity.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"
#include "sys/subprocess.h"

namespace kata::sys {
namespace {

using std::chrono::milliseconds;

Process spawn_sleeper(const std::string& script = "sleep 60") {
  auto p = Process::spawn(SpawnOptions{.argv = {"/bin/sh", "-c", script}});
  EXPECT_TRUE(p) << p.error().message();
  return std::move(*p);
}

// Processes of group `pgid` that are not zombies (stat: state is field 3, pgrp field 5).
int live_group_members(pid_t pgid) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    Result<std::string> stat = fs::read_file(entry.path().string() + "/stat");
    if (!stat) continue;
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> f = split(stat->substr(close + 1), ' ');
    if (f.size() > 2 && f[0] != "Z" && f[2] == std::to_string(pgid)) ++n;
  }
  return n;
}

TEST(ProcessIdentityTest, StartTimeIsCountedAfterTheCommandName) {
  // A command name may hold spaces and ')': only the last ')' ends it.
  std::string line = "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
  auto start = parse_stat_start_time(line);
  ASSERT_TRUE(start) << start.error().message();
  EXPECT_EQ(*start, 98765u);
}

TEST(ProcessIdentityTest, CpuTimeGrowsWithWork) {
  auto before = process_cpu_time(::getpid());
  ASSERT_TRUE(before) << before.error().message();
  auto until = std::chrono::steady_clock::now() + milliseconds(300);
  volatile uint64_t spin = 0;
  while (std::chrono::steady_clock::now() < until) spin = spin + 1;
  auto after = process_cpu_time(::getpid());
  ASSERT_TRUE(after);
  EXPECT_GE((*after - *before).count(), 100) << "300 ms of spinning counted as less than 100";
  EXPECT_FALSE(process_cpu_time(0x3ffffff));
}

TEST(ProcessIdentityTest, MalformedStatLinesAreErrors) {
  EXPECT_FALSE(parse_stat_start_time("42 no parenthesis 1 2 3"));
  EXPECT_FALSE(parse_stat_start_time("42 (x) S 1 2 3"));
  EXPECT_FALSE(parse_stat_start_time("42 (x) S 1 42 42 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 12x"));
}

TEST(ProcessIdentityTest, IdentifiesALiveProcessAndNotAMissingOne) {
  auto self = identify_process(::getpid());
  ASSERT_TRUE(self) << self.error().message();
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_GT(self->start_time, 0u);
  EXPECT_EQ(identify_process(::getpid())->start_time, self->start_time);
  auto missing = identify_process(0x3ffffff);  // above any pid_max
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST(ProcessIdentityTest, KillsTheIdentifiedProcessAndWaitsForItsEnd) {
  Process child = spawn_sleeper();
  auto who = identify_process(child.pid());
  ASSERT_TRUE(who);
  auto killed = kill_identified(*who, false, milliseconds(5000));
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_TRUE(*killed);
  auto status = child.wait_for(milliseconds(0));  // already exited: no wait needed
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->signal, SIGKILL);
}

TEST(ProcessIdentityTest, LeavesAProcessWhoseStartTimeDiffers) {
  // The pid was written down for another process: this one must live on.
  Process child = spawn_sleeper();
  auto who = identify_process(child.pid());
  ASSERT_TRUE(who);
  ProcessIdentity stale{who->pid, who->start_time + 1};
  auto killed = kill_identified(stale, true, milliseconds(1000));
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_FALSE(*killed);
  EXPECT_FALSE(child.wait_for(milliseconds(100)));  // still running
  ASSERT_TRUE(child.kill(SIGKILL));
}

TEST(ProcessIdentityTest, AGoneProcessIsNotAnError) {
  Process child = spawn_sleeper("exit 0");
  auto who = identify_process(child.pid());
  ASSERT_TRUE(child.wait_for(milliseconds(5000)));
  if (!who) GTEST_SKIP() << "the child exited before it could be identified";
  auto killed = kill_identified(*who, false, milliseconds(1000));
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_FALSE(*killed);
}

TEST(ProcessIdentityTest, StillRunningIsTheSameLiveProcessNotAZombie) {
  Process child = spawn_sleeper();
  auto who = identify_process(child.pid());
  ASSERT_TRUE(who);
  EXPECT_TRUE(still_running(*who));
  EXPECT_FALSE(still_running({who->pid, who->start_time + 1}));
  ASSERT_EQ(::kill(child.pid(), SIGKILL), 0);
  // Not reaped yet: a zombie, which /proc still lists with the same start time.
  for (int i = 0; i < 100 && still_running(*who); ++i) ::usleep(10000);
  EXPECT_FALSE(still_running(*who));
  EXPECT_TRUE(identify_process(child.pid())) << "the zombie is still listed";
  ASSERT_TRUE(child.wait_for(milliseconds(5000)));
  EXPECT_FALSE(still_running(*who));
}

TEST(ProcessIdentityTest, WholeGroupTakesTheLeadersChildrenToo) {
  // The leader's own child (a grandchild of ours) shares its group.
  Process leader = spawn_sleeper("sleep 60 & echo $! >&2; wait");
  auto who = identify_process(leader.pid());
  ASSERT_TRUE(who);
  auto killed = kill_identified(*who, true, milliseconds(5000));
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_TRUE(*killed);
  ASSERT_TRUE(leader.wait_for(milliseconds(5000)));
  // A killed member may stay a zombie until its new parent reaps it: only live ones count.
  for (int i = 0; i < 50 && live_group_members(leader.pid()) > 0; ++i) ::usleep(20000);
  EXPECT_EQ(live_group_members(leader.pid()), 0) << "a member of the group survived";
}

}  // namespace
}  // namespace kata::sys
