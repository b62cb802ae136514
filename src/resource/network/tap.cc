#include "resource/network/tap.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "resource/network/link.h"
#include "resource/network/nl.h"

namespace kata::resource::network {
namespace {

// Runs inside the namespace: a tun device is created in the namespace of the thread that
// opened /dev/net/tun, and the rtnetlink socket must be there too.
Result<Tap> make_tap_here(const std::string& name, uint32_t mtu) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "open `/dev/net/tun`");
  Tap tap{UniqueFd(fd), 0, name};

  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  // IFF_TUN_EXCL: fail on an existing device rather than attach to it.
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL;
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    // With IFF_TUN_EXCL the kernel says EBUSY for any existing device of that name.
    if (errno == EBUSY) return Error(Code::kAlreadyExists, "a device of that name exists", EBUSY);
    return Error::from_errno(errno, "TUNSETIFF");
  }

  KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
  KATA_ASSIGN_OR_RETURN(nl::Link link, nl::get_link(sock.get(), name.c_str()));
  tap.ifindex = rtnl_link_get_ifindex(link.get());
  nl::Link change(rtnl_link_alloc());
  if (!change) return Error(Code::kResourceExhausted, "allocate link");
  rtnl_link_set_mtu(change.get(), mtu);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock.get(), link.get(), change.get(), 0); err < 0) {
    return nl::error(err, fmt::format("set mtu {} and up", mtu));
  }
  return tap;
}

}  // namespace

Result<Tap> make_tap(const NetNs& ns, const std::string& name, uint32_t mtu) {
  std::string what = fmt::format("create tap `{}`", name);
  KATA_TRY(validate_ifname(name).context(what));
  // On failure the Tap (and its fd) is dropped inside, which removes the device again.
  return ns.run_in([&] { return make_tap_here(name, mtu); }).context(what);
}

}  // namespace kata::resource::network
