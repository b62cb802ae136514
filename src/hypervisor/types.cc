#include "hypervisor/types.h"

namespace kata::hypervisor {

std::string_view to_string(Machine m) { return m == Machine::kQ35 ? "q35" : "microvm"; }
std::string_view to_string(Accel a) { return a == Accel::kKvm ? "kvm" : "tcg"; }
std::string_view to_string(Channel c) { return c == Channel::kVsock ? "vsock" : "serial"; }

Machine to_machine(config::MachineType t) {
  return t == config::MachineType::kQ35 ? Machine::kQ35 : Machine::kMicrovm;
}

}  // namespace kata::hypervisor
