#include "hypervisor/host_check.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::hypervisor {

bool CpuInfo::has_flag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo cpu;
  for (const std::string& line : split(text, '\n', /*skip_empty=*/false)) {
    if (trim(line).empty()) {
      if (!cpu.flags.empty() || cpu.mhz) break;  // end of the first processor block
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view key = trim(std::string_view(line).substr(0, colon));
    std::string_view value = trim(std::string_view(line).substr(colon + 1));
    if (key == "vendor_id") {
      cpu.vendor_id = value;
    } else if (key == "model name") {
      cpu.model_name = value;
    } else if (key == "flags") {
      cpu.flags = split(value, ' ');
    } else if (key == "cpu MHz") {
      double mhz = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), mhz);
      if (ec == std::errc() && mhz > 0) cpu.mhz = mhz;
    }
  }
  return cpu;
}

bool has_hardware_virt(const CpuInfo& cpu) { return cpu.has_flag("vmx") || cpu.has_flag("svm"); }

std::optional<uint64_t> tsc_khz_from_cpuinfo(const CpuInfo& cpu) {
  if (!cpu.mhz || !cpu.has_flag("tsc")) return std::nullopt;
  return static_cast<uint64_t>(std::llround(*cpu.mhz * 1000.0));
}

Result<uint64_t> detect_host_tsc_khz() {
  Result<std::string> sys = fs::read_file("/sys/devices/system/cpu/cpu0/tsc_freq_khz");
  if (sys) {
    std::string_view v = trim(*sys);
    uint64_t khz = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), khz);
    if (ec == std::errc() && khz > 0) return khz;
  }
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file("/proc/cpuinfo"));
  if (std::optional<uint64_t> khz = tsc_khz_from_cpuinfo(parse_cpuinfo(text))) return *khz;
  return Error(Code::kNotFound, "detect host TSC frequency: no `cpu MHz` in `/proc/cpuinfo`");
}

Channel choose_agent_channel(config::AgentChannel preference, bool vhost_vsock_present) {
  switch (preference) {
    case config::AgentChannel::kVsock:
      return Channel::kVsock;
    case config::AgentChannel::kSerial:
      return Channel::kSerial;
    case config::AgentChannel::kAuto:
      break;
  }
  return vhost_vsock_present ? Channel::kVsock : Channel::kSerial;
}

HostFacts gather_host_facts(const std::string& qemu_path) {
  HostFacts facts;
  if (Result<std::string> text = fs::read_file("/proc/cpuinfo")) facts.cpuinfo = std::move(*text);
  UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  facts.dev_kvm_opens = kvm.valid();
  if (!kvm) facts.dev_kvm_error = Error::from_errno(errno, fmt_path("open", "/dev/kvm")).message();
  facts.vhost_vsock_present = fs::exists("/dev/vhost-vsock");
  facts.qemu_path = qemu_path;
  facts.qemu_executable = ::access(qemu_path.c_str(), X_OK) == 0;
  return facts;
}

std::vector<CheckItem> check_host(const HostFacts& f) {
  std::vector<CheckItem> out;
  CpuInfo cpu = parse_cpuinfo(f.cpuinfo);
  out.push_back(has_hardware_virt(cpu)
                    ? CheckItem{"CPU virtualization", Severity::kOk,
                                cpu.has_flag("vmx") ? "vmx (Intel VT-x)" : "svm (AMD-V)"}
                    : CheckItem{"CPU virtualization", Severity::kWarning,
                                "no vmx/svm flag in /proc/cpuinfo"});
  out.push_back(f.dev_kvm_opens
                    ? CheckItem{"KVM", Severity::kOk,
                                "/dev/kvm opens (whether it runs guests is probed at first start)"}
                    : CheckItem{"KVM", Severity::kWarning,
                                f.dev_kvm_error + "; VMs will run under TCG (software emulation)"});
  out.push_back(f.vhost_vsock_present
                    ? CheckItem{"vhost-vsock", Severity::kOk, "/dev/vhost-vsock present"}
                    : CheckItem{"vhost-vsock", Severity::kWarning,
                                "no /dev/vhost-vsock; the agent channel will be virtio-serial"});
  out.push_back(f.qemu_executable
                    ? CheckItem{"QEMU", Severity::kOk, f.qemu_path}
                    : CheckItem{"QEMU", Severity::kError, fmt_path("no executable", f.qemu_path)});
  std::optional<uint64_t> tsc = tsc_khz_from_cpuinfo(cpu);
  out.push_back(tsc ? CheckItem{"TSC frequency", Severity::kOk, fmt::format("{} kHz", *tsc)}
                    : CheckItem{"TSC frequency", Severity::kWarning,
                                "unknown; set tsc_khz for microvm under TCG"});
  return out;
}

std::string describe_guest_kernel(std::string_view release, std::string_view version) {
  std::string out(release);
  constexpr std::string_view kOurs = "Kata++ ";  // build-guest-kernel's KBUILD_BUILD_TIMESTAMP
  if (size_t at = version.find(kOurs); at != std::string_view::npos) {
    std::vector<std::string> words = split(version.substr(at + kOurs.size()), ' ');
    out +=
        ", built from source by kata-osbuilder (linux-source " + (words.empty() ? "?" : words[0]);
    if (words.size() > 1) out += ", config " + words[1];
    return out + ")";
  }
  if (size_t at = version.find("Debian "); at != std::string_view::npos) {
    return out + ", Debian's kernel package (" + std::string(version.substr(at)) + ")";
  }
  if (!version.empty()) out += " (" + std::string(version) + ")";
  return out;
}

}  // namespace kata::hypervisor
