// bench/start: `ctr run --rm IMAGE ID true` through a private containerd with
// io.containerd.runc.v2 (Debian's runc) and io.containerd.kata.v2 (Kata++), plus the
// bare-QEMU boot of bench/boot, N runs each, alternating so that all three see the same
// machine load. Prints the medians, the host memory and CPU of one idle Kata++ sandbox
// and, last, `ratio kata/runc: X.XX`, `ratio kata/bare-qemu: X.XX` and
// `ratio kata-runc/bare-qemu: X.XX` (what Kata++ adds over runc, per bare boot).
//
//   start_bench --runs N --kernel K --baseline-initrd B [--machine microvm|q35]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bare_boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "e2e/containerd_env.h"
#include "sys/proc_scan.h"
#include "sys/process_identity.h"

namespace {

using namespace kata;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Wall time of one `ctr run --rm ... true`, which must succeed.
Result<double> ctr_run_true(const e2e::ContainerdEnv& env, const std::string& runtime,
                            const std::string& id) {
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult r, env.ctr(env.run_args(runtime, id, {"true"}), 300s));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (r.exit_code != 0)
    return Error(Code::kInternal, "ctr run --runtime " + runtime + ": " + r.describe() +
                                      "\ncontainerd log:\n" + env.log_tail(2000));
  return secs;
}

// A "Key:   123 kB" line of a /proc file, in kB; -1 if absent.
long kb_field(const std::string& text, const std::string& key) {
  for (const std::string& line : split(text, '\n'))
    if (starts_with(line, key + ":")) return std::atol(line.c_str() + key.size() + 1);
  return -1;
}

long pss_kb(int pid) {
  Result<std::string> rollup = fs::read_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
  return rollup ? kb_field(*rollup, "Pss") : -1;
}

// The resident size of QEMU's guest RAM: the mapping exactly `mib` large (anonymous or
// the memfd backend), as the host sees it. Pages the guest never touched are not there.
long guest_ram_rss_kb(int qemu_pid, long mib) {
  std::ifstream in("/proc/" + std::to_string(qemu_pid) + "/smaps");
  std::string line;
  bool in_ram = false;
  long rss = -1;
  while (std::getline(in, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > 8) {
      in_ram = (hi - lo) == static_cast<unsigned long>(mib) << 20;
    } else if (in_ram && starts_with(line, "Rss:")) {
      rss = std::max(rss, std::atol(line.c_str() + 4));
    }
  }
  return rss;
}

constexpr auto kCpuWindow = 10s;

// One kind of process of the sandbox: virtiofsd runs as two (its sandbox forks).
struct ProcessUse {
  std::vector<int> pids;
  long pss_kb = 0;
  std::chrono::milliseconds cpu_before{0};
  double cpu_percent = 0;                  // of one core, over kCpuWindow
  std::chrono::milliseconds cpu() const {  // a process that is gone counts nothing
    std::chrono::milliseconds sum{0};
    for (int pid : pids) {
      Result<std::chrono::milliseconds> used = sys::process_cpu_time(pid);
      if (used) sum += *used;
    }
    return sum;
  }
};

struct IdleSandbox {
  ProcessUse qemu, virtiofsd, shim;
  long guest_rss_kb = -1, guest_used_kb = -1;
};

// Measures each process's CPU over kCpuWindow while nothing talks to the sandbox.
void measure_idle_cpu(IdleSandbox& m) {
  std::vector<ProcessUse*> all = {&m.qemu, &m.virtiofsd, &m.shim};
  for (ProcessUse* p : all) p->cpu_before = p->cpu();
  std::this_thread::sleep_for(kCpuWindow);
  for (ProcessUse* p : all)
    p->cpu_percent = 100.0 * std::chrono::duration<double>(p->cpu() - p->cpu_before) / kCpuWindow;
}

// Starts one sandbox running `sleep`, lets it settle, and measures it.
Result<IdleSandbox> measure_idle_sandbox(e2e::ContainerdEnv& env, long vm_mib) {
  std::string id = env.unique_id("bench-idle");
  KATA_ASSIGN_OR_RETURN(
      e2e::CtrResult started,
      env.ctr({"run", "-d", "--runtime", e2e::kKataRuntime, env.image(), id, "sleep", "600"},
              300s));
  if (started.exit_code != 0) {
    env.force_remove(id);
    return Error(Code::kInternal, "start an idle kata sandbox: " + started.describe());
  }
  std::this_thread::sleep_for(5s);  // let the boot's transient allocations settle
  IdleSandbox m;
  for (const auto& [pid, cmdline] : sys::processes_mentioning(id)) {
    ProcessUse* p = cmdline.find("qemu-system") != std::string::npos               ? &m.qemu
                    : cmdline.find("virtiofsd") != std::string::npos               ? &m.virtiofsd
                    : cmdline.find("containerd-shim-kata-v2") != std::string::npos ? &m.shim
                                                                                   : nullptr;
    if (!p) continue;
    p->pss_kb += pss_kb(pid);
    p->pids.push_back(pid);
  }
  int qemu = m.qemu.pids.empty() ? 0 : m.qemu.pids.front();
  if (qemu) {
    m.guest_rss_kb = guest_ram_rss_kb(qemu, vm_mib);
    measure_idle_cpu(m);
  }
  Result<e2e::CtrResult> meminfo =
      env.ctr({"task", "exec", "--exec-id", "meminfo", id, "cat", "/proc/meminfo"}, 60s);
  if (meminfo && meminfo->exit_code == 0)
    m.guest_used_kb = kb_field(meminfo->out, "MemTotal") - kb_field(meminfo->out, "MemAvailable");
  env.force_remove(id);
  if (!qemu) return Error(Code::kNotFound, "no QEMU process mentions sandbox " + id);
  return m;
}

double mib(long kb) { return static_cast<double>(kb) / 1024.0; }

int fail(const std::string& message) {
  std::fprintf(stderr, "start_bench: %s\n", message.c_str());
  return 1;
}

struct Medians {
  double runc = 0, kata = 0, bare = 0;
};

// Alternates the three measurements, so that the machine's drift hits them alike.
Result<Medians> measure(e2e::ContainerdEnv& env, const config::Config& c, const bench::Args& a) {
  std::string bare_dir = env.dir() + "/bare";
  std::vector<double> runc, kata, bare;
  for (int i = 0; i < a.runs; ++i) {
    KATA_ASSIGN_OR_RETURN(double r,
                          ctr_run_true(env, e2e::kRuncRuntime, env.unique_id("bench-runc")));
    KATA_ASSIGN_OR_RETURN(double k,
                          ctr_run_true(env, e2e::kKataRuntime, env.unique_id("bench-kata")));
    KATA_ASSIGN_OR_RETURN(double b, bench::bare_boot(c, a.kernel, a.baseline_initrd, bare_dir));
    std::printf("run %d: runc %.3f s, kata %.3f s, bare QEMU %.3f s\n", i + 1, r, k, b);
    std::fflush(stdout);
    runc.push_back(r);
    kata.push_back(k);
    bare.push_back(b);
  }
  return Medians{bench::median(runc), bench::median(kata), bench::median(bare)};
}

void print_idle(const IdleSandbox& m, int vm_mib) {
  std::printf(
      "idle sandbox, host PSS: QEMU %.1f MiB + virtiofsd %.1f MiB + shim %.1f MiB = "
      "%.1f MiB\n",
      mib(m.qemu.pss_kb), mib(m.virtiofsd.pss_kb), mib(m.shim.pss_kb),
      mib(m.qemu.pss_kb + m.virtiofsd.pss_kb + m.shim.pss_kb));
  std::printf(
      "idle sandbox, host CPU over %lld s: QEMU %.2f%% + virtiofsd %.2f%% + shim %.2f%% = "
      "%.2f%% of one core\n",
      static_cast<long long>(kCpuWindow.count()), m.qemu.cpu_percent, m.virtiofsd.cpu_percent,
      m.shim.cpu_percent, m.qemu.cpu_percent + m.virtiofsd.cpu_percent + m.shim.cpu_percent);
  std::printf(
      "idle sandbox, guest RAM touched: %.1f MiB resident of QEMU's %d MiB guest RAM "
      "mapping; guest MemTotal-MemAvailable %.1f MiB\n",
      mib(m.guest_rss_kb), vm_mib, mib(m.guest_used_kb));
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv);
  if (!a.kernel.empty()) a.kernel = std::filesystem::absolute(a.kernel).lexically_normal();
  if (a.kernel.empty() || a.baseline_initrd.empty() || a.runs < 1) {
    std::fprintf(stderr,
                 "usage: start_bench --runs N --kernel K --baseline-initrd B "
                 "[--machine microvm|q35]\n");
    return 2;
  }
  log::set_level(log::Level::kError);
  auto machine = config::parse_machine_type(a.machine);
  if (!machine) return fail("unknown machine `" + a.machine + "`");
  config::Config c;
  c.hypervisor.kernel = a.kernel;
  c.hypervisor.default_memory = 512;
  c.hypervisor.accelerator = config::Accelerator::kTcg;
  c.hypervisor.machine_type = *machine;

  e2e::EnvOptions options = e2e::default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
  options.guest_dir = a.kernel.substr(0, a.kernel.rfind('/'));
  options.vm_memory_mib = static_cast<int>(c.hypervisor.default_memory);
  options.extra_hypervisor_toml = "machine_type = \"" + a.machine + "\"";
  std::string shim = options.shim_dir + "/containerd-shim-kata-v2";
  if (!fs::exists(shim)) return fail("no `" + shim + "`: build the project first");
  auto env = e2e::ContainerdEnv::start(options);
  if (!env) return fail(env.error().message());

  Result<Medians> med = measure(**env, c, a);
  if (!med) return fail(med.error().message());
  std::printf("machine %s, accel tcg, %d MiB guest, %d runs each\n", a.machine.c_str(),
              options.vm_memory_mib, a.runs);
  std::printf("median ctr run --rm true, runc:  %.3f s\n", med->runc);
  std::printf("median bare QEMU boot to power-off: %.3f s\n", med->bare);
  std::printf("median ctr run --rm true, kata:  %.3f s\n", med->kata);
  Result<IdleSandbox> m = measure_idle_sandbox(**env, options.vm_memory_mib);
  if (!m) return fail("idle sandbox: " + m.error().message());
  print_idle(*m, options.vm_memory_mib);
  // What Kata++ adds beyond runc's own work and the VM's boot: the figure that
  // stays comparable when the boot itself gets faster (docs/guest-kernel.md).
  std::printf("time kata adds over runc and the bare boot: %.3f s\n",
              med->kata - med->runc - med->bare);
  std::printf("ratio kata/runc: %.2f\n", med->kata / med->runc);
  std::printf("ratio kata/bare-qemu: %.2f\n", med->kata / med->bare);
  std::printf("ratio kata-runc/bare-qemu: %.2f\n", (med->kata - med->runc) / med->bare);
  return 0;
}
