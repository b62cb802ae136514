#include "resource/network/netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <exception>
#include <system_error>
#include <thread>

namespace kata::resource::network {

std::string namespace_type_name(int clone_flag) {
  switch (clone_flag) {
    case CLONE_NEWNET:
      return "network";
    case CLONE_NEWNS:
      return "mount";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWUSER:
      return "user";
    case CLONE_NEWPID:
      return "pid";
    case CLONE_NEWCGROUP:
      return "cgroup";
#ifdef CLONE_NEWTIME
    case CLONE_NEWTIME:
      return "time";
#endif
  }
  return fmt::format("unknown (type {:#x})", clone_flag);
}

// Checks that `fd` is a network namespace: on nsfs (so not a regular file that happens to
// sit where a namespace was expected) and of type CLONE_NEWNET (so not, say, the mount
// namespace file next to it). setns() would also refuse a wrong type, but only later,
// with a bare EINVAL.
Result<NetNs> NetNs::adopt(UniqueFd fd, const std::string& path) {
  std::string what = fmt::format("open network namespace `{}`", path);
  struct statfs fs {};
  if (::fstatfs(fd.get(), &fs) != 0) return Error::from_errno(errno, what);
  if (static_cast<unsigned long>(fs.f_type) != NSFS_MAGIC) {
    return Error(Code::kInvalidArgument,
                 fmt::format("{}: not a namespace file (filesystem magic {:#x}, nsfs is {:#x})",
                             what, static_cast<unsigned long>(fs.f_type), NSFS_MAGIC));
  }
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) return Error::from_errno(errno, what + ": get namespace type");
  if (type != CLONE_NEWNET) {
    return Error(Code::kInvalidArgument, fmt::format("{}: a {} namespace, not a network namespace",
                                                     what, namespace_type_name(type)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(errno, what);
  return NetNs(std::move(fd), st.st_ino);
}

Result<NetNs> NetNs::open(const std::string& path) {
  // O_RDONLY, not O_PATH: setns() and the NS_GET_NSTYPE ioctl need a real open file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Error::from_errno(errno, fmt::format("open network namespace `{}`", path));
  return adopt(UniqueFd(fd), path);
}

Result<NetNs> NetNs::current() { return open("/proc/thread-self/ns/net"); }

Result<NetNs> NetNs::create() {
  Result<NetNs> made = Error(Code::kInternal, "create network namespace: thread did not run");
  try {
    // The thread unshares, keeps a reference by opening its own namespace file and exits;
    // the namespace then lives exactly as long as that fd.
    std::thread([&made] {
      if (::unshare(CLONE_NEWNET) != 0) {
        made = Error::from_errno(errno, "create network namespace: unshare");
        return;
      }
      made = current();
    }).join();
  } catch (const std::system_error& e) {
    return Error(Code::kResourceExhausted,
                 fmt::format("create network namespace: start thread: {}", e.what()));
  }
  return made;
}

Status NetNs::run_on_thread(const std::function<void()>& fn) const {
  Status entered;
  std::exception_ptr thrown;
  try {
    std::thread([&] {
      if (::setns(fd_.get(), CLONE_NEWNET) != 0) {
        entered = Error::from_errno(errno, "enter network namespace");
        return;
      }
      // An exception must not end the process from a thread: carry it to the caller.
      try {
        fn();
      } catch (...) {
        thrown = std::current_exception();
      }
    }).join();
  } catch (const std::system_error& e) {
    return Error(Code::kResourceExhausted,
                 fmt::format("enter network namespace: start thread: {}", e.what()));
  }
  if (thrown) std::rethrow_exception(thrown);
  return entered;
}

}  // namespace kata::resource::network
