#include "cri/pod_config.h"

#include <fmt/format.h>

#include <functional>
#include <thread>

namespace kata::cri {

v1::PodSandboxConfig pod_config(const std::string& name, const std::string& log_dir) {
  v1::PodSandboxConfig pod;
  v1::PodSandboxMetadata* meta = pod.mutable_metadata();
  meta->set_name(name);
  meta->set_namespace_("default");
  meta->set_uid(fmt::format("uid-{:x}", std::hash<std::string>{}(name)));
  pod.set_hostname(name);
  pod.set_log_directory(log_dir);
  v1::NamespaceOption* ns =
      pod.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(v1::POD);
  ns->set_ipc(v1::POD);
  ns->set_pid(v1::CONTAINER);
  return pod;
}

v1::ContainerConfig container_config(const v1::PodSandboxConfig& pod, const std::string& name,
                                     const std::string& image,
                                     const std::vector<std::string>& command, uint32_t attempt) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_attempt(attempt);
  c.mutable_image()->set_image(image);
  for (const std::string& arg : command) c.add_command(arg);
  c.set_log_path(fmt::format("{}/{}.log", name, attempt));
  *c.mutable_linux()->mutable_security_context()->mutable_namespace_options() =
      pod.linux().security_context().namespace_options();
  return c;
}

Result<v1::ContainerStatus> wait_for_state(CriClient& cri, const std::string& id,
                                           v1::ContainerState want,
                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    KATA_ASSIGN_OR_RETURN(v1::ContainerStatus status, cri.container_status(id));
    if (status.state() == want) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(Code::kDeadlineExceeded,
                   fmt::format("container {} is {} after {} ms, not {}", id,
                               v1::ContainerState_Name(status.state()), timeout.count(),
                               v1::ContainerState_Name(want)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace kata::cri
