#pragma once

// Choosing between KVM and TCG. /dev/kvm opening is not enough: on some hosts (nested
// setups among them) it opens but guests hang. So "auto" boots the guest kernel once
// under KVM with no initrd: a working KVM reaches the kernel's "VFS: Unable to mount root
// fs" panic in well under a second and QEMU exits (panic=-1, -no-reboot); a broken one
// shows nothing before the timeout. The verdict is cached per kernel, QEMU and host boot.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"
#include "hypervisor/types.h"

namespace kata::hypervisor {

struct AccelVerdict {
  Accel accel = Accel::kTcg;
  std::string reason;  // for the log, and the warning when falling back to TCG
  bool operator==(const AccelVerdict&) const = default;
};

// What one probe run saw.
struct KvmProbeObservation {
  bool dev_kvm_opens = false;
  std::string dev_kvm_error;
  std::string spawn_error;  // QEMU could not be started at all
  bool exited = false;      // QEMU exited by itself before the timeout
  std::string exit_status;  // ExitStatus::describe() when exited
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds timeout{0};
  std::string console;      // guest serial output
  std::string qemu_output;  // QEMU's stdout+stderr
};

// The guest ran far enough to panic for want of a root fs.
bool console_shows_kernel_panic(std::string_view console);

AccelVerdict decide_accel(const KvmProbeObservation& probe);

// Identifies what a cached verdict depends on: "kernel=<path>@<mtime ns>
// qemu=<path>@<mtime ns> boot=<boot id>".
std::string probe_cache_key(std::string_view kernel_path, int64_t kernel_mtime_ns,
                            std::string_view qemu_path, int64_t qemu_mtime_ns,
                            std::string_view boot_id);
std::string format_cache_entry(std::string_view key, const AccelVerdict& verdict);
// The cached verdict if `content` holds one for exactly `key`.
std::optional<AccelVerdict> parse_cache_entry(std::string_view content, std::string_view key);

struct AccelProbeOptions {
  std::string qemu_path = "/usr/bin/qemu-system-x86_64";
  std::string kernel;
  // Holds the cached verdict (kvm-probe) and the last probe's console log.
  std::string cache_dir;
  std::chrono::milliseconds timeout{5000};
  std::string dev_kvm = "/dev/kvm";
  std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
};

// Boots the probe guest under KVM (no cache involved).
KvmProbeObservation run_kvm_probe(const AccelProbeOptions& options);

// "kvm" and "tcg" are taken as given; "auto" uses the cached verdict or probes and
// caches. Errors only for an unusable cache dir or kernel path.
Result<AccelVerdict> choose_accelerator(config::Accelerator preference,
                                        const AccelProbeOptions& options);

}  // namespace kata::hypervisor
