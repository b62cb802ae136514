#pragma once

// Pods and containers described as the kubelet describes them, for the CRI tests and
// bench/pod, and the waits a kubelet does on them.

#include <chrono>
#include <string>
#include <vector>

#include "cri/cri_client.h"

namespace kata::cri {

// Metadata (name, a uid from the name, namespace "default"), `hostname` = name, the log
// directory, and the kubelet's Linux defaults for a v1 pod: the pod's network and IPC,
// each container its own PID namespace.
v1::PodSandboxConfig pod_config(const std::string& name, const std::string& log_dir);

// A container of `image` running `command`, its log at "<name>/<attempt>.log" under the
// pod's log directory, namespaces as the kubelet sets them for `pod`.
v1::ContainerConfig container_config(const v1::PodSandboxConfig& pod, const std::string& name,
                                     const std::string& image,
                                     const std::vector<std::string>& command, uint32_t attempt = 0);

// ContainerStatus until its state is `want` or `timeout` passed (then an error with the
// last state seen).
Result<v1::ContainerStatus> wait_for_state(CriClient& cri, const std::string& id,
                                           v1::ContainerState want,
                                           std::chrono::milliseconds timeout);

}  // namespace kata::cri
