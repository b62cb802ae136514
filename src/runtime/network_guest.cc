#include "runtime/network_guest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "runtime/network_convert.h"

namespace kata::runtime {
namespace {

namespace host = resource::network;

bool same_mac(std::string a, std::string b) {
  auto lower = [](std::string& s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  lower(a);
  lower(b);
  return a == b;
}

std::string names_of(const std::vector<host::Interface>& ifaces) {
  std::vector<std::string> names;
  for (const host::Interface& i : ifaces) names.push_back("`" + i.name + "`");
  return fmt::format("{}", fmt::join(names, ", "));
}

Status update_interface(agent_client::Agent& agent, const types::Interface& req,
                        const host::Interface& iface) {
  Result<types::Interface> updated = agent.update_interface(req);
  if (!updated) {
    return std::move(updated).error().context(
        fmt::format("configure guest interface `{}` (MAC {})", iface.name, iface.mac));
  }
  return {};
}

// Routes, then neighbours, of interfaces the guest now has under their own names.
Status routes_and_neighbours(agent_client::Agent& agent,
                             const std::vector<host::Interface>& ifaces) {
  grpc::Routes routes = guest_routes(ifaces);
  if (routes.routes_size() > 0) {
    Result<grpc::Routes> updated = agent.update_routes(routes);
    if (!updated) {
      return std::move(updated).error().context(
          fmt::format("configure guest routes of {}", names_of(ifaces)));
    }
  }
  grpc::ARPNeighbors neighbours = guest_neighbours(ifaces);
  if (neighbours.arpneighbors_size() > 0) {
    Status added = agent.add_arp_neighbors(neighbours);
    if (!added) {
      return std::move(added).error().context(
          fmt::format("configure guest neighbours of {}", names_of(ifaces)));
    }
  }
  return {};
}

}  // namespace

Status configure_interfaces(agent_client::Agent& agent,
                            const std::vector<host::Interface>& ifaces) {
  for (const host::Interface& iface : ifaces) {
    KATA_TRY(update_interface(agent, to_guest_interface(iface), iface));
  }
  return routes_and_neighbours(agent, ifaces);
}

Status adopt_spare_nic(agent_client::Agent& agent, const std::string& placeholder_mac,
                       const host::Interface& iface) {
  std::string what =
      fmt::format("attach interface `{}` (MAC {}) to the spare guest NIC", iface.name, iface.mac);
  Result<grpc::Interfaces> listed = agent.list_interfaces();
  if (!listed) return std::move(listed).error().context(what + ": list guest interfaces");
  const auto& nics = listed->interfaces();
  auto nic = std::find_if(nics.begin(), nics.end(), [&](const types::Interface& n) {
    return same_mac(n.hwaddr(), placeholder_mac) || same_mac(n.hwaddr(), iface.mac);
  });
  if (nic == nics.end()) {
    return Error(Code::kNotFound, fmt::format("{}: no guest NIC has MAC {} or {}", what,
                                              placeholder_mac, iface.mac));
  }
  // Found by its current name, the NIC takes hwAddr as its new MAC.
  types::Interface req = to_guest_interface(iface);
  req.set_device(nic->name());
  KATA_TRY(update_interface(agent, req, iface));
  return routes_and_neighbours(agent, {iface});
}

}  // namespace kata::runtime
