#include "e2e/cri_config.h"

#include <fmt/format.h>

#include "e2e/cni_env.h"

namespace kata::e2e {

std::string cri_plugin_toml(const CriSettings& settings) {
  return fmt::format(R"(
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  # CAP_SYS_RESOURCE is not in this host's bounding set: containers may only raise theirs.
  restrict_oom_score_adj = true
  disable_apparmor = true
  # Exec, Attach and PortForward URLs: loopback, a port the kernel picks (several
  # containerds run side by side in the tests).
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
      runtime_type = "io.containerd.kata.v2"
      # A privileged container gets the VM's devices, not the host's.
      privileged_without_host_devices = true
      pod_annotations = ["io.katacontainers.*"]
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{bin}"
    conf_dir = "{conf}"
    max_conf_num = 1
)",
                     fmt::arg("pause", settings.pause_image), fmt::arg("bin", kCniPluginDir),
                     fmt::arg("conf", settings.cni_conf_dir));
}

}  // namespace kata::e2e
