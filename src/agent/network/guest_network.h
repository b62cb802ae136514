#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "agent/network/types.h"
#include "common/result.h"

namespace kata::agent::network {

// The guest's links, addresses, routes and neighbours, behind an interface so
// that the RPC logic (interfaces.h, routes.h) is tested on a fake
// (testing/fake_guest_network.h) and the kernel only in the root test.
// Errors carry the kernel's errno (sys_errno) so that callers can tell EEXIST.
class GuestNetwork {
 public:
  virtual ~GuestNetwork() = default;

  virtual Result<std::vector<Link>> list_links() = 0;
  virtual Result<std::vector<Address>> list_addresses() = 0;
  // The main table's unicast routes, both families, with device names.
  virtual Result<std::vector<Route>> list_routes() = 0;

  virtual Result<void> set_link_up(int index, bool up) = 0;
  // The kernel refuses (EBUSY) to rename a link that is up.
  virtual Result<void> set_link_name(int index, const std::string& name) = 0;
  virtual Result<void> set_link_mac(int index, const MacAddress& mac) = 0;
  virtual Result<void> set_link_mtu(int index, uint32_t mtu) = 0;
  virtual Result<void> set_link_arp(int index, bool arp) = 0;

  virtual Result<void> add_address(int index, const IpNet& address) = 0;
  virtual Result<void> delete_address(int index, const IpNet& address) = 0;

  // Fails with EEXIST if the table has a route with the same key, and with
  // ENETUNREACH if a gateway is not reachable over `link_index`.
  virtual Result<void> add_route(const Route& route) = 0;
  virtual Result<void> delete_route(const Route& route) = 0;

  // Adds the entry or replaces the one for the same address and link.
  virtual Result<void> set_neighbour(const Neighbour& neighbour) = 0;

  // Parking. A NIC the host provisioned at boot for an interface that does not
  // exist yet (agent.park_nic, parking.h) waits in a network namespace of its
  // own until UpdateInterface names it, so that containers, which share the
  // agent's namespace, see only the interfaces the host configured.
  // park_link moves a link of this namespace there (it keeps its name, down);
  // unpark_link moves a parked link (its index over there) back.
  virtual Result<void> park_link(int index) = 0;
  virtual Result<std::vector<Link>> list_parked_links() = 0;
  virtual Result<void> unpark_link(int parked_index) = 0;

  // The names of the network devices at a device path: a sysfs directory
  // ("/sys/devices/pci0000:00/0000:00:03.0") or a PCI path ("02/01": slot on
  // the root bus, then slot behind each bridge). Empty if there are none.
  virtual Result<std::vector<std::string>> links_at_device_path(const std::string& path) = 0;
};

// A failed system call as an Error. A route that the table cannot carry yet
// (no link route to its gateway, link down) is FAILED_PRECONDITION: the host
// asked in the wrong order or for the wrong link, nothing is broken.
// `what` may be empty: the caller adds the context.
inline Error sys_error(int err, std::string_view what = {}) {
  std::string message =
      what.empty() ? std::strerror(err) : std::string(what) + ": " + std::strerror(err);
  bool precondition = err == ENETUNREACH || err == ENETDOWN || err == EHOSTUNREACH;
  return Error(precondition ? Code::kFailedPrecondition : code_from_errno(err), std::move(message),
               err);
}

}  // namespace kata::agent::network
