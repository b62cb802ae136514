#pragma once

#include "agent/container/engine.h"
#include "ttrpc/server.h"

namespace kata::agent {

// The container RPCs of grpc.AgentService (CreateContainer, StartContainer,
// ExecProcess, WaitProcess, ReadStdout, ...), as thin adapters over the
// container engine. Blocking calls (WaitProcess, ReadStdout/ReadStderr,
// WriteStdin, GetOOMEvent) end with CANCELLED when the call's context is
// cancelled.
void register_container_service(ttrpc::Server& server, container::Engine& engine);

}  // namespace kata::agent
