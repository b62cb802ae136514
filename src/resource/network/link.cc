#include "resource/network/link.h"

#include <fmt/format.h>
#include <net/if.h>
#include <net/if_arp.h>

#include <algorithm>

namespace kata::resource::network {

std::string_view to_string(LinkKind kind) {
  switch (kind) {
    case LinkKind::kVeth:
      return "veth";
    case LinkKind::kMacvlan:
      return "macvlan";
    case LinkKind::kIpvlan:
      return "ipvlan";
    case LinkKind::kMacvtap:
      return "macvtap";
    case LinkKind::kTap:
      return "tap";
    case LinkKind::kTun:
      return "tun";
    case LinkKind::kOther:
      break;
  }
  return "other";
}

LinkKind classify_link(std::string_view info_kind, unsigned arp_type) {
  if (info_kind == "veth") return LinkKind::kVeth;
  if (info_kind == "macvlan") return LinkKind::kMacvlan;
  if (info_kind == "ipvlan") return LinkKind::kIpvlan;
  if (info_kind == "macvtap") return LinkKind::kMacvtap;
  if (info_kind == "tun") return arp_type == ARPHRD_ETHER ? LinkKind::kTap : LinkKind::kTun;
  return LinkKind::kOther;
}

Status validate_ifname(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return Error(Code::kInvalidArgument, fmt::format("interface name `{}`: {}", name, why));
  };
  if (name.empty()) return bad("empty");
  if (name.size() >= IFNAMSIZ) return bad(fmt::format("longer than {} bytes", IFNAMSIZ - 1));
  if (name == "." || name == "..") return bad("reserved");
  bool has_bad = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f' || c == '\0';
  });
  if (has_bad) return bad("contains '/', ':', NUL or whitespace");
  return {};
}

}  // namespace kata::resource::network
