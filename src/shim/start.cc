// `containerd-shim-kata-v2 start`: prints the ttRPC address containerd must
// dial, leaving a daemon behind that serves it (unless a pod's sandbox shim
// already does).

#include <cstdio>
#include <vector>

#include "common/fs.h"
#include "common/log.h"
#include "runtime/service/bundle_info.h"
#include "shim/address.h"
#include "shim/bundle.h"
#include "shim/task_server.h"
#include "shim/verbs.h"
#include "sys/unix_socket.h"

namespace kata::shim {
namespace {

std::vector<std::string> daemon_args(const ShimFlags& flags) {
  std::vector<std::string> args = {"containerd-shim-kata-v2",
                                   "-namespace",
                                   flags.namespace_,
                                   "-address",
                                   flags.address,
                                   "-publish-binary",
                                   flags.publish_binary,
                                   "-id",
                                   flags.id};
  if (flags.debug) args.push_back("-debug");
  return args;
}

Result<std::string> listen_and_spawn(const ShimFlags& flags, const std::string& bundle) {
  std::string address = socket_address(flags.address, flags.namespace_, flags.id);
  KATA_ASSIGN_OR_RETURN(std::string path, socket_path(address));
  std::string dir = path.substr(0, path.rfind('/'));
  // /run/containerd may not exist yet: containerd's state dir can be elsewhere.
  KATA_TRY(fs::mkdir_all(dir, 0711));
  // listen_unix replaces a stale socket; EADDRINUSE means a live shim answers there.
  Result<UniqueFd> listener = sys::listen_unix(path);
  if (!listener && listener.error().sys_errno() == EADDRINUSE) return address;
  if (!listener) return std::move(listener).error().context("listen on `" + path + "`");
  Result<pid_t> pid = spawn_daemon(daemon_args(flags), bundle, listener->get());
  if (!pid) {
    ::unlink(path.c_str());
    return std::move(pid).error();
  }
  KATA_TRY(write_bundle_file(bundle, "shim.pid", std::to_string(*pid)));
  return address;
}

Result<std::string> start(const ShimFlags& flags) {
  KATA_ASSIGN_OR_RETURN(std::string bundle, bundle_dir(flags));
  KATA_ASSIGN_OR_RETURN(runtime::service::BundleInfo info,
                        runtime::service::read_bundle_info(bundle));
  std::string address;
  if (info.kind == runtime::service::ContainerKind::kPodContainer) {
    // The pod's sandbox shim serves this container too.
    address = socket_address(flags.address, flags.namespace_, info.sandbox_id);
  } else {
    KATA_ASSIGN_OR_RETURN(address, listen_and_spawn(flags, bundle));
  }
  KATA_TRY(write_bundle_file(bundle, "address", address));
  return address;
}

}  // namespace

int run_start(const ShimFlags& flags) {
  Result<std::string> address = start(flags);
  if (!address) {
    std::fprintf(stderr, "containerd-shim-kata-v2 start %s: %s\n", flags.id.c_str(),
                 address.error().message().c_str());
    return 1;
  }
  std::fputs(address->c_str(), stdout);
  return 0;
}

}  // namespace kata::shim
