#pragma once

#include <string>

#include "common/result.h"
#include "shim/flags.h"

namespace kata::shim {

// Each returns the process exit code; output on stdout is part of containerd's contract.
int run_start(const ShimFlags& flags);
int run_delete(const ShimFlags& flags);
int run_daemon(const ShimFlags& flags);

// The bundle: -bundle if given, else the working directory containerd gave us.
Result<std::string> bundle_dir(const ShimFlags& flags);

// Writes `content` to `dir/name` through a temporary file and rename.
Result<void> write_bundle_file(const std::string& dir, const std::string& name,
                               const std::string& content);

}  // namespace kata::shim
