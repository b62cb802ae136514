#include "runtime/agent_heartbeat.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>

namespace kata::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

// Everything the thread uses, owned by the thread too: it may outlive the
// AgentHeartbeat by the rest of a pending Check.
struct AgentHeartbeat::Shared {
  std::shared_ptr<agent_client::Agent> agent;
  CpuTime cpu_time;
  OnHung on_hung;
  HeartbeatOptions options;

  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  bool in_check = false;  // the thread is inside a call to the agent

  void run();
  std::optional<std::string> round();
  std::optional<Result<void>> ask();
};

void AgentHeartbeat::Shared::run() {
  std::unique_lock lock(mu);
  for (;;) {
    if (cv.wait_for(lock, options.interval, [&] { return stopped; })) return;
    lock.unlock();
    std::optional<std::string> why = round();
    lock.lock();
    if (why && !stopped) {
      on_hung(*why);  // under the lock, so that the destructor waits for it to return
      return;
    }
  }
}

// Asks until the agent answers or a budget is spent. Why the guest is hung, or
// nullopt: it answered, or the heartbeat stopped.
std::optional<std::string> AgentHeartbeat::Shared::round() {
  const Clock::time_point started = Clock::now();
  const std::optional<milliseconds> cpu_before = cpu_time();
  for (;;) {
    std::optional<Result<void>> answer = ask();
    // Any answer, an error too, comes from a guest that lives. A lost
    // connection is QEMU's end, which VmWatch reports.
    if (!answer || *answer || answer->error().code() != Code::kDeadlineExceeded) {
      return std::nullopt;
    }
    Clock::duration waited = Clock::now() - started;
    std::optional<milliseconds> cpu_after = cpu_time();
    std::optional<milliseconds> used;
    if (cpu_before && cpu_after) used = *cpu_after - *cpu_before;
    if (waited < options.wall_cap && !(used && *used >= options.cpu_budget)) continue;
    if (!used) {
      return fmt::format(
          "the agent did not answer a health check for {:.1f} s (QEMU's CPU time unknown)",
          seconds(waited));
    }
    return fmt::format(
        "the agent did not answer a health check for {:.1f} s while QEMU used {:.1f} s of CPU",
        seconds(waited), seconds(*used));
  }
}

// One Check, made outside the lock; nullopt if the heartbeat stopped before
// or during it (the owner may be gone: nothing of it is to be used any more).
std::optional<Result<void>> AgentHeartbeat::Shared::ask() {
  {
    std::lock_guard lock(mu);
    if (stopped) return std::nullopt;
    in_check = true;
  }
  Result<void> answer = agent->check(options.attempt);
  std::lock_guard lock(mu);
  in_check = false;
  if (stopped) return std::nullopt;
  return answer;
}

AgentHeartbeat::AgentHeartbeat(std::shared_ptr<agent_client::Agent> agent, CpuTime cpu_time,
                               OnHung on_hung, HeartbeatOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->agent = std::move(agent);
  shared_->cpu_time = std::move(cpu_time);
  shared_->on_hung = std::move(on_hung);
  shared_->options = options;
  thread_ = std::thread([shared = shared_] {
    shared->run();
    // After a hang is reported the owner may drop its client: an ended
    // heartbeat does not keep the connection open.
    shared->agent.reset();
  });
}

AgentHeartbeat::~AgentHeartbeat() {
  bool in_check = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopped = true;
    in_check = shared_->in_check;
  }
  shared_->cv.notify_all();
  // A pending Check may take up to `attempt` more: not worth delaying a
  // teardown for. The thread sees `stopped` when it returns and ends; out of a
  // Check it starts none, so the join is immediate.
  if (in_check) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace kata::runtime
