#pragma once

#include <string>

#include "common/result.h"

namespace kata::shim {

// containerd's state dir: shim sockets live in <it>/s.
constexpr char kContainerdStateDir[] = "/run/containerd";

// Go's path.Clean for absolute and relative slash paths ("a//b/../c" -> "a/c").
std::string clean_path(const std::string& path);

// The ttRPC address containerd 1.6's shim.SocketAddress gives a shim:
// unix://<state_dir>/s/<hex sha256 of Clean("<address>/<namespace>/<id>")>.
std::string socket_address(const std::string& containerd_address, const std::string& ns,
                           const std::string& id,
                           const std::string& state_dir = kContainerdStateDir);

// "unix:///x/y" -> "/x/y"; a plain path stays as is. INVALID_ARGUMENT for
// another scheme.
Result<std::string> socket_path(const std::string& address);

}  // namespace kata::shim
