#pragma once

#include <chrono>

#include "agent/network/guest_network.h"
#include "ttrpc/server.h"

namespace kata::agent {

// How long UpdateInterface waits for a hot-plugged NIC's driver to show the
// link before it answers NOT_FOUND.
inline constexpr std::chrono::milliseconds kNicWait{5000};

// The network RPCs of grpc.AgentService (UpdateInterface, UpdateRoutes,
// ListInterfaces, ListRoutes, AddARPNeighbors) as adapters over
// agent/network: one request at a time, since each reads the guest's state and
// then changes it. `net` must outlive the server.
void register_network_service(ttrpc::Server& server, network::GuestNetwork& net,
                              std::chrono::milliseconds nic_wait = kNicWait);

}  // namespace kata::agent
