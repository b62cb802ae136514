#pragma once

#include "agent/sandbox.h"
#include "ttrpc/server.h"

namespace kata::agent {

// grpc.AgentService: the methods implemented so far. The server answers every
// other method with UNIMPLEMENTED by itself.
void register_agent_service(ttrpc::Server& server, Sandbox& sandbox);

}  // namespace kata::agent
