#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/guest_os.h"
#include "common/result.h"

namespace kata::agent {

struct KernelModuleSpec {
  std::string name;
  std::vector<std::string> parameters;  // "key=value"
};

// What CreateSandbox asks for, in our terms (rpc/convert does the mapping).
struct SandboxSpec {
  std::string id;
  std::string hostname;
  std::vector<std::string> dns;  // resolv.conf lines ("nameserver 10.0.0.1")
  std::vector<KernelModuleSpec> kernel_modules;
  // Sandbox storages are not handled yet; counted only to warn about them.
  int storage_count = 0;
};

struct GuestDetails {
  uint64_t mem_block_size_bytes = 0;
  bool mem_hotplug_probe = false;
  std::string kernel_release;  // uname -r
};

// "0x8000000" or "8000000" (sysfs writes hex without the prefix) -> 134217728.
Result<uint64_t> parse_hex_u64(std::string_view text);

// The one sandbox a guest hosts: its identity and the guest-wide settings.
// Thread-safe: RPC handlers run on worker threads.
class Sandbox {
 public:
  explicit Sandbox(GuestOs& os) : os_(os) {}

  // ALREADY_EXISTS when a sandbox was created before: one per VM.
  Result<void> create(const SandboxSpec& spec);
  // Powers the VM off shortly after returning, so the reply still goes out.
  Result<void> destroy();
  Result<void> set_time(int64_t sec, int64_t usec);
  Result<GuestDetails> guest_details(bool want_mem_block_size, bool want_hotplug_probe);

  std::optional<std::string> id() const;

 private:
  GuestOs& os_;
  mutable std::mutex mu_;
  std::optional<std::string> id_;  // guarded by mu_
};

}  // namespace kata::agent
