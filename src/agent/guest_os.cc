#include "agent/guest_os.h"

#include <sys/mount.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "agent/init/module_loader.h"
#include "agent/init/modules.h"
#include "agent/init/power.h"
#include "common/fs.h"
#include "common/log.h"

namespace kata::agent {

Result<void> RealGuestOs::set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) {
    return Error::from_errno(errno, "sethostname `" + name + "`");
  }
  return {};
}

Result<void> RealGuestOs::write_file(const std::string& path, std::string_view content) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) KATA_TRY(fs::mkdir_all(path.substr(0, slash)));
  return fs::write_file_atomic(path, content);
}

Result<std::string> RealGuestOs::read_file(const std::string& path) { return fs::read_file(path); }

bool RealGuestOs::exists(const std::string& path) { return fs::exists(path); }

Result<void> RealGuestOs::set_time(int64_t sec, int64_t usec) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(sec);
  tv.tv_usec = static_cast<suseconds_t>(usec);
  if (::settimeofday(&tv, nullptr) != 0) return Error::from_errno(errno, "settimeofday");
  return {};
}

Result<void> RealGuestOs::load_module(const std::string& name, const std::string& params) {
  // A kernel without module support (kata-osbuilder's) has every driver built in.
  if (!fs::exists("/proc/modules")) {
    log::debug("module {}: the kernel loads no modules, taken as built in", name);
    return {};
  }
  KATA_ASSIGN_OR_RETURN(std::string dir, running_modules_dir());
  return load_modules(dir, {name}, {{normalize_module_name(name), params}});
}

void RealGuestOs::power_off_after(std::chrono::milliseconds delay) {
  agent::power_off_after(delay);
}

Result<void> RealGuestOs::mkdir_all(const std::string& path, int mode) {
  return fs::mkdir_all(path, mode);
}

Result<void> RealGuestOs::mount(const std::string& source, const std::string& target,
                                const std::string& fstype, unsigned long flags,
                                const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return Error::from_errno(errno, "mount " + fstype + " `" + source + "` at `" + target + "`");
  }
  return {};
}

Result<void> RealGuestOs::unmount(const std::string& target) {
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
  if (errno == EBUSY && ::umount2(target.c_str(), UMOUNT_NOFOLLOW | MNT_DETACH) == 0) return {};
  return Error::from_errno(errno, "unmount `" + target + "`");
}

}  // namespace kata::agent
