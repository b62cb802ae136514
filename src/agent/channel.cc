#include "agent/channel.h"

#include <linux/vm_sockets.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"

namespace kata::agent {
namespace {

constexpr int kVirtioIdConsole = 3;
// How long auto mode waits for the host to name its ports once a console
// device is there; forced serial waits longer because there is no fallback.
constexpr auto kAutoSerialWait = std::chrono::seconds(3);
constexpr auto kForcedSerialWait = std::chrono::seconds(20);

std::optional<std::string> wait_for_serial_port(const std::string& sysfs_root,
                                                std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    if (auto port = find_serial_port(sysfs_root, kSerialPortName)) return port;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(step);
    // Capped low: the port usually shows up within tens of ms, and every ms it sits
    // unseen delays the whole boot; a sysfs scan costs well under one.
    step = std::min<std::chrono::milliseconds>(step * 2, std::chrono::milliseconds(4));
  }
}

}  // namespace

std::optional<std::string> find_serial_port(const std::string& sysfs_root, std::string_view name) {
  std::error_code ec;
  std::filesystem::directory_iterator it(sysfs_root + "/class/virtio-ports", ec);
  if (ec) return std::nullopt;
  for (const auto& entry : it) {
    Result<std::string> port_name = fs::read_file(entry.path().string() + "/name");
    if (port_name && trim(*port_name) == name) {
      return "/dev/" + entry.path().filename().string();
    }
  }
  return std::nullopt;
}

namespace {

bool any_entry(const std::string& dir, bool (*match)(const std::string& name)) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return false;
  for (const auto& entry : it) {
    if (match(entry.path().filename().string())) return true;
  }
  return false;
}

}  // namespace

bool has_pci_devices(const std::string& sysfs_root) {
  return any_entry(sysfs_root + "/bus/pci/devices", [](const std::string&) { return true; });
}

bool has_virtio_mmio_devices(const std::string& sysfs_root) {
  return any_entry(sysfs_root + "/bus/platform/devices", [](const std::string& name) {
    return starts_with(name, "LNRO0005") || name.find("virtio-mmio") != std::string::npos ||
           name.find("virtio_mmio") != std::string::npos;
  });
}

std::set<int> virtio_device_ids(const std::string& sysfs_root) {
  std::set<int> ids;
  std::error_code ec;
  std::filesystem::directory_iterator it(sysfs_root + "/bus/virtio/devices", ec);
  if (ec) return ids;
  for (const auto& entry : it) {
    Result<std::string> id = fs::read_file(entry.path().string() + "/device");
    if (id) ids.insert(static_cast<int>(std::strtol(std::string(trim(*id)).c_str(), nullptr, 0)));
  }
  return ids;
}

bool has_virtio_console(const std::string& sysfs_root) {
  return virtio_device_ids(sysfs_root).count(kVirtioIdConsole) > 0;
}

std::string Channel::describe() const {
  return kind == Kind::kSerial ? "virtio-serial " + path
                               : "vsock port " + std::to_string(kVsockPort);
}

Result<Channel> choose_channel(ChannelKind wanted, const std::string& sysfs_root) {
  if (wanted == ChannelKind::kVsock) return Channel{Channel::Kind::kVsock, ""};
  if (wanted == ChannelKind::kSerial) {
    if (auto port = wait_for_serial_port(sysfs_root, kForcedSerialWait)) {
      return Channel{Channel::Kind::kSerial, *port};
    }
    return Error(Code::kNotFound, "agent.channel=serial but no virtio-serial port named `" +
                                      std::string(kSerialPortName) + "` appeared");
  }
  if (has_virtio_console(sysfs_root)) {
    if (auto port = wait_for_serial_port(sysfs_root, kAutoSerialWait)) {
      return Channel{Channel::Kind::kSerial, *port};
    }
    log::info("a virtio console exists but no port `{}`: using vsock", kSerialPortName);
  }
  return Channel{Channel::Kind::kVsock, ""};
}

Result<UniqueFd> listen_vsock() {
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno(errno, "socket AF_VSOCK");
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = VMADDR_CID_ANY;
  addr.svm_port = kVsockPort;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::from_errno(errno, "bind vsock port " + std::to_string(kVsockPort));
  }
  if (::listen(fd.get(), 16) != 0) return Error::from_errno(errno, "listen on vsock");
  return fd;
}

}  // namespace kata::agent
