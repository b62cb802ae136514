#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "agent_client/address.h"
#include "agent_client/agent.h"
#include "ttrpc/client.h"

namespace kata::agent_client {

class TtrpcAgent : public Agent {
 public:
  // Asked between attempts: an error ends the wait with it (the VM died, or
  // the time it was given is spent); nullopt waits on.
  using GiveUp = std::function<std::optional<Error>()>;

  // Dials `address` and asks grpc.Health/Check, each attempt at most `attempt`
  // long, until the agent answers SERVING or `give_up` says to stop. A Check
  // that times out is asked again on the same connection (the agent answers
  // the queued ones once it serves; the late answers are dropped).
  static Result<std::unique_ptr<TtrpcAgent>> connect(
      const AgentAddress& address, const GiveUp& give_up,
      std::chrono::milliseconds attempt = std::chrono::seconds(1));

  explicit TtrpcAgent(UniqueFd fd,
                      std::chrono::milliseconds call_timeout = std::chrono::seconds(30));

  Result<void> check() override;
  Result<void> check(std::chrono::milliseconds timeout) override;
  Result<std::string> version() override;
  Result<GuestDetails> guest_details() override;
  Result<void> create_sandbox(const SandboxSpec& spec) override;
  Result<void> destroy_sandbox() override;
  Result<void> set_guest_time(std::chrono::system_clock::time_point now) override;

  Result<void> create_container(const grpc::CreateContainerRequest& req) override;
  Result<void> start_container(const std::string& container_id) override;
  Result<void> remove_container(const std::string& container_id, uint32_t timeout_s) override;
  Result<void> exec_process(const grpc::ExecProcessRequest& req) override;
  Result<void> signal_process(const std::string& container_id, const std::string& exec_id,
                              uint32_t signal) override;
  Result<int32_t> wait_process(const std::string& container_id,
                               const std::string& exec_id) override;
  Result<std::string> read_stdout(const std::string& container_id, const std::string& exec_id,
                                  uint32_t max_bytes) override;
  Result<std::string> read_stderr(const std::string& container_id, const std::string& exec_id,
                                  uint32_t max_bytes) override;
  Result<uint32_t> write_stdin(const std::string& container_id, const std::string& exec_id,
                               std::string_view data) override;
  Result<void> close_stdin(const std::string& container_id, const std::string& exec_id) override;
  Result<void> tty_win_resize(const std::string& container_id, const std::string& exec_id,
                              uint32_t rows, uint32_t columns) override;
  Result<grpc::StatsContainerResponse> stats_container(const std::string& container_id) override;
  Result<void> pause_container(const std::string& container_id) override;
  Result<void> resume_container(const std::string& container_id) override;
  Result<void> update_container(const grpc::UpdateContainerRequest& req) override;
  Result<std::string> get_oom_event() override;

  Result<types::Interface> update_interface(const types::Interface& iface) override;
  Result<grpc::Routes> update_routes(const grpc::Routes& routes) override;
  Result<grpc::Interfaces> list_interfaces() override;
  Result<grpc::Routes> list_routes() override;
  Result<void> add_arp_neighbors(const grpc::ARPNeighbors& neighbors) override;

 private:
  // grpc.AgentService/<method> whose answer is Empty; `timeout` zero = no limit.
  template <typename Req>
  Result<void> call_empty(const char* method, const Req& req, std::chrono::milliseconds timeout);

  ttrpc::Client client_;
  std::chrono::milliseconds call_timeout_;
};

template <typename Req>
Result<void> TtrpcAgent::call_empty(const char* method, const Req& req,
                                    std::chrono::milliseconds timeout) {
  Result<std::string> raw =
      client_.call_raw("grpc.AgentService", method, req.SerializeAsString(), timeout);
  if (!raw) return std::move(raw).error();
  return {};
}

}  // namespace kata::agent_client
