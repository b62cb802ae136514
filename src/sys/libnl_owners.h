#pragma once

// unique_ptr owners for libnl objects, shared by the host's (resource/network) and the
// guest's (agent/network) netlink code. Header-only: each of those libraries links
// libnl its own way (the agent statically).

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <memory>

namespace kata::sys::libnl {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};

template <typename T, void (*Free)(T*)>
using Owner = std::unique_ptr<T, Deleter<T, Free>>;

using Sock = Owner<nl_sock, nl_socket_free>;
using Cache = Owner<nl_cache, nl_cache_free>;
using Link = Owner<rtnl_link, rtnl_link_put>;

}  // namespace kata::sys::libnl
