#pragma once

// `kata-agent init`: the container init, a fresh re-exec of the agent in the
// container's new namespaces (or, for an exec, about to join them). It reads
// its InitConfig from fd 3, sets the container up and reports back over the
// same socket; see wire.h for the protocol and launcher.h for the other side.
namespace kata::agent::container {

// Returns the process exit code when it cannot exec the workload.
int init_main();

}  // namespace kata::agent::container
