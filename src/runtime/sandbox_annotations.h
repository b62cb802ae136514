#pragma once

// Kata's per-sandbox tuning: io.katacontainers.config.hypervisor.<key> annotations on the
// container that makes the VM (a pod's, which containerd passes to the pause container
// with pod_annotations = ["io.katacontainers.*"]). A key must match one of [hypervisor.qemu]
// enable_annotations, as in Kata, because some keys could name host programs.
#include <map>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace kata::runtime {

constexpr char kHypervisorAnnotationPrefix[] = "io.katacontainers.config.hypervisor.";

// `config` with the sandbox's annotations applied. Built: default_vcpus (1 to 255) and
// default_memory (MiB, 64 to 4194304). INVALID_ARGUMENT names an annotation that is not
// enabled or whose value is out of range; UNIMPLEMENTED one enabled but not built.
// Annotations outside the hypervisor prefix are not this function's.
Result<config::Config> apply_sandbox_annotations(
    config::Config config, const std::map<std::string, std::string>& annotations);

}  // namespace kata::runtime
