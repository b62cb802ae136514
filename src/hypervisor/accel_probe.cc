// The impure half of the accelerator choice: the probe boot and the cache file.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "hypervisor/accel.h"
#include "hypervisor/qemu/cmdline.h"
#include "sys/subprocess.h"

namespace kata::hypervisor {
namespace {

constexpr std::string_view kCacheFile = "kvm-probe";
constexpr std::string_view kConsoleFile = "kvm-probe.console.log";
constexpr uint32_t kProbeMemoryMib = 256;

qemu::CommandLine probe_command_line(const AccelProbeOptions& o, const std::string& console) {
  qemu::CommandLine cl;
  cl.binary = o.qemu_path;
  cl.machine = qemu::MachineArg{.type = Machine::kMicrovm};
  cl.accel = qemu::AccelArg{Accel::kKvm};
  cl.memory = qemu::MemoryArg{.size_mib = kProbeMemoryMib};
  // No initrd: the kernel panics for want of a root fs, and panic=-1 with -no-reboot
  // turns that into QEMU exiting, so a working KVM ends the probe in well under a second.
  cl.kernel = qemu::KernelArg{o.kernel, "", "console=ttyS0 panic=-1"};
  cl.console = qemu::SerialConsoleArg{.log_path = console};
  return cl;
}

Result<int64_t> mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(errno, fmt_path("stat", path));
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Result<std::string> cache_key(const AccelProbeOptions& o) {
  KATA_ASSIGN_OR_RETURN(int64_t kernel_mtime, mtime_ns(o.kernel));
  Result<int64_t> qemu_mtime = mtime_ns(o.qemu_path);  // a missing QEMU fails the probe itself
  KATA_ASSIGN_OR_RETURN(std::string boot_id, fs::read_file(o.boot_id_path));
  return probe_cache_key(o.kernel, kernel_mtime, o.qemu_path, qemu_mtime ? *qemu_mtime : 0,
                         boot_id);
}

}  // namespace

KvmProbeObservation run_kvm_probe(const AccelProbeOptions& o) {
  KvmProbeObservation p;
  p.timeout = o.timeout;
  UniqueFd kvm(::open(o.dev_kvm.c_str(), O_RDWR | O_CLOEXEC));
  p.dev_kvm_opens = kvm.valid();
  if (!kvm) {
    p.dev_kvm_error = Error::from_errno(errno, fmt_path("open", o.dev_kvm)).message();
    return p;
  }
  kvm.reset();
  std::string console = o.cache_dir + "/" + std::string(kConsoleFile);
  ::unlink(console.c_str());
  std::vector<std::string> argv = probe_command_line(o, console).argv();
  log::debug("KVM probe: {}", fmt::join(argv, " "));
  auto start = std::chrono::steady_clock::now();
  Result<sys::CapturedOutput> run =
      sys::run_capture(sys::SpawnOptions{.argv = argv}, o.timeout, 64 * 1024);
  p.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (run) {
    p.exited = true;
    p.exit_status = run->status.describe();
    p.qemu_output = run->err + run->out;
  } else if (run.error().code() != Code::kDeadlineExceeded) {
    p.spawn_error = run.error().message();
  }
  if (Result<std::string> text = fs::read_file(console)) p.console = std::move(*text);
  return p;
}

Result<AccelVerdict> choose_accelerator(config::Accelerator preference,
                                        const AccelProbeOptions& o) {
  if (preference == config::Accelerator::kKvm) {
    return AccelVerdict{Accel::kKvm, "accelerator = \"kvm\" in the configuration"};
  }
  if (preference == config::Accelerator::kTcg) {
    return AccelVerdict{Accel::kTcg, "accelerator = \"tcg\" in the configuration"};
  }
  KATA_TRY(fs::mkdir_all(o.cache_dir, 0750).context("choose accelerator"));
  KATA_ASSIGN_OR_RETURN(std::string key, std::move(cache_key(o)).context("choose accelerator"));
  std::string cache = o.cache_dir + "/" + std::string(kCacheFile);
  if (Result<std::string> cached = fs::read_file(cache)) {
    if (std::optional<AccelVerdict> v = parse_cache_entry(*cached, key)) {
      log::debug("accelerator {} (cached: {})", to_string(v->accel), v->reason);
      return *v;
    }
  }
  KvmProbeObservation probe = run_kvm_probe(o);
  AccelVerdict verdict = decide_accel(probe);
  if (verdict.accel == Accel::kTcg) log::warn("{}", verdict.reason);
  // Only a boot attempt is worth caching; /dev/kvm permissions are cheap to re-check
  // and may be fixed without a reboot.
  if (probe.dev_kvm_opens && probe.spawn_error.empty()) {
    Result<void> saved = fs::write_file_atomic(cache, format_cache_entry(key, verdict));
    if (!saved) log::warn("cache the KVM probe verdict: {}", saved.error().message());
  }
  return verdict;
}

}  // namespace kata::hypervisor
