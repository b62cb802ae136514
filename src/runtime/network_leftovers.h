#pragma once

// After a crash of the sandbox service: taking off a caller's network namespace what the
// sandbox had added there (docs/host-network.md, "After a crash"). The taps died with
// their last holders (the service and QEMU); the tc redirects and ingress qdiscs on the
// caller's interfaces did not.

#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/sandbox_state.h"

namespace kata::runtime {

// One line per recorded redirect: what was removed or why it was left alone.
struct LeftoverReport {
  std::vector<std::string> lines;
};

// Opens the namespace at `state.netns_path` and, if it is still the one recorded (same
// nsfs inode), removes each redirect that is still ours (resource::network::
// remove_leftover()). A namespace that is gone, or another one at the path, holds nothing
// of ours: reported, not an error. Goes on past a failed redirect and returns the first
// error.
Result<LeftoverReport> remove_network_leftovers(const NetworkState& state);

}  // namespace kata::runtime
