#pragma once

#include <string_view>

#include "common/result.h"

namespace kata::resource::network {

// What kind of device a CNI plugin or container engine left in the namespace; it decides
// how the sandbox connects it to the VM (a veth gets a tap and a tcfilter redirect).
enum class LinkKind { kVeth, kMacvlan, kIpvlan, kMacvtap, kTap, kTun, kOther };

std::string_view to_string(LinkKind kind);

// From the rtnetlink IFLA_INFO_KIND string ("" for physical devices) and the ARPHRD_*
// type: the kernel calls taps and tuns both "tun", and only the link type (Ethernet for
// a tap, none for a tun) tells them apart.
LinkKind classify_link(std::string_view info_kind, unsigned arp_type);

// An interface name the kernel accepts: 1 to 15 bytes (IFNAMSIZ - 1), none of them '/',
// ':' or whitespace, and not "." or "..". Checked before the kernel sees it, for an error
// that names the problem instead of EINVAL.
Status validate_ifname(std::string_view name);

}  // namespace kata::resource::network
