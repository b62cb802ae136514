#pragma once

// The CLI's side of the sandbox service: containerd's task API (the same one
// the shim serves containerd) over the service's unix socket.
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "containerd/shim.pb.h"
#include "shim/task_handlers.h"
#include "ttrpc/client.h"

namespace kata::cli {

namespace task = containerd::task::v2;

class ServiceClient {
 public:
  // UNAVAILABLE when nothing serves `socket` (the service exited or died).
  static Result<ServiceClient> connect(const std::string& socket);

  // One call of containerd.task.v2.Task; `timeout` zero waits without limit
  // (Create boots a VM, Wait lasts as long as the process).
  template <typename Resp, typename Req>
  Result<Resp> call(std::string_view method, const Req& req,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    return client_->call<Req, Resp>(shim::kTaskServiceName, method, req, timeout);
  }

 private:
  explicit ServiceClient(std::unique_ptr<ttrpc::Client> client) : client_(std::move(client)) {}
  std::unique_ptr<ttrpc::Client> client_;
};

}  // namespace kata::cli
