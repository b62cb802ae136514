#include "resource/network/nl.h"

#include <fmt/format.h>
#include <netlink/errno.h>

#include <cerrno>

namespace kata::resource::network::nl {

int errno_of(int nl_error) {
  switch (nl_error < 0 ? -nl_error : nl_error) {
    case NLE_EXIST:
      return EEXIST;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_NODEV:
      return ENODEV;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_BUSY:
      return EBUSY;
    case NLE_INVAL:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_PROTO_MISMATCH:
      return EPROTONOSUPPORT;
    default:
      return EIO;
  }
}

Error error(int nl_error, std::string_view what) {
  int err = errno_of(nl_error);
  return Error(code_from_errno(err), fmt::format("{}: {}", what, nl_geterror(nl_error)), err);
}

Result<Sock> connect_route() {
  Sock sock(nl_socket_alloc());
  if (!sock) return Error(Code::kResourceExhausted, "allocate netlink socket");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return error(err, "connect rtnetlink socket");
  }
  return sock;
}

Result<Link> get_link(nl_sock* sock, int ifindex) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(sock, ifindex, nullptr, &link); err < 0) {
    return error(err, fmt::format("get link {}", ifindex));
  }
  return Link(link);
}

Result<Link> get_link(nl_sock* sock, const char* name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(sock, 0, name, &link); err < 0) {
    return error(err, fmt::format("get link `{}`", name));
  }
  return Link(link);
}

}  // namespace kata::resource::network::nl
