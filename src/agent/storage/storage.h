#pragma once

// Guest storages (CreateSandbox / CreateContainer `Storage`): a registry of handlers
// keyed by driver name, as upstream Kata's agent has.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/guest_os.h"
#include "common/result.h"

namespace kata::agent {

// grpc.Storage in our terms (rpc/convert does the mapping).
struct StorageSpec {
  std::string driver = {};  // "virtio-fs", "ephemeral", "local"
  std::vector<std::string> driver_options = {};
  std::string source = {};  // fs tag, device, ...
  std::string fstype = {};
  std::vector<std::string> options = {};  // mount options, one per element
  std::string mount_point = {};           // absolute guest path
};

// What a handler did, so that it can be undone when a later storage fails.
struct StorageResult {
  std::string mount_point;  // clean form of the spec's mount point
  bool mounted = false;     // false: only a directory was made
};

using StorageHandler = std::function<Result<StorageResult>(const StorageSpec&, GuestOs&)>;

class StorageRegistry {
 public:
  // virtio-fs, ephemeral and local.
  static const StorageRegistry& builtin();

  void add(std::string driver, StorageHandler handler);
  const StorageHandler* find(const std::string& driver) const;
  // For GetGuestDetails' storage_handlers.
  std::vector<std::string> drivers() const;

 private:
  std::map<std::string, StorageHandler> handlers_;
};

// Sets up `specs` in order. On a failure (unknown driver, bad spec, failed mount)
// everything this call mounted is unmounted again, newest first, and the error names
// the storage. Returns the mount points it mounted.
Result<std::vector<std::string>> add_storages(const std::vector<StorageSpec>& specs,
                                              const StorageRegistry& registry, GuestOs& os);

}  // namespace kata::agent
