#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "resource/network/netns.h"

namespace kata::resource::network {

// A tap device and the queue fd that QEMU gets (`-netdev tap,fd=N`). The tap is not
// persistent: it disappears when the last copy of `fd` is closed (ours and QEMU's), so a
// crash cannot leave it behind.
struct Tap {
  UniqueFd fd;
  int ifindex = 0;
  std::string name;
};

// sizeof(struct virtio_net_hdr): what precedes every frame on a fresh tap fd.
// (<linux/virtio_net.h> does not compile as C++.)
inline constexpr size_t kVnetHdrSize = 10;

// Creates tap `name` in `ns`, sets its MTU and brings it up. The fd has IFF_VNET_HDR:
// QEMU probes the flag on an fd it is given (vnet_hdr= is refused with fd=) and then
// passes checksum and segmentation offloads through instead of doing them in software.
// Every read and write on the fd therefore carries a struct virtio_net_hdr (kVnetHdrSize
// bytes until QEMU changes it with TUNSETVNETHDRSZ). Fails with ALREADY_EXISTS if a device
// `name` exists: attaching to somebody else's persistent tap would be wrong.
Result<Tap> make_tap(const NetNs& ns, const std::string& name, uint32_t mtu);

}  // namespace kata::resource::network
