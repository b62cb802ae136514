// bench/boot: N boots of (a) bare QEMU with the same kernel, machine type and
// devices but a trivial init that powers off at once, and (b) Kata++ boot to
// agent ready (grpc.Health/Check answered). Runs alternate so that both see the
// same machine load. Prints both medians and, last, `ratio: X.XX` (b/a).
//
//   boot_bench --runs N --kernel K --initrd KATA_INITRD --baseline-initrd BARE_INITRD
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bare_boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "hypervisor/host_check.h"
#include "hypervisor/qemu/qemu.h"
#include "runtime/guest_vm.h"

namespace {

using namespace kata;
using Clock = std::chrono::steady_clock;

Result<double> kata_boot(const config::Config& c, const std::string& run_root, int i) {
  runtime::BootOptions o;
  o.id = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(i);
  o.run_root = run_root;
  KATA_ASSIGN_OR_RETURN(auto guest, runtime::GuestVm::boot(c, o));
  double secs = static_cast<double>(guest->boot_to_ready().count()) / 1000.0;
  KATA_TRY(guest->shutdown(std::chrono::seconds(30)));
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv);
  if (a.kernel.empty() || a.initrd.empty() || a.baseline_initrd.empty() || a.runs < 1) {
    std::fprintf(stderr,
                 "usage: boot_bench --runs N --kernel K --initrd I --baseline-initrd B [--machine "
                 "microvm|q35]\n");
    return 2;
  }
  log::set_level(log::Level::kError);
  config::Config c;
  c.hypervisor.kernel = a.kernel;
  c.hypervisor.initrd = a.initrd;
  c.hypervisor.default_memory = 512;
  c.hypervisor.accelerator = config::Accelerator::kTcg;  // both sides alike; KVM hangs here
  auto machine = config::parse_machine_type(a.machine);
  if (!machine) {
    std::fprintf(stderr, "boot_bench: unknown machine `%s`\n", a.machine.c_str());
    return 2;
  }
  c.hypervisor.machine_type = *machine;

  char tmpl[] = "/tmp/kata-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  std::string root = tmpl;
  std::vector<double> bare, kata;
  for (int i = 0; i < a.runs; ++i) {
    Result<double> b = bench::bare_boot(c, a.kernel, a.baseline_initrd, root + "/bare");
    Result<double> k = kata_boot(c, root, i);
    if (!b || !k) {
      std::fprintf(stderr, "boot_bench: %s\n", (!b ? b.error() : k.error()).message().c_str());
      (void)fs::remove_all(root);
      return 1;
    }
    std::printf("run %d: bare %.3f s, kata %.3f s\n", i + 1, *b, *k);
    std::fflush(stdout);
    bare.push_back(*b);
    kata.push_back(*k);
  }
  (void)fs::remove_all(root);
  double mb = bench::median(bare), mk = bench::median(kata);
  std::printf("machine %s, accel tcg, %d runs\n", a.machine.c_str(), a.runs);
  std::printf("median bare QEMU boot to power-off: %.3f s\n", mb);
  std::printf("median Kata++ boot to agent ready:   %.3f s\n", mk);
  std::printf("ratio: %.2f\n", mk / mb);
  return 0;
}
