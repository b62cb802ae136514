#include "agent/container/container_os.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/container/device_filter.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {

Result<void> RealContainerOs::make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) return Error::from_errno(errno, fmt_path("mkdir", path));
  return {};
}

Result<void> RealContainerOs::remove_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
    return Error::from_errno(errno, fmt_path("rmdir", path));
  return {};
}

Result<void> RealContainerOs::write_file(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  if (::write(fd.get(), value.data(), value.size()) < 0) {
    return Error::from_errno(errno, "write " + std::string(value) + " to `" + path + "`");
  }
  return {};
}

Result<std::string> RealContainerOs::read_file(const std::string& path) {
  return fs::read_file(path);
}

bool RealContainerOs::exists(const std::string& path) { return fs::exists(path); }

Result<void> RealContainerOs::attach_device_filter(const std::string& cgroup_dir,
                                                   const std::vector<bpf_insn>& program) {
  return container::attach_device_filter(cgroup_dir, program);
}

Result<Launched> RealContainerOs::launch_init(Reaper& reaper, int clone_flags,
                                              const ChildStdio& stdio, const InitConfig& config,
                                              Reaper::ExitCallback on_exit) {
  return container::launch_init(reaper, clone_flags, stdio, config, std::move(on_exit));
}

ContainerOs& real_container_os() {
  static RealContainerOs os;
  return os;
}

}  // namespace kata::agent::container
