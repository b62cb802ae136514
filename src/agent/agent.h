#pragma once

#include <optional>
#include <string_view>

namespace kata::agent {

// Boots the guest as PID 1 and serves the agent API until the VM powers off.
// Never returns: a fatal error is logged and the VM powered off, so the host
// sees QEMU exit rather than waiting for a timeout.
[[noreturn]] void run();

// Seconds since boot from /proc/uptime text ("12.34 45.67").
std::optional<double> parse_uptime(std::string_view text);

}  // namespace kata::agent
