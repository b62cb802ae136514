#include "agent/init/modules.h"

#include <algorithm>
#include <map>

#include "common/strings.h"

namespace kata::agent {

std::string normalize_module_name(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string module_name_from_path(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t ko = base.find(".ko");
  if (ko != std::string_view::npos) base = base.substr(0, ko);
  return normalize_module_name(base);
}

ModuleIndex parse_module_index(std::string_view modules_dep, std::string_view modules_builtin) {
  ModuleIndex index;
  for (const std::string& raw : split(modules_dep, '\n')) {
    std::string_view line = trim(raw);
    size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string_view::npos) continue;
    ModuleIndex::Entry entry;
    entry.path = std::string(trim(line.substr(0, colon)));
    for (const std::string& dep : split(line.substr(colon + 1), ' ')) {
      std::string_view d = trim(dep);
      if (!d.empty()) entry.deps.emplace_back(d);
    }
    std::string name = module_name_from_path(entry.path);
    index.modules.emplace(std::move(name), std::move(entry));
  }
  for (const std::string& raw : split(modules_builtin, '\n')) {
    std::string_view line = trim(raw);
    if (!line.empty()) index.builtin.insert(module_name_from_path(line));
  }
  return index;
}

std::vector<std::string> parse_module_list(std::string_view text) {
  std::vector<std::string> names;
  for (const std::string& raw : split(text, '\n')) {
    std::string_view line = raw;
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (!line.empty()) names.push_back(normalize_module_name(line));
  }
  return names;
}

BootModules split_boot_modules(const std::vector<std::string>& names, const BootNeeds& needs) {
  BootModules out;
  for (const std::string& name : names) {
    std::string n = normalize_module_name(name);
    if ((n == "virtio_pci" && !needs.pci_bus) || (n == "virtio_mmio" && !needs.mmio_bus)) {
      out.skipped.push_back(std::move(n));
      continue;
    }
    bool now = n == "virtio_pci" || n == "virtio_mmio" || (n == "virtio_console" && needs.serial) ||
               ((n == "vsock" || n == "vmw_vsock_virtio_transport") && needs.vsock);
    (now ? out.channel : out.later).push_back(std::move(n));
  }
  return out;
}

int virtio_device_of_module(std::string_view name) {
  // Device ids from the virtio specification, section "Device Types".
  static const std::map<std::string_view, int> kDevices = {
      {"virtio_net", 1},     {"virtio_blk", 2},
      {"virtio_console", 3}, {"virtio_rng", 4},
      {"virtio_balloon", 5}, {"virtio_scsi", 8},
      {"vsock", 19},         {"vmw_vsock_virtio_transport", 19},
      {"virtio_mem", 24},    {"fuse", 26},
      {"virtiofs", 26},      {"virtio_pmem", 27},
  };
  auto it = kDevices.find(name);
  return it == kDevices.end() ? 0 : it->second;
}

DeviceModules drop_absent_device_drivers(const std::vector<std::string>& names,
                                         const std::set<int>& present_virtio_ids) {
  DeviceModules out;
  for (const std::string& name : names) {
    int device = virtio_device_of_module(name);
    bool wanted = device == 0 || present_virtio_ids.count(device) > 0;
    (wanted ? out.load : out.absent).push_back(name);
  }
  return out;
}

namespace {

// Depth-first walk that emits a module after everything it needs. modules.dep
// already lists every module's dependencies transitively, but walking them
// again keeps the order right whatever order depmod wrote them in.
class Planner {
 public:
  explicit Planner(const ModuleIndex& index) : index_(index) {}

  Result<void> visit(const std::string& name, std::vector<std::string>& chain) {
    if (done_.count(name)) return {};
    if (std::find(chain.begin(), chain.end(), name) != chain.end()) {
      std::string cycle;
      for (const std::string& n : chain) cycle += n + " -> ";
      return Error(Code::kFailedPrecondition, "module dependency cycle: " + cycle + name);
    }
    auto it = index_.modules.find(name);
    if (it == index_.modules.end()) {
      done_.insert(name);
      if (index_.builtin.count(name)) {
        plan_.builtin.push_back(name);
      } else {
        plan_.missing.push_back(name);
      }
      return {};
    }
    chain.push_back(name);
    for (const std::string& dep : it->second.deps) {
      KATA_TRY(visit(module_name_from_path(dep), chain));
    }
    chain.pop_back();
    done_.insert(name);
    plan_.load.push_back(it->second.path);
    return {};
  }

  ModulePlan take() { return std::move(plan_); }

 private:
  const ModuleIndex& index_;
  std::set<std::string> done_;
  ModulePlan plan_;
};

}  // namespace

Result<ModulePlan> plan_module_loads(const ModuleIndex& index,
                                     const std::vector<std::string>& wanted) {
  Planner planner(index);
  for (const std::string& name : wanted) {
    std::vector<std::string> chain;
    KATA_TRY(planner.visit(normalize_module_name(name), chain));
  }
  return planner.take();
}

}  // namespace kata::agent
