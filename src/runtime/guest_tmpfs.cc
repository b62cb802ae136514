#include "runtime/guest_tmpfs.h"

#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <filesystem>

namespace kata::runtime {
namespace {

// The kubelet's emptyDir volumes:
// /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>.
constexpr std::string_view kEmptyDirPlugin = "/kubernetes.io~empty-dir/";

bool binds(const grpc::Mount& m) {
  if (m.type() == "bind" || m.type() == "rbind") return true;
  for (const std::string& o : m.options())
    if (o == "bind" || o == "rbind") return true;
  return false;
}

}  // namespace

std::optional<grpc::Storage> guest_tmpfs_for(grpc::Mount& mount) {
  if (!binds(mount)) return std::nullopt;
  std::string guest;
  size_t plugin = mount.source().find(kEmptyDirPlugin);
  if (mount.destination() == "/dev/shm") {
    guest = kGuestSandboxShm;
  } else if (plugin != std::string::npos) {
    std::string name = mount.source().substr(plugin + kEmptyDirPlugin.size());
    // One path component, as the kubelet names volumes; anything else stays a plain share.
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      return std::nullopt;
    guest = kGuestEphemeralDir + name;
  } else {
    return std::nullopt;
  }
  struct statfs fs {};
  struct stat st {};
  if (::statfs(mount.source().c_str(), &fs) != 0 || fs.f_type != TMPFS_MAGIC ||
      ::stat(mount.source().c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return std::nullopt;
  grpc::Storage storage;
  storage.set_driver("ephemeral");
  storage.set_source("tmpfs");
  storage.set_fstype("tmpfs");
  storage.add_options(fmt::format("size={}", static_cast<uint64_t>(fs.f_blocks) * fs.f_bsize));
  storage.add_options(fmt::format("mode={:o}", st.st_mode & 07777));
  storage.set_mount_point(guest);
  storage.set_shared(true);
  mount.set_source(guest);
  return storage;
}

}  // namespace kata::runtime
