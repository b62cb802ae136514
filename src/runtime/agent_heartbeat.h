#pragma once

// Watches that the guest still answers while QEMU lives. VmWatch notices QEMU
// or virtiofsd dying; a guest whose kernel or agent hangs with QEMU alive (soft
// lockup, agent deadlock) would instead make every call wait its full timeout,
// call after call. The heartbeat asks grpc.Health/Check now and then and, when
// no answer comes within a budget, says the guest is hung, so that its owner
// ends the VM: that fails every pending call at once. Fault model:
// docs/sandbox-state.md.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "agent_client/agent.h"

namespace kata::runtime {

struct HeartbeatOptions {
  // From an answer to the next check. An idle sandbox costs one small RPC per
  // interval (a few ms of QEMU's CPU under TCG), and a hang is noticed at most
  // this much later than it began.
  std::chrono::milliseconds interval = std::chrono::seconds(10);
  // How long one Check waits before the budgets are judged again; an unanswered
  // Check is asked again on the same connection (late answers are dropped).
  std::chrono::milliseconds attempt = std::chrono::seconds(1);
  // A Check costs the guest milliseconds of CPU even under TCG; QEMU spending
  // this much CPU time without answering is a guest that spins (soft lockup,
  // livelock), not one that is slow. Judged on CPU time, not the wall clock,
  // for the reason the boot wait is: on a loaded host a live guest waits its
  // turn for the CPU.
  std::chrono::milliseconds cpu_budget = std::chrono::seconds(5);
  // The end of the wait for a guest that uses no CPU while hung (a deadlocked
  // agent in an idle guest) or is barely scheduled. With the interval before
  // it (25 s at most from the hang), under the 30 s timeout of ordinary calls,
  // so that the VM is ended before they fail one by one.
  std::chrono::milliseconds wall_cap = std::chrono::seconds(15);
};

class AgentHeartbeat {
 public:
  // QEMU's CPU time so far; nullopt when it cannot be read (only the wall cap counts then).
  using CpuTime = std::function<std::optional<std::chrono::milliseconds>()>;
  // Called at most once, on the heartbeat's thread, never after the destructor
  // began; it must not destroy the heartbeat. The heartbeat stops after it.
  using OnHung = std::function<void(const std::string& why)>;

  // Checks first one interval from now: start it once the agent has answered.
  AgentHeartbeat(std::shared_ptr<agent_client::Agent> agent, CpuTime cpu_time, OnHung on_hung,
                 HeartbeatOptions options = {});
  AgentHeartbeat(const AgentHeartbeat&) = delete;
  AgentHeartbeat& operator=(const AgentHeartbeat&) = delete;
  // Returns at once, even while a Check waits for its answer: that Check ends
  // by itself (its attempt timeout, or the connection lost), and the thread
  // then drops its share of the agent without calling back.
  ~AgentHeartbeat();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace kata::runtime
