#pragma once

// A CRI client for tests and benchmarks: Kubernetes' runtime.v1 RuntimeService and
// ImageService over gRPC on a unix socket, as the kubelet (or crictl) talks to containerd's
// CRI plugin. Every call has a deadline; a gRPC error comes back as an Error naming the RPC
// and carrying the server's message.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "cri/runtime_v1.grpc.pb.h"

namespace kata::cri {

namespace v1 = ::runtime::v1;

class CriClient {
 public:
  // Connects to `socket_path` (waits up to `timeout` for the channel to be ready).
  static Result<std::unique_ptr<CriClient>> connect(const std::string& socket_path,
                                                    std::chrono::milliseconds timeout);

  using Runtime = v1::RuntimeService::Stub;
  using Images = v1::ImageService::Stub;

  // One unary RuntimeService call: `call(&Runtime::RunPodSandbox, "RunPodSandbox", req)`.
  template <class Request, class Response>
  Result<Response> call(grpc::Status (Runtime::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                        const char* name, const Request& request,
                        std::chrono::milliseconds timeout = std::chrono::seconds(240)) {
    return invoke(*runtime_, method, name, request, timeout);
  }
  template <class Request, class Response>
  Result<Response> call_image(grpc::Status (Images::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                              const char* name, const Request& request,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return invoke(*images_, method, name, request, timeout);
  }

  // The calls the tests make most, in crictl's terms.
  Result<std::string> run_pod(const v1::PodSandboxConfig& config, const std::string& handler);
  Result<std::string> create_container(const std::string& pod_id, const v1::ContainerConfig& config,
                                       const v1::PodSandboxConfig& pod_config);
  Result<void> start_container(const std::string& id);
  Result<void> stop_container(const std::string& id, int64_t timeout_s);
  Result<void> remove_container(const std::string& id);
  Result<void> stop_pod(const std::string& pod_id);
  Result<void> remove_pod(const std::string& pod_id);
  Result<v1::ContainerStatus> container_status(const std::string& id);
  Result<v1::PodSandboxStatus> pod_status(const std::string& pod_id);
  Result<v1::ExecSyncResponse> exec_sync(const std::string& id, const std::vector<std::string>& cmd,
                                         int64_t timeout_s = 0);

 private:
  CriClient(std::shared_ptr<grpc::Channel> channel);

  template <class Stub, class Request, class Response>
  static Result<Response> invoke(
      Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
      const char* name, const Request& request, std::chrono::milliseconds timeout) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    Response response;
    grpc::Status status = (stub.*method)(&context, request, &response);
    if (!status.ok()) return error_of(name, status);
    return response;
  }
  static Error error_of(const char* rpc, const grpc::Status& status);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Images> images_;
};

}  // namespace kata::cri
