#pragma once

#include <string>

#include "common/result.h"
#include "runtime/service/stdio_pumps.h"

namespace kata::shim {

using runtime::service::StdioFiles;
using runtime::service::StdioPaths;

// Opens what containerd passes for a process's stdio: fifo paths, each may be
// empty (no stdin; a terminal has no stderr), or for the output a file:// or
// binary:// URI (stdio_uri.h). Fifos are opened without blocking: containerd
// may open its ends only later. A URI for stdout (containerd then gives the
// same for stderr) sends both streams to a file or to a logging binary started
// for process `id` of namespace `ns`; any other URI is INVALID_ARGUMENT.
Result<StdioFiles> open_stdio(const StdioPaths& paths, const std::string& id,
                              const std::string& ns);

}  // namespace kata::shim
