#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::agent {

// The system calls behind the sandbox-level RPCs, behind an interface so the
// RPC logic is tested without root or a VM (testing/fake_guest_os.h).
class GuestOs {
 public:
  virtual ~GuestOs() = default;

  virtual Result<void> set_hostname(const std::string& name) = 0;
  virtual Result<void> write_file(const std::string& path, std::string_view content) = 0;
  virtual Result<std::string> read_file(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  virtual Result<void> set_time(int64_t sec, int64_t usec) = 0;
  // `params` is the module's parameter string ("a=1 b=2").
  virtual Result<void> load_module(const std::string& name, const std::string& params) = 0;
  // Returns at once; the VM goes down after `delay`.
  virtual void power_off_after(std::chrono::milliseconds delay) = 0;
  // For storages: mkdir -p, mount(2), and umount (detaching a busy mount).
  virtual Result<void> mkdir_all(const std::string& path, int mode) = 0;
  virtual Result<void> mount(const std::string& source, const std::string& target,
                             const std::string& fstype, unsigned long flags,
                             const std::string& data) = 0;
  virtual Result<void> unmount(const std::string& target) = 0;
};

class RealGuestOs final : public GuestOs {
 public:
  Result<void> set_hostname(const std::string& name) override;
  Result<void> write_file(const std::string& path, std::string_view content) override;
  Result<std::string> read_file(const std::string& path) override;
  bool exists(const std::string& path) override;
  Result<void> set_time(int64_t sec, int64_t usec) override;
  Result<void> load_module(const std::string& name, const std::string& params) override;
  void power_off_after(std::chrono::milliseconds delay) override;
  Result<void> mkdir_all(const std::string& path, int mode) override;
  Result<void> mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override;
  Result<void> unmount(const std::string& target) override;
};

}  // namespace kata::agent
