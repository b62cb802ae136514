#include "agent/storage/handlers.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>

#include "sys/mount_options.h"

namespace kata::agent {
namespace {

// virtio-fs tags are at most 36 bytes (the device's config space field).
constexpr size_t kMaxVirtioFsTag = 36;

// Upstream sends the shared dir with a trailing '/': accept it, mount the clean form.
Result<std::string> clean_mount_point(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  KATA_TRY(sys::validate_clean_path(p, "mount point"));
  if (p == "/") return Error(Code::kInvalidArgument, "mount point `/`: not allowed");
  return p;
}

Result<StorageResult> mount_storage(const StorageSpec& spec, GuestOs& os,
                                    const std::string& fstype) {
  KATA_ASSIGN_OR_RETURN(std::string point, clean_mount_point(spec.mount_point));
  KATA_ASSIGN_OR_RETURN(sys::MountOptions options, sys::parse_mount_options(spec.options));
  if (options.flags & (MS_BIND | MS_REC)) {
    return Error(Code::kInvalidArgument, "bind options are not allowed for " + fstype);
  }
  KATA_TRY(os.mkdir_all(point, 0755));
  KATA_TRY(os.mount(spec.source, point, fstype, options.flags, options.data_string()));
  return StorageResult{point, true};
}

}  // namespace

Result<StorageResult> add_virtio_fs_storage(const StorageSpec& spec, GuestOs& os) {
  if (spec.source.empty() || spec.source.size() > kMaxVirtioFsTag ||
      spec.source.find('\0') != std::string::npos) {
    return Error(Code::kInvalidArgument,
                 "virtio-fs tag `" + spec.source + "`: must be 1 to 36 bytes");
  }
  if (!spec.fstype.empty() && spec.fstype != "virtiofs") {
    return Error(Code::kInvalidArgument, "fstype `" + spec.fstype + "`: expected virtiofs");
  }
  KATA_TRY(os.load_module("virtiofs", "").context("load module virtiofs"));
  Result<StorageResult> mounted = mount_storage(spec, os, "virtiofs");
  // The kernel says only EINVAL when no device has the tag: the usual mistake.
  if (!mounted && mounted.error().sys_errno() == EINVAL) {
    const Error& e = mounted.error();
    return Error(e.code(), e.message() + " (no virtio-fs device with tag `" + spec.source + "`?)",
                 e.sys_errno());
  }
  return mounted;
}

Result<StorageResult> add_ephemeral_storage(const StorageSpec& spec, GuestOs& os) {
  if (!spec.fstype.empty() && spec.fstype != "tmpfs") {
    return Error(Code::kInvalidArgument, "fstype `" + spec.fstype + "`: expected tmpfs");
  }
  StorageSpec tmpfs = spec;
  tmpfs.source = "tmpfs";
  return mount_storage(tmpfs, os, "tmpfs");
}

Result<StorageResult> add_local_storage(const StorageSpec& spec, GuestOs& os) {
  KATA_ASSIGN_OR_RETURN(std::string point, clean_mount_point(spec.mount_point));
  int mode = 0777;
  for (const std::string& o : spec.options) {
    if (!o.starts_with("mode=")) continue;
    char* end = nullptr;
    long m = std::strtol(o.c_str() + 5, &end, 8);
    if (end == o.c_str() + 5 || *end != '\0' || m < 0 || m > 07777) {
      return Error(Code::kInvalidArgument, "option `" + o + "`: not an octal mode");
    }
    mode = static_cast<int>(m);
  }
  KATA_TRY(os.mkdir_all(point, mode));
  return StorageResult{point, false};
}

}  // namespace kata::agent
