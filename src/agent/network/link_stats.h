#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::agent::network {

// One interface's traffic counters, as the kernel keeps them since it appeared.
struct LinkStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;

  bool operator==(const LinkStats&) const = default;
};

// The interfaces of a /proc/net/dev text, in its order. Pure. A line that is
// neither a header nor "name: 16 counters" is INVALID_ARGUMENT naming the line:
// the kernel writes this file, so a line we cannot read means we misread it all.
Result<std::vector<LinkStats>> parse_proc_net_dev(std::string_view text);

// The counters of every interface in the caller's network namespace except
// `lo`, read from `path`. Containers share the guest agent's namespace (the
// host drops the spec's "network" entry), so these are the container's
// interfaces, which StatsContainer reports as upstream's agent does.
Result<std::vector<LinkStats>> read_link_stats(const std::string& path = "/proc/net/dev");

}  // namespace kata::agent::network
