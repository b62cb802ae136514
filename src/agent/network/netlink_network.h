#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/network/guest_network.h"
#include "common/unique_fd.h"

namespace kata::agent::network {

namespace nl {
class Session;
}

// GuestNetwork over rtnetlink, through libnl-route-3. Safe to call from any
// thread; one call at a time reaches the socket.
class NetlinkGuestNetwork final : public GuestNetwork {
 public:
  // The socket belongs to the calling thread's network namespace, and every
  // later call acts there whichever thread makes it: a test opens it on a
  // thread that has unshared CLONE_NEWNET. `sysfs_root` serves device paths.
  static Result<std::unique_ptr<NetlinkGuestNetwork>> open(std::string sysfs_root = "/sys");
  ~NetlinkGuestNetwork() override;

  Result<std::vector<Link>> list_links() override;
  Result<std::vector<Address>> list_addresses() override;
  Result<std::vector<Route>> list_routes() override;
  Result<void> set_link_up(int index, bool up) override;
  Result<void> set_link_name(int index, const std::string& name) override;
  Result<void> set_link_mac(int index, const MacAddress& mac) override;
  Result<void> set_link_mtu(int index, uint32_t mtu) override;
  Result<void> set_link_arp(int index, bool arp) override;
  Result<void> add_address(int index, const IpNet& address) override;
  Result<void> delete_address(int index, const IpNet& address) override;
  Result<void> add_route(const Route& route) override;
  Result<void> delete_route(const Route& route) override;
  Result<void> set_neighbour(const Neighbour& neighbour) override;
  Result<void> park_link(int index) override;
  Result<std::vector<Link>> list_parked_links() override;
  Result<void> unpark_link(int parked_index) override;
  Result<std::vector<std::string>> links_at_device_path(const std::string& path) override;

 private:
  NetlinkGuestNetwork(std::unique_ptr<nl::Session> session, UniqueFd home_ns,
                      std::string sysfs_root);
  // Makes the parking namespace on first use (netlink_parking.cc).
  Result<void> open_parking();

  std::unique_ptr<nl::Session> session_;
  UniqueFd home_ns_;  // session_'s namespace, where unpark_link moves links back
  std::string sysfs_root_;
  std::mutex parking_mu_;
  std::unique_ptr<nl::Session> parking_;  // a socket in the parking namespace
  UniqueFd parking_ns_;
};

}  // namespace kata::agent::network
