#include "agent/network/nl.h"

#include <fmt/format.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include "agent/network/guest_network.h"

namespace kata::agent::network::nl {

int af(Family family) { return family == Family::kV4 ? AF_INET : AF_INET6; }

Addr to_nl(const IpAddress& ip, int prefix_len) {
  Addr addr(nl_addr_build(af(ip.family), ip.bytes.data(), ip.size()));
  if (addr) nl_addr_set_prefixlen(addr.get(), prefix_len);
  return addr;
}

Addr to_nl(const MacAddress& mac) {
  return Addr(nl_addr_build(AF_LLC, mac.bytes.data(), mac.bytes.size()));
}

std::optional<IpAddress> from_nl(nl_addr* addr) {
  if (addr == nullptr) return std::nullopt;
  int family = nl_addr_get_family(addr);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  Result<IpAddress> ip = net::ip_from_bytes(
      family == AF_INET ? Family::kV4 : Family::kV6,
      {static_cast<const uint8_t*>(nl_addr_get_binary_addr(addr)), nl_addr_get_len(addr)});
  if (!ip) return std::nullopt;
  return *ip;
}

Result<std::unique_ptr<Session>> Session::open() {
  auto session = std::make_unique<Session>();
  session->sock_.reset(nl_socket_alloc());
  if (!session->sock_) return Error(Code::kResourceExhausted, "allocate netlink socket");
  // nl_connect opens the socket with SOCK_CLOEXEC.
  if (int rc = nl_connect(session->sock_.get(), NETLINK_ROUTE); rc < 0) {
    return Error(Code::kInternal, fmt::format("connect rtnetlink socket: {}", nl_geterror(rc)));
  }
  nl_socket_modify_err_cb(session->sock_.get(), NL_CB_CUSTOM, &Session::on_kernel_error,
                          session.get());
  return session;
}

int Session::on_kernel_error(sockaddr_nl*, nlmsgerr* err, void* self) {
  static_cast<Session*>(self)->kernel_errno_ = -err->error;
  return NL_STOP;  // libnl then returns its code for the errno: the call fails
}

Error Session::error(int nl_code) const {
  if (kernel_errno_ > 0) return sys_error(kernel_errno_);
  return Error(Code::kInternal, fmt::format("netlink: {}", nl_geterror(nl_code)));
}

Result<Cache> Session::link_cache() {
  nl_cache* cache = nullptr;
  KATA_TRY(call([&](nl_sock* s) { return rtnl_link_alloc_cache(s, AF_UNSPEC, &cache); }));
  return Cache(cache);
}

Result<Cache> Session::addr_cache() {
  nl_cache* cache = nullptr;
  KATA_TRY(call([&](nl_sock* s) { return rtnl_addr_alloc_cache(s, &cache); }));
  return Cache(cache);
}

Result<Cache> Session::route_cache() {
  nl_cache* cache = nullptr;
  KATA_TRY(call([&](nl_sock* s) { return rtnl_route_alloc_cache(s, AF_UNSPEC, 0, &cache); }));
  return Cache(cache);
}

}  // namespace kata::agent::network::nl
