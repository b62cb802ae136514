// The pure half of the accelerator choice: reading a probe's observations and the cache.
#include "hypervisor/accel.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kata::hypervisor {
bool console_shows_kernel_panic(std::string_view console) {
  return console.find("Kernel panic") != std::string_view::npos ||
         console.find("VFS: Unable to mount root fs") != std::string_view::npos;
}

AccelVerdict decide_accel(const KvmProbeObservation& p) {
  constexpr std::string_view kFallback = "; using TCG (software emulation, much slower)";
  if (!p.dev_kvm_opens) return {Accel::kTcg, p.dev_kvm_error + std::string(kFallback)};
  if (!p.spawn_error.empty()) {
    return {Accel::kTcg, "KVM probe: " + p.spawn_error + std::string(kFallback)};
  }
  // Checked before the exit: a guest that panicked proves KVM runs guests, whatever
  // QEMU did afterwards.
  if (console_shows_kernel_panic(p.console)) {
    return {Accel::kKvm, fmt::format("KVM probe: a test guest booted to its expected panic in "
                                     "{} ms",
                                     p.elapsed.count())};
  }
  if (p.exited) {
    return {Accel::kTcg, fmt::format("KVM probe: QEMU exited ({}) before the test guest ran: {}{}",
                                     p.exit_status, one_line(p.qemu_output, 3), kFallback)};
  }
  return {Accel::kTcg, fmt::format("KVM probe: /dev/kvm opens, but a test guest showed no sign "
                                   "of life under KVM within {} ms{}",
                                   p.timeout.count(), kFallback)};
}

std::string probe_cache_key(std::string_view kernel_path, int64_t kernel_mtime_ns,
                            std::string_view qemu_path, int64_t qemu_mtime_ns,
                            std::string_view boot_id) {
  return fmt::format("kernel={}@{} qemu={}@{} boot={}", kernel_path, kernel_mtime_ns, qemu_path,
                     qemu_mtime_ns, trim(boot_id));
}

std::string format_cache_entry(std::string_view key, const AccelVerdict& v) {
  std::string reason = v.reason;
  for (char& c : reason) {
    if (c == '\n') c = ' ';
  }
  return fmt::format("key={}\naccel={}\nreason={}\n", key, to_string(v.accel), reason);
}

std::optional<AccelVerdict> parse_cache_entry(std::string_view content, std::string_view key) {
  std::optional<std::string> found_key, accel;
  AccelVerdict v;
  for (const std::string& line : split(content, '\n')) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) return std::nullopt;
    std::string_view name = std::string_view(line).substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (name == "key") found_key = value;
    if (name == "accel") accel = value;
    if (name == "reason") v.reason = value;
  }
  if (found_key != key || !accel) return std::nullopt;
  if (*accel == "kvm") {
    v.accel = Accel::kKvm;
  } else if (*accel == "tcg") {
    v.accel = Accel::kTcg;
  } else {
    return std::nullopt;
  }
  return v;
}

}  // namespace kata::hypervisor
