#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace kata::agent::network {

// The network devices (names) of the device at `device_path`, looked up under
// `sysfs_root` ("/sys", or a directory tree shaped like it in tests):
// - a sysfs path "/sys/devices/..." names the device's directory;
// - a PCI path "02/01" (hex slot[.function] on the root bus, then behind each
//   bridge, as upstream Kata writes it) is walked from devices/pci0000:00.
// A virtio NIC keeps its netdev one level down (`virtio3/net/eth0`), a NIC of
// its own driver right below (`net/eth0`). Empty if the device or its netdev
// is not there (yet); INVALID_ARGUMENT if the path is neither form.
Result<std::vector<std::string>> net_devices_at(const std::string& sysfs_root,
                                                const std::string& device_path);

}  // namespace kata::agent::network
