#include "cri/cri_client.h"

#include <fmt/format.h>

namespace kata::cri {

Result<std::unique_ptr<CriClient>> CriClient::connect(const std::string& socket_path,
                                                      std::chrono::milliseconds timeout) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("unix://" + socket_path, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + timeout)) {
    return Error(Code::kUnavailable,
                 fmt::format("CRI socket {} did not accept a connection within {} ms", socket_path,
                             timeout.count()));
  }
  return std::unique_ptr<CriClient>(new CriClient(std::move(channel)));
}

CriClient::CriClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      runtime_(v1::RuntimeService::NewStub(channel_)),
      images_(v1::ImageService::NewStub(channel_)) {}

Error CriClient::error_of(const char* rpc, const grpc::Status& status) {
  // gRPC's codes are the ones Code numbers (status_code.h follows grpc's numbering).
  return Error(static_cast<Code>(status.error_code()),
               fmt::format("CRI {}: {}", rpc, status.error_message()));
}

Result<std::string> CriClient::run_pod(const v1::PodSandboxConfig& config,
                                       const std::string& handler) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  req.set_runtime_handler(handler);
  KATA_ASSIGN_OR_RETURN(v1::RunPodSandboxResponse resp,
                        call(&Runtime::RunPodSandbox, "RunPodSandbox", req));
  return resp.pod_sandbox_id();
}

Result<std::string> CriClient::create_container(const std::string& pod_id,
                                                const v1::ContainerConfig& config,
                                                const v1::PodSandboxConfig& pod_config) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod_config;
  KATA_ASSIGN_OR_RETURN(v1::CreateContainerResponse resp,
                        call(&Runtime::CreateContainer, "CreateContainer", req));
  return resp.container_id();
}

Result<void> CriClient::start_container(const std::string& id) {
  v1::StartContainerRequest req;
  req.set_container_id(id);
  KATA_TRY(call(&Runtime::StartContainer, "StartContainer", req));
  return {};
}

Result<void> CriClient::stop_container(const std::string& id, int64_t timeout_s) {
  v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  KATA_TRY(call(&Runtime::StopContainer, "StopContainer", req));
  return {};
}

Result<void> CriClient::remove_container(const std::string& id) {
  v1::RemoveContainerRequest req;
  req.set_container_id(id);
  KATA_TRY(call(&Runtime::RemoveContainer, "RemoveContainer", req));
  return {};
}

Result<void> CriClient::stop_pod(const std::string& pod_id) {
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(pod_id);
  KATA_TRY(call(&Runtime::StopPodSandbox, "StopPodSandbox", req));
  return {};
}

Result<void> CriClient::remove_pod(const std::string& pod_id) {
  v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(pod_id);
  KATA_TRY(call(&Runtime::RemovePodSandbox, "RemovePodSandbox", req));
  return {};
}

Result<v1::ContainerStatus> CriClient::container_status(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  KATA_ASSIGN_OR_RETURN(v1::ContainerStatusResponse resp,
                        call(&Runtime::ContainerStatus, "ContainerStatus", req));
  return resp.status();
}

Result<v1::PodSandboxStatus> CriClient::pod_status(const std::string& pod_id) {
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod_id);
  KATA_ASSIGN_OR_RETURN(v1::PodSandboxStatusResponse resp,
                        call(&Runtime::PodSandboxStatus, "PodSandboxStatus", req));
  return resp.status();
}

Result<v1::ExecSyncResponse> CriClient::exec_sync(const std::string& id,
                                                  const std::vector<std::string>& cmd,
                                                  int64_t timeout_s) {
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (const std::string& arg : cmd) req.add_cmd(arg);
  req.set_timeout(timeout_s);
  // The server enforces `timeout_s`; ours only has to outlast it.
  auto deadline = std::chrono::seconds(timeout_s > 0 ? timeout_s + 60 : 240);
  return call(&Runtime::ExecSync, "ExecSync", req, deadline);
}

}  // namespace kata::cri
