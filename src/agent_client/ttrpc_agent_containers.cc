// The container and process RPCs of TtrpcAgent: thin mappings from the Agent
// interface onto grpc.AgentService requests.
#include "agent.pb.h"
#include "agent_client/ttrpc_agent.h"

namespace kata::agent_client {
namespace {

constexpr char kAgentService[] = "grpc.AgentService";
// Calls that wait on the workload (exit, output, OOM) have no deadline: a
// lost connection ends them with UNAVAILABLE instead.
constexpr std::chrono::milliseconds kNoDeadline{0};

grpc::ReadStreamRequest read_request(const std::string& cid, const std::string& eid,
                                     uint32_t max_bytes) {
  grpc::ReadStreamRequest req;
  req.set_container_id(cid);
  req.set_exec_id(eid);
  req.set_len(max_bytes);
  return req;
}

}  // namespace

Result<void> TtrpcAgent::create_container(const grpc::CreateContainerRequest& req) {
  return call_empty("CreateContainer", req, call_timeout_);
}

Result<void> TtrpcAgent::start_container(const std::string& container_id) {
  grpc::StartContainerRequest req;
  req.set_container_id(container_id);
  return call_empty("StartContainer", req, call_timeout_);
}

Result<void> TtrpcAgent::remove_container(const std::string& container_id, uint32_t timeout_s) {
  grpc::RemoveContainerRequest req;
  req.set_container_id(container_id);
  req.set_timeout(timeout_s);
  // The guest may take `timeout_s` to kill the processes; give it that plus the usual margin.
  auto limit = timeout_s == 0 ? kNoDeadline : call_timeout_ + std::chrono::seconds(timeout_s);
  return call_empty("RemoveContainer", req, limit);
}

Result<void> TtrpcAgent::exec_process(const grpc::ExecProcessRequest& req) {
  return call_empty("ExecProcess", req, call_timeout_);
}

Result<void> TtrpcAgent::signal_process(const std::string& container_id, const std::string& exec_id,
                                        uint32_t signal) {
  grpc::SignalProcessRequest req;
  req.set_container_id(container_id);
  req.set_exec_id(exec_id);
  req.set_signal(signal);
  return call_empty("SignalProcess", req, call_timeout_);
}

Result<int32_t> TtrpcAgent::wait_process(const std::string& container_id,
                                         const std::string& exec_id) {
  grpc::WaitProcessRequest req;
  req.set_container_id(container_id);
  req.set_exec_id(exec_id);
  KATA_ASSIGN_OR_RETURN(auto resp,
                        (client_.call<grpc::WaitProcessRequest, grpc::WaitProcessResponse>(
                            kAgentService, "WaitProcess", req, kNoDeadline)));
  return resp.status();
}

Result<std::string> TtrpcAgent::read_stdout(const std::string& container_id,
                                            const std::string& exec_id, uint32_t max_bytes) {
  KATA_ASSIGN_OR_RETURN(
      auto resp, (client_.call<grpc::ReadStreamRequest, grpc::ReadStreamResponse>(
                     kAgentService, "ReadStdout", read_request(container_id, exec_id, max_bytes),
                     kNoDeadline)));
  return std::move(*resp.mutable_data());
}

Result<std::string> TtrpcAgent::read_stderr(const std::string& container_id,
                                            const std::string& exec_id, uint32_t max_bytes) {
  KATA_ASSIGN_OR_RETURN(
      auto resp, (client_.call<grpc::ReadStreamRequest, grpc::ReadStreamResponse>(
                     kAgentService, "ReadStderr", read_request(container_id, exec_id, max_bytes),
                     kNoDeadline)));
  return std::move(*resp.mutable_data());
}

Result<uint32_t> TtrpcAgent::write_stdin(const std::string& container_id,
                                         const std::string& exec_id, std::string_view data) {
  grpc::WriteStreamRequest req;
  req.set_container_id(container_id);
  req.set_exec_id(exec_id);
  req.set_data(std::string(data));
  // A full pipe in the guest blocks the write until the workload reads.
  KATA_ASSIGN_OR_RETURN(auto resp,
                        (client_.call<grpc::WriteStreamRequest, grpc::WriteStreamResponse>(
                            kAgentService, "WriteStdin", req, kNoDeadline)));
  return resp.len();
}

Result<void> TtrpcAgent::close_stdin(const std::string& container_id, const std::string& exec_id) {
  grpc::CloseStdinRequest req;
  req.set_container_id(container_id);
  req.set_exec_id(exec_id);
  return call_empty("CloseStdin", req, call_timeout_);
}

Result<void> TtrpcAgent::tty_win_resize(const std::string& container_id, const std::string& exec_id,
                                        uint32_t rows, uint32_t columns) {
  grpc::TtyWinResizeRequest req;
  req.set_container_id(container_id);
  req.set_exec_id(exec_id);
  req.set_row(rows);
  req.set_column(columns);
  return call_empty("TtyWinResize", req, call_timeout_);
}

Result<grpc::StatsContainerResponse> TtrpcAgent::stats_container(const std::string& container_id) {
  grpc::StatsContainerRequest req;
  req.set_container_id(container_id);
  return client_.call<grpc::StatsContainerRequest, grpc::StatsContainerResponse>(
      kAgentService, "StatsContainer", req, call_timeout_);
}

Result<void> TtrpcAgent::pause_container(const std::string& container_id) {
  grpc::PauseContainerRequest req;
  req.set_container_id(container_id);
  return call_empty("PauseContainer", req, call_timeout_);
}

Result<void> TtrpcAgent::resume_container(const std::string& container_id) {
  grpc::ResumeContainerRequest req;
  req.set_container_id(container_id);
  return call_empty("ResumeContainer", req, call_timeout_);
}

Result<void> TtrpcAgent::update_container(const grpc::UpdateContainerRequest& req) {
  return call_empty("UpdateContainer", req, call_timeout_);
}

Result<std::string> TtrpcAgent::get_oom_event() {
  grpc::GetOOMEventRequest req;
  KATA_ASSIGN_OR_RETURN(auto resp, (client_.call<grpc::GetOOMEventRequest, grpc::OOMEvent>(
                                       kAgentService, "GetOOMEvent", req, kNoDeadline)));
  return resp.container_id();
}

}  // namespace kata::agent_client
