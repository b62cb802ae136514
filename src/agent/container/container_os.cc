#include "agent/container/container_os.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "agent/container/device_filter.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

constexpr std::pair<const char*, int> kSharedKinds[] = {{"ipc", CLONE_NEWIPC},
                                                        {"uts", CLONE_NEWUTS}};

// Runs on a thread of its own, which ends right after: unshare() of these two
// namespaces changes only the calling thread, and the mounts keep them.
Result<void> bind_new_namespaces(const std::string& dir, const std::string& hostname) {
  if (::unshare(CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
    return Error::from_errno(errno, "unshare ipc and uts namespaces");
  }
  if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0) {
    return Error::from_errno(errno, "sethostname " + hostname);
  }
  std::string own = "/proc/self/task/" + std::to_string(::gettid()) + "/ns/";
  for (auto [name, _] : kSharedKinds) {
    std::string target = dir + "/" + name;
    UniqueFd file(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444));
    if (!file) return Error::from_errno(errno, fmt_path("create", target));
    if (::mount((own + name).c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Error::from_errno(errno,
                               fmt_path(std::string("bind ") + name + " namespace onto", target));
    }
  }
  return {};
}

}  // namespace

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

Result<Launched> RealContainerOs::launch_init(Reaper& reaper, const ChildNamespaces& namespaces,
                                              const ChildStdio& stdio, const InitConfig& config,
                                              Reaper::ExitCallback on_exit) {
  return container::launch_init(reaper, namespaces, stdio, config, std::move(on_exit));
}

Result<std::map<std::string, std::string>> RealContainerOs::make_shared_namespaces(
    const std::string& dir, const std::string& hostname) {
  KATA_TRY(fs::mkdir_all(dir, 0700));
  Result<void> made = Error(Code::kInternal, "make shared namespaces: no thread ran");
  try {
    std::thread maker([&] { made = bind_new_namespaces(dir, hostname); });
    maker.join();
  } catch (const std::system_error& e) {
    made = Error::from_errno(e.code().value(), "start a thread to make shared namespaces");
  }
  if (!made) {
    (void)remove_shared_namespaces(dir);
    return std::move(made).error();
  }
  std::map<std::string, std::string> files;
  for (auto [name, _] : kSharedKinds) files[name] = dir + "/" + name;
  return files;
}

Result<void> RealContainerOs::remove_shared_namespaces(const std::string& dir) {
  for (auto [name, _] : kSharedKinds) {
    std::string file = dir + "/" + name;
    // EINVAL: not a mount point (a failed make left the file alone).
    if (::umount2(file.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return Error::from_errno(errno, fmt_path("unmount", file));
    }
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      return Error::from_errno(errno, fmt_path("remove", file));
    }
  }
  return remove_dir(dir);
}

Result<UniqueFd> RealContainerOs::open_pid_namespace(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  return fd;
}

ContainerOs& real_container_os() {
  static RealContainerOs os;
  return os;
}

}  // namespace kata::agent::container
