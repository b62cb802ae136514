#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::agent {

// The kernel treats '-' and '_' in module names alike; we compare in the '_' form.
std::string normalize_module_name(std::string_view name);

// "kernel/fs/fuse/virtiofs.ko" (or .ko.xz, .ko.zst, .ko.gz) -> "virtiofs".
std::string module_name_from_path(std::string_view path);

// What depmod wrote: for each module its file (relative to the modules
// directory, or absolute) and the files of everything it needs.
struct ModuleIndex {
  struct Entry {
    std::string path;
    std::vector<std::string> deps;  // file paths, as in modules.dep
  };
  std::map<std::string, Entry> modules;  // by normalized name
  std::set<std::string> builtin;         // normalized names from modules.builtin
};

// Parses modules.dep ("path: dep dep ...") and modules.builtin (one path a line).
ModuleIndex parse_module_index(std::string_view modules_dep, std::string_view modules_builtin);

// The image's list of modules to load: one name a line, '#' starts a comment.
std::vector<std::string> parse_module_list(std::string_view text);

// What decides which drivers must load before the agent can serve.
struct BootNeeds {
  bool serial = true;    // the channel may be virtio-serial (virtio_console)
  bool vsock = true;     // the channel may be vsock
  bool pci_bus = true;   // the VM has PCI devices (q35)
  bool mmio_bus = true;  // the VM has virtio-mmio devices (microvm)
};

// Splits the image's module list into the drivers the agent's channel needs,
// to load before serving, the rest, to load in the background, and the bus
// drivers of a bus this VM does not have, not to load at all.
struct BootModules {
  std::vector<std::string> channel;
  std::vector<std::string> later;
  std::vector<std::string> skipped;
};
BootModules split_boot_modules(const std::vector<std::string>& names, const BootNeeds& needs);

// The virtio device id (1 net, 2 block, 19 vsock, 26 fs...) of the device a module
// drives, or 0 when it drives none. The image lists vsock and fuse only for their
// virtio transports, so they count as those devices' drivers.
int virtio_device_of_module(std::string_view normalized_name);

// Splits `names` into the modules to load and the drivers of virtio devices the VM
// does not have: under TCG each costs 5-40 ms of the only vCPU while the agent
// boots. Whoever later meets such a device loads its driver then.
struct DeviceModules {
  std::vector<std::string> load;
  std::vector<std::string> absent;
};
DeviceModules drop_absent_device_drivers(const std::vector<std::string>& names,
                                         const std::set<int>& present_virtio_ids);

// What loading `wanted` takes: module files to load in order, every module
// after the modules it needs, none twice.
struct ModulePlan {
  std::vector<std::string> load;     // paths as in modules.dep
  std::vector<std::string> builtin;  // wanted names the kernel already has
  std::vector<std::string> missing;  // wanted or needed names that are not there
};

// Fails only on a dependency cycle: modules.dep is then corrupt and no order is right.
Result<ModulePlan> plan_module_loads(const ModuleIndex& index,
                                     const std::vector<std::string>& wanted);

}  // namespace kata::agent
