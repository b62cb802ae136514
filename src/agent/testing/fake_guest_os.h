#pragma once

#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/guest_os.h"

namespace kata::agent::testing {

// In-memory GuestOs: records what the agent asked of the system.
class FakeGuestOs final : public GuestOs {
 public:
  // Knobs.
  bool fail_set_hostname = false;
  std::map<std::string, std::string> files;  // also what read_file/exists see

  // Observations.
  std::optional<std::string> hostname;
  std::optional<std::pair<int64_t, int64_t>> time;
  std::vector<std::pair<std::string, std::string>> loaded_modules;
  int power_off_calls = 0;
  struct Mount {
    std::string source, target, fstype;
    unsigned long flags;
    std::string data;
  };
  std::vector<Mount> mounts;  // currently mounted, in order
  std::vector<std::string> unmounted;
  std::vector<std::pair<std::string, int>> made_dirs;
  // Knob: mount() fails for this target with EINVAL, as the kernel does for a wrong tag.
  std::string fail_mount_target;

  Result<void> set_hostname(const std::string& name) override {
    if (fail_set_hostname) return Error(Code::kPermissionDenied, "sethostname: fake failure");
    hostname = name;
    return {};
  }
  Result<void> write_file(const std::string& path, std::string_view content) override {
    files[path] = std::string(content);
    return {};
  }
  Result<std::string> read_file(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return Error(Code::kNotFound, "open `" + path + "`: fake: no such file");
    return it->second;
  }
  bool exists(const std::string& path) override { return files.count(path) > 0; }
  Result<void> set_time(int64_t sec, int64_t usec) override {
    time = {sec, usec};
    return {};
  }
  Result<void> load_module(const std::string& name, const std::string& params) override {
    loaded_modules.emplace_back(name, params);
    return {};
  }
  void power_off_after(std::chrono::milliseconds) override { ++power_off_calls; }
  Result<void> mkdir_all(const std::string& path, int mode) override {
    made_dirs.emplace_back(path, mode);
    return {};
  }
  Result<void> mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override {
    if (target == fail_mount_target) {
      return Error(Code::kInvalidArgument, "mount `" + target + "`: fake: Invalid argument", 22);
    }
    mounts.push_back({source, target, fstype, flags, data});
    return {};
  }
  Result<void> unmount(const std::string& target) override {
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
      if (it->target != target) continue;
      mounts.erase(std::next(it).base());
      unmounted.push_back(target);
      return {};
    }
    return Error(Code::kInvalidArgument, "unmount `" + target + "`: fake: not mounted");
  }
};

}  // namespace kata::agent::testing
