#pragma once

// The agent calls that carry host interfaces into the guest, over the Agent interface
// only, so that their order and errors are unit-tested with FakeAgent.

#include <string>
#include <vector>

#include "agent_client/agent.h"
#include "common/result.h"
#include "resource/network/scan.h"

namespace kata::runtime {

// For interfaces whose guest NICs were booted with their MACs: one UpdateInterface each
// (the agent finds the NIC by MAC), then one UpdateRoutes with all their routes, then
// AddARPNeighbors. A call with nothing to send is not made. Routes come after every
// interface, since a gateway must be reachable through an address of some link.
Status configure_interfaces(agent_client::Agent& agent,
                            const std::vector<resource::network::Interface>& ifaces);

// The spare NIC, booted with `placeholder_mac`, now carries `iface`: finds its guest name
// with ListInterfaces, gives it `iface`'s MAC, name, MTU and addresses, then its routes
// and neighbours. A NIC that already has `iface`'s MAC counts as that NIC, so a second
// attempt after a failure half-way finds it again.
Status adopt_spare_nic(agent_client::Agent& agent, const std::string& placeholder_mac,
                       const resource::network::Interface& iface);

}  // namespace kata::runtime
