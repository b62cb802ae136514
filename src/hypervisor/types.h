#pragma once

#include <string_view>

#include "config/config.h"

namespace kata::hypervisor {

// Resolved choices, unlike the config's "auto": what a VM is actually started with.
enum class Machine { kMicrovm, kQ35 };
enum class Accel { kKvm, kTcg };
enum class Channel { kVsock, kSerial };  // how the host reaches the agent

std::string_view to_string(Machine m);  // "microvm", "q35"
std::string_view to_string(Accel a);    // "kvm", "tcg"
std::string_view to_string(Channel c);  // "vsock", "serial"

Machine to_machine(config::MachineType t);

}  // namespace kata::hypervisor
