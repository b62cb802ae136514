#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "agent_client/address.h"
#include "agent_client/agent.h"
#include "ttrpc/client.h"

namespace kata::agent_client {

class TtrpcAgent : public Agent {
 public:
  // Dials `address` and polls grpc.Health/Check until the agent answers
  // SERVING or `deadline` passes. `vm_alive` is asked between attempts so that
  // a VM that died (guest panic, QEMU crash) fails the wait at once.
  static Result<std::unique_ptr<TtrpcAgent>> connect(const AgentAddress& address,
                                                     std::chrono::steady_clock::time_point deadline,
                                                     const std::function<bool()>& vm_alive);

  explicit TtrpcAgent(UniqueFd fd,
                      std::chrono::milliseconds call_timeout = std::chrono::seconds(30));

  Result<void> check() override;
  Result<std::string> version() override;
  Result<GuestDetails> guest_details() override;
  Result<void> create_sandbox(const SandboxSpec& spec) override;
  Result<void> destroy_sandbox() override;
  Result<void> set_guest_time(std::chrono::system_clock::time_point now) override;

 private:
  Result<void> check_with_timeout(std::chrono::milliseconds timeout);

  ttrpc::Client client_;
  std::chrono::milliseconds call_timeout_;
};

}  // namespace kata::agent_client
