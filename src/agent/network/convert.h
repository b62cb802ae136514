#pragma once

#include <vector>

#include "agent.pb.h"
#include "agent/network/interfaces.h"
#include "types.pb.h"

namespace kata::agent::network {

// Upstream Kata's network messages <-> the domain types, validated: a
// malformed address, prefix length or MAC is INVALID_ARGUMENT with the
// request's label ("update interface eth0: ...") in front.

// hwAddr or devicePath must be there. IPAddress.family is not trusted: the
// address text decides (proto3 reads an unset family as v4).
Result<InterfaceSpec> to_interface_spec(const types::Interface& iface);
types::Interface to_proto(const Interface& iface);
grpc::Interfaces to_proto(const std::vector<Interface>& ifaces);

// dest "", "default", "0.0.0.0" or "::" is the default route. The family
// comes from the addresses; the proto's field only decides for a route that
// has none ("default dev eth0"). An IPv4 route without a gateway and with
// scope 0 gets scope link, as `ip route add` gives it.
Result<Route> to_route(const types::Route& route);
Result<std::vector<Route>> to_routes(const grpc::Routes& routes);
grpc::Routes to_proto(const std::vector<Route>& routes);

// state 0 means permanent, as upstream.
Result<std::vector<Neighbour>> to_neighbours(const grpc::ARPNeighbors& neighbours);

}  // namespace kata::agent::network
