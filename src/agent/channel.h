#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "agent/init/cmdline.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent {

// Name of the virtio-serial port the host attaches for the agent (upstream's).
inline constexpr std::string_view kSerialPortName = "agent.channel.0";
// Guest vsock port the agent listens on (upstream's DEFAULT_AGENT_VSOCK_PORT).
inline constexpr unsigned kVsockPort = 1024;

// The device node of the virtio-serial port called `name`, found through
// <sysfs_root>/class/virtio-ports/*/name ("/dev/vport1p1"), or nullopt.
std::optional<std::string> find_serial_port(const std::string& sysfs_root, std::string_view name);

// The virtio device ids ("device" in sysfs: 1 net, 2 block, 3 console, 26 fs...)
// of the devices on the virtio bus, whatever their transport. Empty before the
// transport's driver (virtio_mmio, virtio_pci) has loaded.
std::set<int> virtio_device_ids(const std::string& sysfs_root);

// Whether any virtio console device (virtio device id 3) exists: only then can
// a named port still appear; the host announces ports after the driver binds.
bool has_virtio_console(const std::string& sysfs_root);

// Which virtio transports the VM has, before their drivers load: PCI devices
// (q35) and ACPI-described virtio-mmio devices (microvm, HID LNRO0005).
bool has_pci_devices(const std::string& sysfs_root);
bool has_virtio_mmio_devices(const std::string& sysfs_root);

struct Channel {
  enum class Kind { kSerial, kVsock } kind;
  std::string path;  // serial: the port's device node
  std::string describe() const;
};

// Decides the transport: the serial port when the host attached it (waiting a
// little for it to be announced), vsock otherwise, unless `wanted` forces one.
Result<Channel> choose_channel(ChannelKind wanted, const std::string& sysfs_root = "/sys");

// A listening AF_VSOCK socket on kVsockPort for any CID.
Result<UniqueFd> listen_vsock();

}  // namespace kata::agent
