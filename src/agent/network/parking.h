#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/network/guest_network.h"

namespace kata::agent::network {

// The host provisions a spare NIC at boot for an interface that appears only
// later (`ctr run --cni` adds its veth after the task exists; docs/host-network.md),
// and names its placeholder MAC on the kernel command line (agent.park_nic=MAC).
// Until UpdateInterface names it, the NIC waits in the parking namespace
// (guest_network.h), so that a container without a network sees only `lo`, as
// under runc.
//
// Parks each NIC with one of `macs`, waiting up to `wait` for its driver to
// show it. Goes on past a NIC it cannot find or park and reports them all: a
// NIC left in place is only visible, not harmful.
Result<void> park_nics(GuestNetwork& net, const std::vector<std::string>& macs,
                       std::chrono::milliseconds wait);

}  // namespace kata::agent::network
