#pragma once

// What the host's scan of the sandbox's network namespace becomes in the guest: which
// interfaces get a NIC, and the agent requests that copy their addresses, routes and
// neighbours onto it. Pure functions, so that every rule is unit-tested without root.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent.pb.h"
#include "resource/network/scan.h"

namespace kata::runtime {

// Whether the tcfilter model gives `iface` a NIC: an Ethernet endpoint whose frames are
// the container's own: a veth, macvlan, ipvlan, or a physical NIC moved into the
// namespace. Taps, tuns and macvtaps are queues that some other reader (QEMU, ours
// included) owns; a link without a MAC is not Ethernet; other virtual devices (a bridge,
// a vxlan or geneve tunnel) carry frames that are not the endpoint's.
bool carries_to_guest(const resource::network::Interface& iface);

// FAILED_PRECONDITION naming `iface` and its kind when the caller configured it for the
// container (it has an address other than an IPv6 link-local one) but no NIC carries it
// (a tunnel, a bridge, wireguard): as upstream Kata, the sandbox refuses to start rather
// than run without a network the caller set up. OK for what is carried, for the queues
// carries_to_guest() skips, and for unconfigured devices: the kernel's fallback tunnels
// (tunl0, sit0, gre0) appear in every namespace once their module is loaded.
Status check_carriable(const resource::network::Interface& iface);

// The tap of the `index`-th NIC: "tap0_kata", "tap1_kata", ...
std::string tap_name(size_t index);

// A locally administered unicast MAC ("02:..") from five random bytes: the spare NIC's
// until a late interface gives it its own. Random, so that sandboxes sharing an L2 segment
// do not clash should a spare ever reach it.
std::string placeholder_mac(const std::array<uint8_t, 5>& random);

// The UpdateInterface request for the NIC that carries `iface`'s MAC: its name, MTU and
// addresses. IPv6 link-local addresses stay behind: the guest derives its own from the
// MAC, as upstream Kata has it.
types::Interface to_guest_interface(const resource::network::Interface& iface);

// One UpdateRoutes for the routes of `ifaces`, each on the guest link named as the
// interface. Left out: the kernel's own routes (protocol kernel: the guest kernel makes
// them when the addresses are added, as upstream Kata skips them) and routes to or from
// IPv6 link-local addresses (their addresses are not copied).
grpc::Routes guest_routes(const std::vector<resource::network::Interface>& ifaces);

// The permanent neighbours of `ifaces`, as AddARPNeighbors takes them.
grpc::ARPNeighbors guest_neighbours(const std::vector<resource::network::Interface>& ifaces);

}  // namespace kata::runtime
