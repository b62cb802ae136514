#pragma once

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
};

}  // namespace kata::agent::testing
