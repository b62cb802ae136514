#include "agent/container/devices.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "agent/container/in_root.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

const std::vector<Device>& default_devices() {
  static const std::vector<Device> devices = {
      {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
      {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
      {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
  };
  return devices;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {"/", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Result<void> make_node(int root_fd, const Device& d) {
  auto [parent, name] = split_parent(d.path);
  if (name.empty() || name == "." || name == "..") {
    return Error(Code::kInvalidArgument, fmt_path("bad device path", d.path));
  }
  KATA_ASSIGN_OR_RETURN(UniqueFd dir, open_in_root(root_fd, parent, true));
  // An O_PATH fd serves as dirfd for *at calls but not for mknodat: reopen.
  UniqueFd real(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!real) return Error::from_errno(errno, fmt_path("open", parent));
  mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  (void)::unlinkat(real.get(), name.c_str(), 0);
  dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (::mknodat(real.get(), name.c_str(), type | (d.file_mode & 07777), dev) != 0) {
    return Error::from_errno(errno, fmt_path("mknod", d.path));
  }
  if (::fchownat(real.get(), name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error::from_errno(errno, fmt_path("chown", d.path));
  }
  return {};
}

}  // namespace

Result<void> populate_dev(int root_fd, const std::vector<Device>& extra) {
  for (const Device& d : default_devices()) KATA_TRY(make_node(root_fd, d));
  for (const Device& d : extra) KATA_TRY(make_node(root_fd, d));
  KATA_ASSIGN_OR_RETURN(UniqueFd dev_path, open_in_root(root_fd, "/dev", true));
  UniqueFd dev(::openat(dev_path.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dev) return Error::from_errno(errno, "open `/dev`");
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
  };
  for (auto [target, name] : links) {
    if (std::string(name) == "ptmx") (void)::unlinkat(dev.get(), name, 0);
    if (::symlinkat(target, dev.get(), name) != 0 && errno != EEXIST) {
      return Error::from_errno(errno, fmt_path("symlink", std::string("/dev/") + name));
    }
  }
  for (const char* dir : {"pts", "shm"}) {
    if (::mkdirat(dev.get(), dir, 0755) != 0 && errno != EEXIST) {
      return Error::from_errno(errno, fmt_path("mkdir", std::string("/dev/") + dir));
    }
  }
  return {};
}

}  // namespace kata::agent::container
