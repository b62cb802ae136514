#include "runtime/agent_heartbeat.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "agent_client/testing/fake_agent.h"

namespace kata::runtime {
namespace {

using agent_client::testing::FakeAgent;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr auto kPatience = std::chrono::seconds(10);  // for what must happen

// What the heartbeat called back, and a fake QEMU CPU clock: each read
// advances it by `cpu_step` (nullopt: unreadable). Outlives every heartbeat
// that uses it.
struct Observer {
  std::optional<milliseconds> cpu_step = milliseconds(0);

  std::mutex mu;
  std::condition_variable cv;
  milliseconds cpu{0};
  int cpu_reads = 0;
  std::vector<std::string> hung;

  AgentHeartbeat::CpuTime cpu_time() {
    return [this]() -> std::optional<milliseconds> {
      std::lock_guard lock(mu);
      ++cpu_reads;
      cv.notify_all();
      if (!cpu_step) return std::nullopt;
      cpu += *cpu_step;
      return cpu;
    };
  }
  AgentHeartbeat::OnHung on_hung() {
    return [this](const std::string& why) {
      std::lock_guard lock(mu);
      hung.push_back(why);
      cv.notify_all();
    };
  }
  // A round starts with a read of the CPU clock.
  bool wait_rounds(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kPatience, [&] { return cpu_reads >= n; });
  }
  bool wait_hung() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kPatience, [&] { return !hung.empty(); });
  }
  std::vector<std::string> hung_calls() {
    std::lock_guard lock(mu);
    return hung;
  }
};

// The heartbeat's thread holds a share of the agent until it ends.
bool wait_released(const std::shared_ptr<FakeAgent>& agent) {
  auto deadline = Clock::now() + kPatience;
  while (agent.use_count() > 1) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

int checks(FakeAgent& agent) {
  int n = 0;
  for (const auto& call : agent.calls()) n += call == "check";
  return n;
}

HeartbeatOptions fast() {
  return {.interval = milliseconds(1),
          .attempt = milliseconds(10),
          .cpu_budget = std::chrono::seconds(60),
          .wall_cap = milliseconds(50)};
}

TEST(AgentHeartbeatTest, HealthyAgentIsNeverHung) {
  auto agent = std::make_shared<FakeAgent>();
  Observer seen;
  HeartbeatOptions o = fast();
  o.wall_cap = milliseconds(0);  // any round without an answer would be a hang
  o.cpu_budget = milliseconds(0);
  {
    AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), o);
    ASSERT_TRUE(seen.wait_rounds(5));
  }
  EXPECT_GE(checks(*agent), 4);
  EXPECT_TRUE(seen.hung_calls().empty());
}

TEST(AgentHeartbeatTest, ErrorAnswerIsALiveAgent) {
  auto agent = std::make_shared<FakeAgent>();
  agent->fail_check = Code::kInternal;
  Observer seen;
  HeartbeatOptions o = fast();
  o.wall_cap = milliseconds(0);
  o.cpu_budget = milliseconds(0);
  {
    AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), o);
    ASSERT_TRUE(seen.wait_rounds(5));
  }
  EXPECT_TRUE(seen.hung_calls().empty());
}

// QEMU's end closes the connection; that death is VmWatch's to report.
TEST(AgentHeartbeatTest, LostConnectionIsNotAHang) {
  auto agent = std::make_shared<FakeAgent>();
  agent->disconnect();
  Observer seen;
  HeartbeatOptions o = fast();
  o.wall_cap = milliseconds(0);
  {
    AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), o);
    ASSERT_TRUE(seen.wait_rounds(5));
  }
  EXPECT_TRUE(seen.hung_calls().empty());
}

TEST(AgentHeartbeatTest, HungAgentIsReportedOnceByTheWallCap) {
  auto agent = std::make_shared<FakeAgent>();
  agent->hang_check = true;
  Observer seen;  // QEMU's CPU clock stands still: the guest is not scheduled
  AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), fast());
  ASSERT_TRUE(seen.wait_hung());
  ASSERT_TRUE(wait_released(agent));  // the thread ended after the one call
  std::vector<std::string> hung = seen.hung_calls();
  ASSERT_EQ(hung.size(), 1u);
  EXPECT_NE(hung[0].find("the agent did not answer a health check for 0."), std::string::npos)
      << hung[0];
  EXPECT_NE(hung[0].find("while QEMU used 0.0 s of CPU"), std::string::npos) << hung[0];
  EXPECT_GE(checks(*agent), 5);  // 50 ms of 10 ms attempts
}

TEST(AgentHeartbeatTest, HungAgentIsReportedByTheCpuBudget) {
  auto agent = std::make_shared<FakeAgent>();
  agent->hang_check = true;
  Observer seen;
  seen.cpu_step = std::chrono::seconds(1);  // a guest that spins
  HeartbeatOptions o = fast();
  o.cpu_budget = std::chrono::seconds(2);
  o.wall_cap = std::chrono::hours(1);
  AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), o);
  ASSERT_TRUE(seen.wait_hung());
  ASSERT_TRUE(wait_released(agent));
  std::vector<std::string> hung = seen.hung_calls();
  ASSERT_EQ(hung.size(), 1u);
  EXPECT_NE(hung[0].find("while QEMU used 2.0 s of CPU"), std::string::npos) << hung[0];
  EXPECT_EQ(checks(*agent), 2);  // judged after each unanswered attempt
}

TEST(AgentHeartbeatTest, UnreadableCpuTimeLeavesTheWallCap) {
  auto agent = std::make_shared<FakeAgent>();
  agent->hang_check = true;
  Observer seen;
  seen.cpu_step = std::nullopt;
  AgentHeartbeat heartbeat(agent, seen.cpu_time(), seen.on_hung(), fast());
  ASSERT_TRUE(seen.wait_hung());
  EXPECT_NE(seen.hung_calls()[0].find("(QEMU's CPU time unknown)"), std::string::npos)
      << seen.hung_calls()[0];
}

// The destructor does not wait for a pending Check; the thread, once the
// Check ends, neither calls back (the owner is gone) nor keeps the agent.
TEST(AgentHeartbeatTest, DestructorReturnsWhileACheckWaits_DisconnectEndsIt) {
  auto agent = std::make_shared<FakeAgent>();
  agent->hang_check = true;
  Observer seen;
  HeartbeatOptions o = fast();
  o.attempt = std::chrono::hours(1);
  auto heartbeat = std::make_unique<AgentHeartbeat>(agent, seen.cpu_time(), seen.on_hung(), o);
  ASSERT_TRUE(agent->wait_call("check"));
  auto before = Clock::now();
  heartbeat.reset();
  EXPECT_LT(Clock::now() - before, milliseconds(100));
  agent->disconnect();
  ASSERT_TRUE(wait_released(agent));
  EXPECT_TRUE(seen.hung_calls().empty());
}

TEST(AgentHeartbeatTest, DestructorReturnsWhileACheckWaits_TimeoutEndsIt) {
  auto agent = std::make_shared<FakeAgent>();
  agent->hang_check = true;
  Observer seen;
  HeartbeatOptions o = fast();
  o.attempt = milliseconds(500);
  o.wall_cap = milliseconds(0);  // the Check's timeout alone would be a hang
  auto heartbeat = std::make_unique<AgentHeartbeat>(agent, seen.cpu_time(), seen.on_hung(), o);
  ASSERT_TRUE(agent->wait_call("check"));
  auto before = Clock::now();
  heartbeat.reset();
  EXPECT_LT(Clock::now() - before, milliseconds(100));
  ASSERT_TRUE(wait_released(agent));
  EXPECT_TRUE(seen.hung_calls().empty());
}

TEST(AgentHeartbeatTest, DestructorIsPromptBetweenChecks) {
  auto agent = std::make_shared<FakeAgent>();
  Observer seen;
  HeartbeatOptions o = fast();
  o.interval = std::chrono::hours(1);
  auto heartbeat = std::make_unique<AgentHeartbeat>(agent, seen.cpu_time(), seen.on_hung(), o);
  auto before = Clock::now();
  heartbeat.reset();
  EXPECT_LT(Clock::now() - before, milliseconds(100));
  EXPECT_EQ(agent.use_count(), 1);  // joined: nothing runs on
  EXPECT_EQ(checks(*agent), 0);
}

}  // namespace
}  // namespace kata::runtime
