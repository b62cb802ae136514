#pragma once

#include <string>

#include "cli/cli.h"
#include "cli/container_record.h"
#include "cli/relay.h"

namespace kata::cli {

struct CreateOptions {
  std::string id;
  std::string bundle;  // "" = the working directory
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  bool detach = true;  // run without -d: the caller stays in the foreground
};

struct Created {
  ContainerRecord record;
  Relay relay;
};

// `create`: checks the bundle, starts the sandbox service (or finds its pod's),
// starts the relay, creates the container in the service and records it.
// Nothing of it is left when this fails.
Result<Created> create_container(const GlobalOptions& g, const CreateOptions& o);

// `start` of a created container.
Result<void> start_container(const ContainerRecord& record);

// `delete`: the container out of its service (which ends with its last
// container), its relay, and its record. With `force`, a running one is killed
// first; without, it must have stopped (or never started).
Result<void> delete_container(const GlobalOptions& g, const ContainerRecord& record, bool force);

}  // namespace kata::cli
