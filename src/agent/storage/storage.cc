#include "agent/storage/storage.h"

#include "agent/storage/handlers.h"
#include "common/log.h"

namespace kata::agent {

const StorageRegistry& StorageRegistry::builtin() {
  static const StorageRegistry registry = [] {
    StorageRegistry r;
    r.add("virtio-fs", add_virtio_fs_storage);
    r.add("ephemeral", add_ephemeral_storage);
    r.add("local", add_local_storage);
    return r;
  }();
  return registry;
}

void StorageRegistry::add(std::string driver, StorageHandler handler) {
  handlers_[std::move(driver)] = std::move(handler);
}

const StorageHandler* StorageRegistry::find(const std::string& driver) const {
  auto it = handlers_.find(driver);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> StorageRegistry::drivers() const {
  std::vector<std::string> out;
  for (const auto& [name, handler] : handlers_) out.push_back(name);
  return out;
}

Result<std::vector<std::string>> add_storages(const std::vector<StorageSpec>& specs,
                                              const StorageRegistry& registry, GuestOs& os) {
  std::vector<std::string> mounted;
  auto undo = [&] {
    for (auto it = mounted.rbegin(); it != mounted.rend(); ++it) {
      Result<void> u = os.unmount(*it);
      if (!u) log::warn("undo storage: {}", u.error().message());
    }
  };
  for (const StorageSpec& spec : specs) {
    std::string what =
        "storage " + spec.driver + " `" + spec.source + "` at `" + spec.mount_point + "`";
    const StorageHandler* handler = registry.find(spec.driver);
    if (handler == nullptr) {
      undo();
      return Error(Code::kInvalidArgument, what + ": unknown driver `" + spec.driver + "`");
    }
    Result<StorageResult> added = (*handler)(spec, os);
    if (!added) {
      undo();
      return std::move(added).error().context(what);
    }
    if (added->mounted) mounted.push_back(added->mount_point);
    log::info("{}: ready", what);
  }
  return mounted;
}

}  // namespace kata::agent
