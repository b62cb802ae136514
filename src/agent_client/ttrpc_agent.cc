#include "agent_client/ttrpc_agent.h"

#include <google/protobuf/empty.pb.h>

#include <thread>

#include "agent.pb.h"
#include "agent_client/dialer.h"
#include "health.pb.h"

namespace kata::agent_client {
namespace {

using Clock = std::chrono::steady_clock;
using Empty = google::protobuf::Empty;

constexpr char kAgentService[] = "grpc.AgentService";
constexpr char kHealthService[] = "grpc.Health";

}  // namespace

TtrpcAgent::TtrpcAgent(UniqueFd fd, std::chrono::milliseconds call_timeout)
    : client_(std::move(fd)), call_timeout_(call_timeout) {}

Result<std::unique_ptr<TtrpcAgent>> TtrpcAgent::connect(const AgentAddress& address,
                                                        const GiveUp& give_up,
                                                        std::chrono::milliseconds attempt) {
  // A virtio-serial port or a vsock connection may be accepted before the
  // agent serves it (QEMU listens for the guest); so the proof of life is a
  // Check answered, not a connect. Reconnect if the connection drops, as it
  // does on vsock while the guest port is not bound yet.
  const std::string what = "wait for agent at " + address.to_string();
  std::unique_ptr<TtrpcAgent> agent;
  for (;;) {
    if (std::optional<Error> stop = give_up()) return std::move(*stop).context(what);
    if (!agent) {
      Result<UniqueFd> fd = dial(address, Clock::now() + attempt);
      if (!fd) {
        if (dial_worth_retrying(fd.error())) continue;
        return std::move(fd).error().context(what);
      }
      agent = std::make_unique<TtrpcAgent>(std::move(*fd));
    }
    Result<void> ok = agent->check(attempt);
    if (ok) return agent;
    if (ok.error().code() == Code::kDeadlineExceeded) continue;  // not serving yet
    if (ok.error().code() != Code::kUnavailable) return std::move(ok).error().context(what);
    agent.reset();  // dropped: dial again, without spinning
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> TtrpcAgent::check(std::chrono::milliseconds timeout) {
  grpc::CheckRequest req;
  KATA_ASSIGN_OR_RETURN(auto resp, (client_.call<grpc::CheckRequest, grpc::HealthCheckResponse>(
                                       kHealthService, "Check", req, timeout)));
  if (resp.status() != grpc::HealthCheckResponse::SERVING) {
    return Error(Code::kUnavailable,
                 "agent health is " + grpc::HealthCheckResponse::ServingStatus_Name(resp.status()));
  }
  return {};
}

Result<void> TtrpcAgent::check() { return check(call_timeout_); }

Result<std::string> TtrpcAgent::version() {
  grpc::CheckRequest req;
  KATA_ASSIGN_OR_RETURN(auto resp, (client_.call<grpc::CheckRequest, grpc::VersionCheckResponse>(
                                       kHealthService, "Version", req, call_timeout_)));
  return resp.agent_version();
}

Result<GuestDetails> TtrpcAgent::guest_details() {
  grpc::GuestDetailsRequest req;
  req.set_mem_block_size(true);
  KATA_ASSIGN_OR_RETURN(auto resp,
                        (client_.call<grpc::GuestDetailsRequest, grpc::GuestDetailsResponse>(
                            kAgentService, "GetGuestDetails", req, call_timeout_)));
  GuestDetails d;
  d.agent_version = resp.agent_details().version();
  d.kernel_release = resp.agent_details().kernel_release();
  d.kernel_version = resp.agent_details().kernel_version();
  d.init_daemon = resp.agent_details().init_daemon();
  d.mem_block_size_bytes = resp.mem_block_size_bytes();
  return d;
}

Result<void> TtrpcAgent::create_sandbox(const SandboxSpec& spec) {
  grpc::CreateSandboxRequest req;
  req.set_sandbox_id(spec.sandbox_id);
  req.set_hostname(spec.hostname);
  for (const auto& d : spec.dns) req.add_dns(d);
  for (const auto& st : spec.storages) *req.add_storages() = st;
  KATA_TRY((client_.call<grpc::CreateSandboxRequest, Empty>(kAgentService, "CreateSandbox", req,
                                                            call_timeout_)));
  return {};
}

Result<void> TtrpcAgent::destroy_sandbox() {
  grpc::DestroySandboxRequest req;
  KATA_TRY((client_.call<grpc::DestroySandboxRequest, Empty>(kAgentService, "DestroySandbox", req,
                                                             call_timeout_)));
  return {};
}

Result<void> TtrpcAgent::set_guest_time(std::chrono::system_clock::time_point now) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  grpc::SetGuestDateTimeRequest req;
  req.set_sec(us / 1000000);
  req.set_usec(us % 1000000);
  KATA_TRY((client_.call<grpc::SetGuestDateTimeRequest, Empty>(kAgentService, "SetGuestDateTime",
                                                               req, call_timeout_)));
  return {};
}

}  // namespace kata::agent_client
