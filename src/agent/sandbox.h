#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/guest_os.h"
#include "agent/storage/storage.h"
#include "common/result.h"

namespace kata::agent {

struct KernelModuleSpec {
  std::string name;
  std::vector<std::string> parameters;  // "key=value"
};

// What CreateSandbox asks for, in our terms (rpc/convert does the mapping).
struct SandboxSpec {
  std::string id = {};
  std::string hostname = {};
  std::vector<std::string> dns = {};  // resolv.conf lines ("nameserver 10.0.0.1")
  std::vector<KernelModuleSpec> kernel_modules = {};
  // Set up after everything else, through the storage registry (e.g. the virtio-fs
  // share at /run/kata-containers/shared/containers/).
  std::vector<StorageSpec> storages = {};
};

struct GuestDetails {
  uint64_t mem_block_size_bytes = 0;
  bool mem_hotplug_probe = false;
  std::string kernel_release;  // uname -r
  std::string kernel_version;  // uname -v ("#1 SMP ... Kata++ 6.1.192-3 ..." or "... Debian ...")
};

// "0x8000000" or "8000000" (sysfs writes hex without the prefix) -> 134217728.
Result<uint64_t> parse_hex_u64(std::string_view text);

// The one sandbox a guest hosts: its identity and the guest-wide settings.
// Thread-safe: RPC handlers run on worker threads.
class Sandbox {
 public:
  explicit Sandbox(GuestOs& os, const StorageRegistry& storages = StorageRegistry::builtin())
      : os_(os), storages_(storages) {}

  // ALREADY_EXISTS when a sandbox was created before: one per VM. A storage that
  // fails (unknown driver, failed mount) fails the call with nothing of the
  // storages left mounted.
  Result<void> create(const SandboxSpec& spec);
  // Powers the VM off shortly after returning, so the reply still goes out.
  Result<void> destroy();
  Result<void> set_time(int64_t sec, int64_t usec);
  Result<GuestDetails> guest_details(bool want_mem_block_size, bool want_hotplug_probe);

  std::optional<std::string> id() const;
  // Where the sandbox's storages are mounted, in order.
  std::vector<std::string> storage_mounts() const;

 private:
  GuestOs& os_;
  const StorageRegistry& storages_;
  mutable std::mutex mu_;
  std::optional<std::string> id_;            // guarded by mu_
  std::vector<std::string> storage_mounts_;  // guarded by mu_
};

}  // namespace kata::agent
