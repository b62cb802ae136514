#pragma once

#include <string>
#include <vector>

#include "agent/container/spec.h"
#include "common/result.h"

// The container's /dev, run in the container init before the root switch.
namespace kata::agent::container {

// Device nodes every container gets (null zero full random urandom tty) plus
// `extra` from linux.devices, and the usual symlinks (/dev/fd, /dev/stdin,
// /dev/stdout, /dev/stderr, /dev/ptmx -> pts/ptmx). Paths resolve inside root_fd.
Result<void> populate_dev(int root_fd, const std::vector<Device>& extra);

}  // namespace kata::agent::container
