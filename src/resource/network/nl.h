#pragma once

// Internal to kata_network: owners for libnl objects and its errors as kata::Error. No
// public header includes this, so libnl stays an implementation detail of the library.

#include <netlink/netlink.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>

#include <memory>
#include <string_view>

#include "common/result.h"
#include "sys/libnl_owners.h"

namespace kata::resource::network::nl {

using sys::libnl::Cache;
using sys::libnl::Link;
using sys::libnl::Owner;
using sys::libnl::Sock;
using Qdisc = Owner<rtnl_qdisc, rtnl_qdisc_put>;
using Cls = Owner<rtnl_cls, rtnl_cls_put>;
using Act = Owner<rtnl_act, rtnl_act_put>;

// libnl returns its own negative NLE_* codes; this maps the common ones back to the errno
// the kernel sent, so that callers can tell "exists" or "no such device" by code.
int errno_of(int nl_error);
Error error(int nl_error, std::string_view what);

// A NETLINK_ROUTE socket in the calling thread's network namespace (fixed at creation).
Result<Sock> connect_route();

// The link with `ifindex`, read from the kernel now (not from a cache).
Result<Link> get_link(nl_sock* sock, int ifindex);
Result<Link> get_link(nl_sock* sock, const char* name);

}  // namespace kata::resource::network::nl
