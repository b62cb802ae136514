#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent.pb.h"
#include "runtime/sandbox.h"
#include "runtime/service/stdio_pumps.h"

namespace kata::runtime::service {

// A paused container's processes stay kRunning: pausing is the container's.
enum class ProcessStatus { kCreated, kRunning, kStopped };

// One process the caller knows: a container's init (exec_id empty) or an exec.
// Guarded by SandboxService's mutex, except `pumps` and `waiter`, which only the
// thread that starts or deletes the process touches.
struct Process {
  std::string container_id;
  std::string exec_id;  // empty for the init process
  StdioPaths stdio;
  StdioFiles files;                    // given at Create/Exec, handed to the pumps at Start
  bool stdin_close_requested = false;  // CloseIO came
  grpc::Process spec;                  // an exec's process
  ProcessStatus status = ProcessStatus::kCreated;
  bool starting = false;                 // Start is asking the guest: signals wait for it
  std::vector<uint32_t> queued_signals;  // Kill during that time, delivered once it started
  uint32_t enforced_signal = 0;          // the VM was ended to deliver it: the exit reads 128 + it
  uint32_t exit_status = 0;
  std::chrono::system_clock::time_point exited_at{};
  std::shared_ptr<StdioPumps> pumps;  // shared: CloseIO may use it while Delete drops it
  std::thread waiter;                 // WaitProcess, then records the exit

  bool exited() const { return status == ProcessStatus::kStopped; }
  // The id the caller knows the process by: the container id for the init process.
  const std::string& public_id() const { return exec_id.empty() ? container_id : exec_id; }
};

struct Container {
  ContainerConfig config;  // id, bundle, rootfs
  std::chrono::system_clock::time_point created_at{};
  bool paused = false;
  std::shared_ptr<Process> init;
  std::map<std::string, std::shared_ptr<Process>> execs;
};

}  // namespace kata::runtime::service
