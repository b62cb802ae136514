#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"

namespace kata::agent {

// How the agent reaches the host. kAuto prefers the virtio-serial port when the
// host attached one, because the host only does that when it talks serial.
enum class ChannelKind { kAuto, kSerial, kVsock };

// The agent's settings, taken from `agent.*` options on the kernel command line
// (the kernel hands dotted options it does not know to nobody, so init reads
// /proc/cmdline itself).
struct AgentOptions {
  log::Level log_level = log::Level::kInfo;
  ChannelKind channel = ChannelKind::kAuto;
  bool debug_console = false;  // accepted, not acted on yet
  // agent.park_nic=MAC, once per NIC (network/parking.h); checked when parking.
  std::vector<std::string> park_nics;
  // Unknown `agent.*` options and bad values, worded for the log; the agent
  // boots anyway because a typo must not cost the host a VM.
  std::vector<std::string> warnings;
};

// Splits a kernel command line into words; double quotes group words
// (`a="b c"` is one word `a=b c`), as the kernel's own parser does.
std::vector<std::string> split_cmdline(std::string_view cmdline);

AgentOptions parse_agent_options(std::string_view cmdline);

}  // namespace kata::agent
