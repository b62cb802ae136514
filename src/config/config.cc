#include "config/config.h"

#include <array>
#include <utility>

#ifndef KATA_INSTALL_PREFIX
#error "KATA_INSTALL_PREFIX must be defined by the build"
#endif
#ifndef KATA_DEFAULT_MACHINE_TYPE
#error "KATA_DEFAULT_MACHINE_TYPE must be defined by the build"
#endif

namespace kata::config {
namespace {

// One table per enum keeps to_string and parse_* from drifting apart.
template <typename E, size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<MachineType, 2> kMachineTypes{
    {{MachineType::kMicrovm, "microvm"}, {MachineType::kQ35, "q35"}}};
constexpr Names<Accelerator, 3> kAccelerators{
    {{Accelerator::kAuto, "auto"}, {Accelerator::kKvm, "kvm"}, {Accelerator::kTcg, "tcg"}}};
constexpr Names<AgentChannel, 3> kChannels{{{AgentChannel::kAuto, "auto"},
                                            {AgentChannel::kVsock, "vsock"},
                                            {AgentChannel::kSerial, "serial"}}};
constexpr Names<SharedFs, 2> kSharedFs{
    {{SharedFs::kVirtioFs, "virtio-fs"}, {SharedFs::kNone, "none"}}};
constexpr Names<InterNetworkingModel, 3> kNetModels{{{InterNetworkingModel::kTcFilter, "tcfilter"},
                                                     {InterNetworkingModel::kMacvtap, "macvtap"},
                                                     {InterNetworkingModel::kNone, "none"}}};

template <typename E, size_t N>
std::string_view name_of(const Names<E, N>& names, E v) {
  for (const auto& [e, s] : names) {
    if (e == v) return s;
  }
  return "?";
}

template <typename E, size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, name] : names) {
    if (name == s) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(MachineType v) { return name_of(kMachineTypes, v); }
std::string_view to_string(Accelerator v) { return name_of(kAccelerators, v); }
std::string_view to_string(AgentChannel v) { return name_of(kChannels, v); }
std::string_view to_string(SharedFs v) { return name_of(kSharedFs, v); }
std::string_view to_string(InterNetworkingModel v) { return name_of(kNetModels, v); }

std::optional<MachineType> parse_machine_type(std::string_view s) {
  return value_of(kMachineTypes, s);
}
std::optional<Accelerator> parse_accelerator(std::string_view s) {
  return value_of(kAccelerators, s);
}
std::optional<AgentChannel> parse_agent_channel(std::string_view s) {
  return value_of(kChannels, s);
}
std::optional<SharedFs> parse_shared_fs(std::string_view s) { return value_of(kSharedFs, s); }
std::optional<InterNetworkingModel> parse_internetworking_model(std::string_view s) {
  return value_of(kNetModels, s);
}

std::string install_prefix() { return KATA_INSTALL_PREFIX; }
std::string default_kernel_path() { return install_prefix() + "/share/kata-containers/vmlinux"; }
std::string default_initrd_path() {
  return install_prefix() + "/share/kata-containers/kata-initrd.img";
}
MachineType default_machine_type() {
  return parse_machine_type(KATA_DEFAULT_MACHINE_TYPE).value_or(MachineType::kMicrovm);
}

}  // namespace kata::config
