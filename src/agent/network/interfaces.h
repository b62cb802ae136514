#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/network/guest_network.h"

namespace kata::agent::network {

// What UpdateInterface asks for, validated (convert.h).
struct InterfaceSpec {
  std::string name;  // "" keeps the current name
  // The NIC's MAC; for a NIC found by `device` or device_path, the MAC to give it.
  std::optional<MacAddress> mac;
  // The NIC's current name in the guest ("" if the host gave none): how the host
  // names a NIC provisioned at boot with a MAC it now changes (it learned the
  // name from ListInterfaces).
  std::string device;
  std::string device_path;  // "" if the host gave none
  uint32_t mtu = 0;         // 0 keeps the current MTU
  std::vector<IpNet> addresses;
  bool arp = true;  // false: IFF_NOARP
};

// A link with its addresses, as ListInterfaces and UpdateInterface report it.
struct Interface {
  Link link;
  std::vector<IpNet> addresses;
  std::string device_path;  // as the host gave it; the kernel does not say
};

// Brings `lo` up if it is down: a container without a network still has a
// working loopback, as under runc.
Result<void> bring_lo_up(GuestNetwork& net);

// "update interface eth0" or, without a name, the MAC or device path.
std::string update_label(const InterfaceSpec& spec);

// Finds the NIC by MAC, else by device path (waiting up to `wait_for_nic` for
// a hot-plugged NIC's driver to show it), else among the parked NICs by MAC or
// by name (moving it back into the containers' namespace), then sets name, MAC, MTU and ARP
// with the link down where the kernel needs it, replaces its addresses, and
// brings it and `lo` up. Returns the interface as it is now.
Result<Interface> update_interface(GuestNetwork& net, const InterfaceSpec& spec,
                                   std::chrono::milliseconds wait_for_nic = {});

// Every link, `lo` included, with its addresses; then the parked NICs (down,
// without addresses), so that the host learns a parked NIC's name by the MAC
// it booted with and can name it in UpdateInterface.
Result<std::vector<Interface>> list_interfaces(GuestNetwork& net);

}  // namespace kata::agent::network
