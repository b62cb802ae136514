#pragma once

#include <string>
#include <vector>

#include "agent/network/guest_network.h"

namespace kata::agent::network {

// "10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0", as `ip neigh` shows it.
std::string describe(const Neighbour& neighbour);

// Adds each entry, or replaces the one the kernel has for its address on its
// link (AddARPNeighbors). Stops at the first failure.
Result<void> add_neighbours(GuestNetwork& net, std::vector<Neighbour> neighbours);

}  // namespace kata::agent::network
