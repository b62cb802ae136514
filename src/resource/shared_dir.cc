#include "resource/shared_dir.h"

#include <sys/mount.h>

#include <cerrno>

#include "common/fs.h"
#include "common/strings.h"
#include "resource/rootfs.h"

namespace kata::resource {

std::string sandbox_shared_dir(std::string_view sandbox_id, std::string_view root) {
  std::string out(root);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out + "/" + std::string(sandbox_id);
}

std::string container_rootfs_dir(std::string_view shared_dir, std::string_view container_id) {
  return std::string(shared_dir) + "/" + std::string(container_id) + "/rootfs";
}

Result<void> prepare_shared_dir(const std::string& dir) {
  const std::string what = fmt_path("prepare shared dir", dir);
  KATA_TRY(validate_clean_path(dir, "shared dir").context(what));
  KATA_TRY(fs::mkdir_all(dir, 0700).context(what));
  KATA_ASSIGN_OR_RETURN(auto mounts, list_mounts_under(dir).context(what));
  for (const sys::MountEntry& m : mounts) {
    if (m.mount_point == dir) return Error(Code::kAlreadyExists, what + ": a mount point already");
  }
  // nosuid,nodev,noexec before virtiofsd copies it into its namespace (kShareMountAttrs).
  KATA_TRY(bind_with_attrs(dir, dir, /*recursive=*/false, kShareMountAttrs).context(what));
  if (::mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    Error err = Error::from_errno(errno, what + ": make shared");
    (void)::umount2(dir.c_str(), MNT_DETACH);
    return err;
  }
  return {};
}

Result<void> release_shared_dir(const std::string& dir, bool remove) {
  const std::string what = fmt_path("release shared dir", dir);
  KATA_TRY(validate_clean_path(dir, "shared dir").context(what));
  if (!fs::exists(dir)) return {};
  KATA_TRY(unmount_tree(dir).context(what));
  if (!remove) return {};
  KATA_ASSIGN_OR_RETURN(auto left, list_mounts_under(dir).context(what));
  if (!left.empty()) {
    return Error(Code::kInternal, what + ": `" + left.front().mount_point + "` still mounted");
  }
  return fs::remove_all(dir).context(what);
}

}  // namespace kata::resource
