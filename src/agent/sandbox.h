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

// Where containers' storages may be mounted (the pod's /dev/shm, memory emptyDirs).
inline constexpr char kSandboxStorageDir[] = "/run/kata-containers/sandbox/";

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

// What the container engine keeps for the sandbox's life: the IPC and UTS
// namespaces its containers share, and which container's pid namespace
// sandbox_pidns means (agent.cc hands it container::Engine).
class SandboxScope {
 public:
  virtual ~SandboxScope() = default;
  virtual Result<void> open(const std::string& sandbox_id, const std::string& hostname) = 0;
  virtual Result<void> close() = 0;
};

// The one sandbox a guest hosts: its identity and the guest-wide settings.
// Thread-safe: RPC handlers run on worker threads.
class Sandbox {
 public:
  // `scope` (may be null: then containers share nothing) must outlive the sandbox.
  explicit Sandbox(GuestOs& os, SandboxScope* scope = nullptr,
                   const StorageRegistry& storages = StorageRegistry::builtin())
      : os_(os), scope_(scope), storages_(storages) {}

  // ALREADY_EXISTS when a sandbox was created before: one per VM. A storage that
  // fails (unknown driver, failed mount) fails the call with nothing of the
  // storages, nor of the scope, left.
  Result<void> create(const SandboxSpec& spec);
  // Closes the scope, then powers the VM off shortly after returning, so the
  // reply still goes out.
  Result<void> destroy();
  Result<void> set_time(int64_t sec, int64_t usec);
  Result<GuestDetails> guest_details(bool want_mem_block_size, bool want_hotplug_probe);

  // A container's storages (CreateContainer): guest tmpfs volumes ("ephemeral") under
  // kSandboxStorageDir, shared by the pod's containers: one already there is left as it
  // is. They last as long as the sandbox. FAILED_PRECONDITION before create().
  Result<void> add_container_storages(const std::vector<StorageSpec>& specs);

  std::optional<std::string> id() const;
  // Where the sandbox's storages are mounted, in order.
  std::vector<std::string> storage_mounts() const;

 private:
  GuestOs& os_;
  SandboxScope* const scope_;
  const StorageRegistry& storages_;
  mutable std::mutex mu_;
  std::optional<std::string> id_;            // guarded by mu_
  std::vector<std::string> storage_mounts_;  // guarded by mu_
};

}  // namespace kata::agent
