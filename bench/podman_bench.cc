// bench/podman: `podman run --rm IMAGE true` through Debian's podman 4.3 and conmon
// with runc and with kata-runtime (the OCI CLI path, issue 13), and `ctr run --rm
// IMAGE ID true` with runc and io.containerd.kata.v2 (the shim path, bench/start's
// figures) through a private containerd, N runs each, alternating so that all four see
// the same machine load. Prints the medians and, last, `ratio kata/runc podman: X.XX`,
// `ratio kata podman/kata ctr: X.XX` (the whole start through each door) and
// `ratio kata-runc podman/ctr: X.XX` (what Kata++ adds to each door's own work).
//
//   podman_bench --runs N
#include <chrono>
#include <cstdio>
#include <functional>

#include "bare_boot.h"
#include "common/log.h"
#include "e2e/containerd_env.h"
#include "e2e/podman_env.h"

namespace {

using namespace kata;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Wall time of one client run, which must succeed.
Result<double> timed(const std::function<Result<e2e::CtrResult>()>& run, const std::string& what) {
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult r, run());
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (r.exit_code != 0) return Error(Code::kInternal, what + ": " + r.describe());
  return secs;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "podman_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv);
  if (a.runs < 1) {
    std::fprintf(stderr, "usage: podman_bench --runs N\n");
    return 2;
  }
  log::set_level(log::Level::kError);
  e2e::PodmanOptions options = e2e::default_podman_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
  auto podman = e2e::PodmanEnv::start(options);
  if (!podman) return fail(podman.error().message());
  auto containerd = e2e::ContainerdEnv::start(options.kata);
  if (!containerd) return fail(containerd.error().message());
  e2e::PodmanEnv& p = **podman;
  e2e::ContainerdEnv& c = **containerd;

  std::vector<double> runc, kata, ctr_runc, ctr;
  for (int i = 0; i < a.runs; ++i) {
    auto podman_run = [&](e2e::OciRuntime runtime) {
      return timed(
          [&] {
            return p.podman(runtime, {"run", "--rm", p.image(), "true"}, 300s);
          },
          std::string("podman run --runtime ") + e2e::runtime_name(runtime));
    };
    Result<double> r = podman_run(e2e::OciRuntime::kRunc);
    if (!r) return fail(r.error().message());
    Result<double> k = podman_run(e2e::OciRuntime::kKata);
    if (!k) return fail(k.error().message());
    auto ctr_run = [&](const char* runtime) {
      std::string id = c.unique_id("bench-ctr");
      return timed([&] { return c.ctr(c.run_args(runtime, id, {"true"}), 300s); },
                   std::string("ctr run --runtime ") + runtime);
    };
    Result<double> cr = ctr_run(e2e::kRuncRuntime);
    if (!cr) return fail(cr.error().message());
    Result<double> ck = ctr_run(e2e::kKataRuntime);
    if (!ck) return fail(ck.error().message());
    std::printf(
        "run %d: podman runc %.3f s, podman kata %.3f s, ctr runc %.3f s, ctr kata %.3f s\n", i + 1,
        *r, *k, *cr, *ck);
    std::fflush(stdout);
    runc.push_back(*r);
    kata.push_back(*k);
    ctr_runc.push_back(*cr);
    ctr.push_back(*ck);
  }
  double med_runc = bench::median(runc), med_kata = bench::median(kata),
         med_ctr_runc = bench::median(ctr_runc), med_ctr = bench::median(ctr);
  std::printf("accel tcg, %d MiB guest, %d runs each\n", options.kata.vm_memory_mib, a.runs);
  std::printf("median podman run --rm true, runc: %.3f s\n", med_runc);
  std::printf("median podman run --rm true, kata: %.3f s\n", med_kata);
  std::printf("median ctr run --rm true, runc:    %.3f s\n", med_ctr_runc);
  std::printf("median ctr run --rm true, kata:    %.3f s\n", med_ctr);
  std::printf("ratio kata/runc podman: %.2f\n", med_kata / med_runc);
  std::printf("ratio kata podman/kata ctr: %.2f\n", med_kata / med_ctr);
  std::printf("ratio kata-runc podman/ctr: %.2f\n",
              (med_kata - med_runc) / (med_ctr - med_ctr_runc));
  return 0;
}
