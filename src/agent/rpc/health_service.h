#pragma once

#include "ttrpc/server.h"

namespace kata::agent {

// grpc.Health: Check (the host polls it until the agent answers) and Version.
void register_health_service(ttrpc::Server& server);

}  // namespace kata::agent
