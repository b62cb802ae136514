#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace kata::agent_client {

// What the host needs to know about the guest, from GetGuestDetails.
struct GuestDetails {
  std::string agent_version;
  std::string kernel_release;  // our addition to AgentDetails (absent from upstream agents)
  bool init_daemon = false;
  uint64_t mem_block_size_bytes = 0;
};

struct SandboxSpec {
  std::string sandbox_id;
  std::string hostname;
  std::vector<std::string> dns;
};

// The agent API as the runtime uses it. TtrpcAgent speaks it to a real agent;
// unit tests of the runtime use a fake.
class Agent {
 public:
  virtual ~Agent() = default;

  virtual Result<void> check() = 0;           // grpc.Health/Check == SERVING
  virtual Result<std::string> version() = 0;  // grpc.Health/Version agent_version
  virtual Result<GuestDetails> guest_details() = 0;
  virtual Result<void> create_sandbox(const SandboxSpec& spec) = 0;
  virtual Result<void> destroy_sandbox() = 0;
  virtual Result<void> set_guest_time(std::chrono::system_clock::time_point now) = 0;
};

}  // namespace kata::agent_client
