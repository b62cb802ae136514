#pragma once

#include <string>
#include <vector>

#include "agent/network/guest_network.h"

namespace kata::agent::network {

// `ip route` style: "10.0.0.0/24 via 10.0.0.1 dev eth0", "default via ...".
std::string describe(const Route& route);

// The order in which the kernel accepts `routes`: routes without a gateway
// first (the link routes that gateways are reached through), then gateway
// routes, default routes last. Stable within each group.
std::vector<Route> install_order(std::vector<Route> routes);

// Replaces the routes of the links that `routes` name (device) with `routes`,
// leaving the kernel's own routes (those of the links' addresses) and the
// other links' routes alone. Returns the main table as it is now.
Result<std::vector<Route>> update_routes(GuestNetwork& net, std::vector<Route> routes);

}  // namespace kata::agent::network
