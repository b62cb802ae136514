#pragma once

// Facts about the host that decide how VMs run, as pure functions over the text of
// /proc files (tested with canned strings) plus one function that gathers the real ones.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "hypervisor/types.h"

namespace kata::hypervisor {

// The first processor block of /proc/cpuinfo.
struct CpuInfo {
  std::string vendor_id;
  std::string model_name;
  std::vector<std::string> flags;
  std::optional<double> mhz;  // "cpu MHz"
  bool has_flag(std::string_view flag) const;
};
CpuInfo parse_cpuinfo(std::string_view text);

// Hardware virtualization extensions (Intel VT-x "vmx", AMD-V "svm"). Their absence does
// not prove KVM unusable (nested setups may hide them) nor their presence usable.
bool has_hardware_virt(const CpuInfo& cpu);

// TSC frequency from cpuinfo's "cpu MHz", in kHz. Meaningful when the TSC is invariant
// ("constant_tsc") or inside a VM, where cpu MHz is the (virtual) TSC rate.
std::optional<uint64_t> tsc_khz_from_cpuinfo(const CpuInfo& cpu);

// The host TSC in kHz: /sys/devices/system/cpu/cpu0/tsc_freq_khz where the kernel
// exposes it, else /proc/cpuinfo.
Result<uint64_t> detect_host_tsc_khz();

// "auto" means vsock when the host has /dev/vhost-vsock, else virtio-serial.
Channel choose_agent_channel(config::AgentChannel preference, bool vhost_vsock_present);

struct HostFacts {
  std::string cpuinfo;  // contents of /proc/cpuinfo
  bool dev_kvm_opens = false;
  std::string dev_kvm_error;  // why not, when it does not
  bool vhost_vsock_present = false;
  bool qemu_executable = false;
  std::string qemu_path;
};

HostFacts gather_host_facts(const std::string& qemu_path);

enum class Severity { kOk, kWarning, kError };
struct CheckItem {
  std::string name;
  Severity severity = Severity::kOk;
  std::string detail;
};

// What `kata-runtime check` reports: errors prevent running VMs at all, warnings mean a
// slower fallback (TCG instead of KVM, virtio-serial instead of vsock).
std::vector<CheckItem> check_host(const HostFacts& facts);

// The guest kernel as `check` shows it: its release and where it came from, read
// from its build string (uname -v). kata-osbuilder's kernels say "Kata++ <source
// package version> <fragment hash>", Debian's "Debian <version> (<date>)".
std::string describe_guest_kernel(std::string_view release, std::string_view version);

}  // namespace kata::hypervisor
