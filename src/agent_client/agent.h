#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent.pb.h"
#include "common/result.h"

namespace kata::agent_client {

// What the host needs to know about the guest, from GetGuestDetails.
struct GuestDetails {
  std::string agent_version;
  // Our additions to AgentDetails (absent from upstream agents): uname -r and -v.
  std::string kernel_release;
  std::string kernel_version;
  bool init_daemon = false;
  uint64_t mem_block_size_bytes = 0;
};

struct SandboxSpec {
  std::string sandbox_id;
  std::string hostname;
  std::vector<std::string> dns;
  // Guest mounts for the agent to set up, e.g. the virtio-fs share (driver "virtio-fs",
  // source "kataShared", fstype "virtiofs", mount_point
  // "/run/kata-containers/shared/containers/").
  std::vector<grpc::Storage> storages = {};
};

// The agent API as the runtime uses it. TtrpcAgent speaks it to a real agent;
// unit tests of the runtime use a fake.
class Agent {
 public:
  virtual ~Agent() = default;

  virtual Result<void> check() = 0;           // grpc.Health/Check == SERVING
  virtual Result<std::string> version() = 0;  // grpc.Health/Version agent_version
  // Check, waiting at most `timeout` for the answer (DEADLINE_EXCEEDED then):
  // a liveness probe must not wait as long as an ordinary call.
  virtual Result<void> check(std::chrono::milliseconds timeout) = 0;
  virtual Result<GuestDetails> guest_details() = 0;
  virtual Result<void> create_sandbox(const SandboxSpec& spec) = 0;
  virtual Result<void> destroy_sandbox() = 0;
  virtual Result<void> set_guest_time(std::chrono::system_clock::time_point now) = 0;

  // Containers and their processes. An empty exec id names the container's
  // init process (and, for signal_process, every process of the container).
  // The calls that wait for the guest (wait_process, read_*, get_oom_event)
  // block without a deadline until the answer comes or the connection is lost
  // (UNAVAILABLE), because a process may run for ever.
  virtual Result<void> create_container(const grpc::CreateContainerRequest& req) = 0;
  virtual Result<void> start_container(const std::string& container_id) = 0;
  // Kills every process of the container, waits up to `timeout_s` seconds
  // (0 = no limit) and releases it in the guest.
  virtual Result<void> remove_container(const std::string& container_id, uint32_t timeout_s) = 0;
  virtual Result<void> exec_process(const grpc::ExecProcessRequest& req) = 0;
  virtual Result<void> signal_process(const std::string& container_id, const std::string& exec_id,
                                      uint32_t signal) = 0;
  // The exit code, or 128 + signal number for a process killed by a signal.
  virtual Result<int32_t> wait_process(const std::string& container_id,
                                       const std::string& exec_id) = 0;
  // Up to `max_bytes`; an empty string means end of stream.
  virtual Result<std::string> read_stdout(const std::string& container_id,
                                          const std::string& exec_id, uint32_t max_bytes) = 0;
  virtual Result<std::string> read_stderr(const std::string& container_id,
                                          const std::string& exec_id, uint32_t max_bytes) = 0;
  // How many bytes the guest took.
  virtual Result<uint32_t> write_stdin(const std::string& container_id, const std::string& exec_id,
                                       std::string_view data) = 0;
  virtual Result<void> close_stdin(const std::string& container_id, const std::string& exec_id) = 0;
  virtual Result<void> tty_win_resize(const std::string& container_id, const std::string& exec_id,
                                      uint32_t rows, uint32_t columns) = 0;
  virtual Result<grpc::StatsContainerResponse> stats_container(const std::string& container_id) = 0;
  virtual Result<void> pause_container(const std::string& container_id) = 0;
  virtual Result<void> resume_container(const std::string& container_id) = 0;
  virtual Result<void> update_container(const grpc::UpdateContainerRequest& req) = 0;
  // Blocks until a container of the sandbox hits its memory limit; its id.
  virtual Result<std::string> get_oom_event() = 0;

  // The guest's network (docs/guest-network.md). update_interface finds the NIC
  // by hwAddr, else by device (its current guest name), and answers it as the
  // guest now has it; update_routes replaces the routes of the links it names
  // and answers the whole main table.
  virtual Result<types::Interface> update_interface(const types::Interface& iface) = 0;
  virtual Result<grpc::Routes> update_routes(const grpc::Routes& routes) = 0;
  virtual Result<grpc::Interfaces> list_interfaces() = 0;
  virtual Result<grpc::Routes> list_routes() = 0;
  virtual Result<void> add_arp_neighbors(const grpc::ARPNeighbors& neighbors) = 0;
};

}  // namespace kata::agent_client
