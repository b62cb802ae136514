#pragma once

// Internal to the netlink implementation: owners for libnl objects, address
// conversion, and the socket session that turns libnl's results into Errors.
// Only netlink_*.cc include this, so libnl stays out of every public header.

#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/network/types.h"
#include "common/result.h"
#include "sys/libnl_owners.h"

namespace kata::agent::network::nl {

using sys::libnl::Cache;
using sys::libnl::Owner;
using sys::libnl::Sock;
using Addr = Owner<nl_addr, nl_addr_put>;
using LinkObj = sys::libnl::Link;
using AddrObj = Owner<rtnl_addr, rtnl_addr_put>;
using RouteObj = Owner<rtnl_route, rtnl_route_put>;
using NeighObj = Owner<rtnl_neigh, rtnl_neigh_put>;

int af(Family family);
Addr to_nl(const IpAddress& ip, int prefix_len);
Addr to_nl(const MacAddress& mac);
// An IPv4 or IPv6 address of the right length, else nothing.
std::optional<IpAddress> from_nl(nl_addr* addr);

// One NETLINK_ROUTE socket, used by one call at a time. libnl reduces the
// kernel's errno to its own codes ("Network is unreachable" becomes
// "Unspecific failure"), so an error callback keeps the errno itself.
class Session {
 public:
  static Result<std::unique_ptr<Session>> open();

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mu_); }
  // Runs one libnl call, `fn(sock)` returning 0 or a negative NLE_* code.
  template <typename Fn>
  Result<void> call(Fn&& fn) {
    kernel_errno_ = 0;
    int rc = fn(sock_.get());
    if (rc >= 0) return {};
    return error(rc);
  }
  Result<Cache> link_cache();
  Result<Cache> addr_cache();
  Result<Cache> route_cache();

 private:
  static int on_kernel_error(sockaddr_nl*, nlmsgerr* err, void* self);
  Error error(int nl_code) const;

  std::mutex mu_;
  Sock sock_;
  int kernel_errno_ = 0;
};

}  // namespace kata::agent::network::nl
