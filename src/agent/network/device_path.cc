#include "agent/network/device_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <regex>

namespace kata::agent::network {
namespace {

namespace stdfs = std::filesystem;

// One hop of a PCI path: "03" or "03.1" (function 0 if absent).
const std::regex kPciPath(R"(^[0-9a-fA-F]{2}(\.[0-7])?(/[0-9a-fA-F]{2}(\.[0-7])?)*$)");
// A PCI device's directory name: domain:bus:slot.function.
const std::regex kPciAddress(R"(^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$)");

std::vector<std::string> entries(const stdfs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (stdfs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The child of `dir` that is the PCI device at `hop`, "" if none. The bus
// number behind a bridge is the kernel's choice: only slot and function count.
std::string pci_child(const stdfs::path& dir, std::string hop) {
  std::transform(hop.begin(), hop.end(), hop.begin(), ::tolower);
  if (hop.find('.') == std::string::npos) hop += ".0";
  for (const std::string& name : entries(dir)) {
    if (std::regex_match(name, kPciAddress) && name.substr(8) == hop) return name;
  }
  return "";
}

std::optional<stdfs::path> walk_pci_path(const stdfs::path& root, const std::string& path) {
  stdfs::path dir = root / "devices" / "pci0000:00";
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string child = pci_child(dir, path.substr(start, slash - start));
    if (child.empty()) return std::nullopt;
    dir /= child;
    start = slash + 1;
  }
  return dir;
}

std::vector<std::string> net_devices_below(const stdfs::path& dir) {
  std::vector<std::string> names = entries(dir / "net");
  if (!names.empty()) return names;
  for (const std::string& child : entries(dir)) {
    std::error_code ec;
    if (!stdfs::is_directory(dir / child / "net", ec)) continue;
    for (std::string& n : entries(dir / child / "net")) names.push_back(std::move(n));
  }
  return names;
}

}  // namespace

Result<std::vector<std::string>> net_devices_at(const std::string& sysfs_root,
                                                const std::string& device_path) {
  if (device_path.starts_with("/sys/")) {
    stdfs::path rel(device_path.substr(5));
    // The host names a device, not a way out of sysfs.
    for (const stdfs::path& part : rel) {
      if (part == "..") {
        return Error(Code::kInvalidArgument,
                     fmt::format("device path `{}` leaves /sys", device_path));
      }
    }
    return net_devices_below(stdfs::path(sysfs_root) / rel);
  }
  if (!std::regex_match(device_path, kPciPath)) {
    return Error(
        Code::kInvalidArgument,
        fmt::format("device path `{}` is neither a sysfs path nor a PCI path", device_path));
  }
  std::optional<stdfs::path> dir = walk_pci_path(sysfs_root, device_path);
  if (!dir) return std::vector<std::string>();
  return net_devices_below(*dir);
}

}  // namespace kata::agent::network
