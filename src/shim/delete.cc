// `containerd-shim-kata-v2 delete`: containerd lost the daemon (crash, kill)
// and asks us to clean up what it left, then reads a DeleteResponse on stdout.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "common/id.h"
#include "common/log.h"
#include "containerd/shim.pb.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_state.h"
#include "runtime/service/bundle_info.h"
#include "shim/address.h"
#include "shim/bundle.h"
#include "shim/convert.h"
#include "shim/verbs.h"
#include "sys/process_identity.h"
#include "sys/unix_socket.h"

namespace kata::shim {
namespace {

// containerd reports a task whose shim is gone as killed: 128 + SIGKILL.
constexpr uint32_t kKilledExitStatus = 137;

void unmount_rootfs(const std::string& bundle) {
  std::string rootfs = bundle + "/rootfs";
  if (::umount2(rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    log::warn("unmount `{}`: {}", rootfs, std::strerror(errno));
  }
}

// The socket of the daemon that served this bundle (a pod container's is its sandbox's).
std::optional<std::string> daemon_socket(const std::string& bundle) {
  std::ifstream in(bundle + "/address");
  std::string address;
  if (!std::getline(in, address)) return std::nullopt;
  Result<std::string> path = socket_path(address);
  if (!path) return std::nullopt;
  return *path;
}

// Whether the daemon that served the bundle still runs. A sandbox's is the service its
// state.json names, by pid and start time: not its socket, which a killed daemon's
// zombie or a child it forked and that has not exec'd yet can hold open a moment longer.
// A pod container has no sandbox of its own: whether anything accepts on its socket.
bool daemon_alive(const std::string& id, const std::optional<std::string>& socket) {
  Result<runtime::SandboxState> state =
      runtime::read_sandbox_state(std::string(runtime::kDefaultRunRoot) + "/" + id);
  if (state) return sys::still_running(state->service);
  return socket && sys::connect_unix(*socket);
}

void cleanup(const ShimFlags& flags, const std::string& bundle) {
  std::optional<std::string> socket = daemon_socket(bundle);
  // containerd runs `delete` whenever its connection to a shim closes: also after a
  // Shutdown that the daemon declined because other containers of the pod remain (CRI
  // deletes an exited pause container's task while the app containers run). A daemon
  // that still runs owns its sandbox: nothing of it is ours to end.
  if (daemon_alive(flags.id, socket)) {
    log::info("delete {}: its daemon still runs; nothing to clean up", flags.id);
    unmount_rootfs(bundle);
    return;
  }
  Result<runtime::service::BundleInfo> info = runtime::service::read_bundle_info(bundle);
  // A pod container's VM belongs to the sandbox shim, which is still alive or
  // will be cleaned up with the sandbox's own delete.
  if (!info || info->kind != runtime::service::ContainerKind::kPodContainer) {
    runtime::SandboxOptions options;
    options.id = flags.id;
    Result<void> cleaned = runtime::cleanup_sandbox(options);
    if (!cleaned) log::warn("clean up sandbox {}: {}", flags.id, cleaned.error().message());
  }
  unmount_rootfs(bundle);
  // A daemon that was killed could not remove its socket.
  if (socket && ::unlink(socket->c_str()) != 0 && errno != ENOENT) {
    log::warn("remove `{}`: {}", *socket, std::strerror(errno));
  }
}

}  // namespace

int run_delete(const ShimFlags& flags) {
  // The id names directories to remove: a hostile one must touch nothing.
  if (Result<void> valid = validate_id(flags.id); !valid) {
    log::error("delete: {}", valid.error().message());
    return 1;
  }
  Result<std::string> bundle = bundle_dir(flags);
  if (!bundle) {
    log::error("delete {}: {}", flags.id, bundle.error().message());
    return 1;
  }
  cleanup(flags, *bundle);
  containerd::task::v2::DeleteResponse resp;
  resp.set_pid(0);
  resp.set_exit_status(kKilledExitStatus);
  *resp.mutable_exited_at() = to_timestamp(std::chrono::system_clock::now());
  std::string out = resp.SerializeAsString();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace kata::shim
