#include "agent/init/reaper.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

namespace kata::agent {
namespace {

Result<pid_t> fork_exiting(int code) {
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(errno, "fork");
  if (pid == 0) ::_exit(code);
  return pid;
}

TEST(Reaper, DeliversWatchedExitsAndReapsOrphans) {
  auto reaper = Reaper::start();
  ASSERT_TRUE(reaper.ok()) << reaper.error().message();

  std::mutex mu;
  std::condition_variable cv;
  std::map<pid_t, int> exits;
  auto record = [&](pid_t pid, int status) {
    std::lock_guard lock(mu);
    exits[pid] = status;
    cv.notify_all();
  };
  // A child nobody watches: the reaper must still collect it.
  ASSERT_TRUE(fork_exiting(3).ok());

  std::vector<pid_t> pids;
  for (int code = 0; code < 5; ++code) {
    auto pid = (*reaper)->spawn([code] { return fork_exiting(code); }, record);
    ASSERT_TRUE(pid.ok());
    pids.push_back(*pid);
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return exits.size() == 5; }));
  for (int code = 0; code < 5; ++code) {
    int status = exits.at(pids[code]);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), code);
  }
  lock.unlock();
  for (int i = 0; i < 1000 && (*reaper)->orphans_reaped() < 1; ++i) ::usleep(10000);
  EXPECT_EQ((*reaper)->orphans_reaped(), 1u);
}

TEST(Reaper, StarterFailureRegistersNothing) {
  auto reaper = Reaper::start();
  ASSERT_TRUE(reaper.ok());
  auto r = (*reaper)->spawn([]() -> Result<pid_t> { return Error(Code::kInternal, "no"); },
                            [](pid_t, int) { FAIL() << "called for a process never started"; });
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace kata::agent
