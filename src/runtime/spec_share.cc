#include "runtime/spec_share.h"

#include <sys/stat.h>

#include <vector>

#include "common/fs.h"
#include "common/log.h"
#include "oci/oci.h"
#include "resource/rootfs.h"
#include "resource/shared_dir.h"
#include "runtime/guest_tmpfs.h"

namespace kata::runtime {
namespace {

bool is_bind(const grpc::Mount& m) {
  if (m.type() == "bind" || m.type() == "rbind") return true;
  for (const std::string& o : m.options()) {
    if (o == "bind" || o == "rbind") return true;
  }
  return false;
}

// The spec's root.path is relative to the bundle unless absolute.
std::string bundle_rootfs(const grpc::Spec& spec, const std::string& bundle) {
  const std::string& path = spec.root().path();
  return !path.empty() && path[0] == '/' ? path : bundle + "/" + path;
}

std::vector<resource::MountSpec> rootfs_mounts(const grpc::Spec& spec,
                                               const ContainerConfig& config) {
  std::vector<resource::MountSpec> mounts = config.rootfs;
  // No mounts from containerd: the bundle holds the rootfs directory itself.
  if (mounts.empty()) mounts.push_back({"bind", bundle_rootfs(spec, config.bundle), {"rbind"}});
  return mounts;
}

bool has_option(const grpc::Mount& m, const std::string& option) {
  for (const std::string& o : m.options()) {
    if (o == option) return true;
  }
  return false;
}

// Shares the host directory or file behind a bind mount at <dir>/mounts/<n> and points
// the mount at the guest's view of it. Read-only in the share too when the spec says
// so: the guest's own read-only bind is not all that stands between it and the host.
Result<void> share_bind_source(grpc::Mount& m, const std::string& container_dir,
                               const std::string& guest_dir, int n) {
  const std::string what = "share bind mount source `" + m.source() + "`";
  struct stat st {};
  if (::stat(m.source().c_str(), &st) != 0) return Error::from_errno(errno, what);
  bool read_only = has_option(m, "ro");
  std::string name = "mounts/" + std::to_string(n);
  std::string target = container_dir + "/" + name;
  if (S_ISDIR(st.st_mode)) {
    std::vector<std::string> options = {"rbind"};
    if (read_only) options.push_back("ro");
    KATA_TRY(resource::mount_rootfs({{"bind", m.source(), options}}, target).context(what));
  } else {
    KATA_TRY(resource::bind_file(m.source(), target, read_only).context(what));
  }
  m.set_source(guest_dir + "/" + name);
  return {};
}

Result<SharedSpec> share_all(grpc::Spec spec, const ContainerConfig& config,
                             const std::string& container_dir) {
  const std::string guest_dir = std::string(resource::kGuestSharedDir) + config.id;
  KATA_TRY(resource::mount_rootfs(rootfs_mounts(spec, config), container_dir + "/rootfs"));
  std::vector<grpc::Storage> storages;
  int n = 0;
  for (grpc::Mount& m : *spec.mutable_mounts()) {
    if (std::optional<grpc::Storage> tmpfs = guest_tmpfs_for(m)) {
      storages.push_back(std::move(*tmpfs));
    } else if (is_bind(m)) {
      KATA_TRY(share_bind_source(m, container_dir, guest_dir, n++));
    }
  }
  oci::adapt_for_guest(spec, guest_dir + "/rootfs");
  return SharedSpec{std::move(spec), std::move(storages)};
}

}  // namespace

Result<SharedSpec> share_container(grpc::Spec spec, const ContainerConfig& config,
                                   const std::string& shared_dir) {
  const std::string container_dir = shared_dir + "/" + config.id;
  Result<SharedSpec> shared = share_all(std::move(spec), config, container_dir);
  if (shared) return shared;
  Result<void> undone = resource::unmount_tree(container_dir);
  if (undone) {
    (void)fs::remove_all(container_dir);
  } else {
    log::warn("undo sharing of container {}: {}", config.id, undone.error().message());
  }
  return std::move(shared).error().context("share container files");
}

}  // namespace kata::runtime
