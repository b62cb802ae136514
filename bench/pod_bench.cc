// bench/pod: a Kubernetes pod's start as the kubelet drives it through containerd's CRI
// plugin (RunPodSandbox, CreateContainer, StartContainer, until ContainerStatus says
// RUNNING), with the `runc` handler and the `kata` handler, against `ctr run -d` of the
// same image under Kata++ (the same VM start without CRI), N runs alternating; then 10
// Kata++ pods started at once. Teardown (StopPodSandbox + RemovePodSandbox) is timed apart.
// Prints the medians and `ratio kata/runc pod: X.XX`, `ratio kata pod/kata ctr run: X.XX`
// and `ratio kata 10-parallel/one pod: X.XX`.
//
//   pod_bench --runs N --kernel K [--machine microvm|q35]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bare_boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "cri/pod_config.h"
#include "e2e/containerd_env.h"

namespace {

using namespace kata;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds the whole machine spent (all but idle and iowait in /proc/stat): what 10
// pods at once share, two cores' worth per second.
double machine_cpu_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
  return static_cast<double>(user + nice + system + irq + softirq) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct PodTimes {
  double start = 0, teardown = 0;
  double sandbox = 0, create = 0;  // RunPodSandbox, then CreateContainer: parts of `start`
  double cpu = 0;                  // the machine's CPU seconds during `start`
  double cpu_all = 0;              // ... during start and teardown
};

// One pod of one `sleep` container: seconds until it runs, then until it is gone.
Result<PodTimes> one_pod(cri::CriClient& cri, const e2e::ContainerdEnv& env,
                         const std::string& handler, const std::string& name) {
  cri::v1::PodSandboxConfig pod = cri::pod_config(name, env.dir() + "/logs");
  PodTimes t;
  double cpu_before = machine_cpu_seconds();
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(std::string pod_id, cri.run_pod(pod, handler));
  t.sandbox = since(start);
  auto teardown = [&]() -> Result<void> {
    KATA_TRY(cri.stop_pod(pod_id));
    return cri.remove_pod(pod_id);
  };
  Result<std::string> id = cri.create_container(
      pod_id, cri::container_config(pod, "app", env.image(), {"sleep", "600"}), pod);
  t.create = since(start) - t.sandbox;
  Result<void> started = id ? cri.start_container(*id) : Result<void>(id.error());
  Result<cri::v1::ContainerStatus> running =
      started ? cri::wait_for_state(cri, *id, cri::v1::CONTAINER_RUNNING, 300s)
              : Result<cri::v1::ContainerStatus>(started.error());
  t.start = since(start);
  t.cpu = machine_cpu_seconds() - cpu_before;
  auto stop = Clock::now();
  Result<void> gone = teardown();
  t.teardown = since(stop);
  t.cpu_all = machine_cpu_seconds() - cpu_before;
  if (!running) return std::move(running).error().context("pod " + pod_id);
  if (!gone) return std::move(gone).error();
  return t;
}

// `ctr run -d` of the same container under Kata++: seconds until it runs (ctr returns
// once the task started); removed afterwards.
Result<double> ctr_run(e2e::ContainerdEnv& env) {
  std::string id = env.unique_id("bench-ctr");
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult r, env.ctr({"run", "-d", "--runtime", e2e::kKataRuntime,
                                                   env.image(), id, "sleep", "600"},
                                                  300s));
  double secs = since(start);
  env.force_remove(id);
  if (r.exit_code != 0) return Error(Code::kInternal, "ctr run: " + r.describe());
  return secs;
}

// `count` Kata++ pods started at once: seconds until the last one runs.
Result<double> parallel_pods(cri::CriClient& cri, e2e::ContainerdEnv& env, int count) {
  std::vector<Result<PodTimes>> results(count, Error(Code::kUnknown, "not run"));
  std::vector<std::string> names;  // unique_id() is not for threads
  for (int i = 0; i < count; ++i) names.push_back(env.unique_id("bench-parallel"));
  std::vector<std::thread> threads;
  double cpu_before = machine_cpu_seconds();
  auto start = Clock::now();
  // Every thread starts its clock as it is launched: within a millisecond of the others.
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] { results[i] = one_pod(cri, env, "kata", names[i]); });
  for (std::thread& t : threads) t.join();
  double wall = since(start);
  double busy = machine_cpu_seconds() - cpu_before;
  std::printf("%d pods at once: the machine's CPU was busy %.3f s of %.3f s, %.3f s per pod "
              "(start and teardown)\n",
              count, busy, wall * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)),
              busy / count);
  double last = 0;
  for (int i = 0; i < count; ++i) {
    if (!results[i])
      return std::move(results[i]).error().context("parallel pod " + std::to_string(i));
    last = std::max(last, results[i]->start);
    std::printf("parallel pod %d: runs after %.3f s (RunPodSandbox %.3f s)\n", i + 1,
                results[i]->start, results[i]->sandbox);
  }
  return last;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "pod_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv);
  if (a.kernel.empty() || a.runs < 1) {
    std::fprintf(stderr, "usage: pod_bench --runs N --kernel K [--machine microvm|q35]\n");
    return 2;
  }
  a.kernel = std::filesystem::absolute(a.kernel).lexically_normal();
  log::set_level(log::Level::kError);
  e2e::EnvOptions options = e2e::default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
  options.guest_dir = a.kernel.substr(0, a.kernel.rfind('/'));
  options.extra_hypervisor_toml = "machine_type = \"" + a.machine + "\"";
  options.cri = true;
  auto env = e2e::ContainerdEnv::start(options);
  if (!env) return fail(env.error().message());
  auto client = cri::CriClient::connect((*env)->address(), 30s);
  if (!client) return fail(client.error().message());
  cri::CriClient& cri = **client;

  std::vector<double> runc_start, kata_start, ctr_start, runc_down, kata_down, kata_cpu,
      kata_cpu_all;
  for (int i = 0; i < a.runs; ++i) {
    Result<PodTimes> r = one_pod(cri, **env, "runc", (*env)->unique_id("bench-runc"));
    if (!r) return fail(r.error().message());
    Result<PodTimes> k = one_pod(cri, **env, "kata", (*env)->unique_id("bench-kata"));
    if (!k) return fail(k.error().message());
    Result<double> c = ctr_run(**env);
    if (!c) return fail(c.error().message());
    std::printf(
        "run %d: pod runc %.3f s (teardown %.3f s), pod kata %.3f s (RunPodSandbox "
        "%.3f s, CreateContainer %.3f s; teardown %.3f s), ctr run kata %.3f s\n",
        i + 1, r->start, r->teardown, k->start, k->sandbox, k->create, k->teardown, *c);
    std::fflush(stdout);
    runc_start.push_back(r->start);
    runc_down.push_back(r->teardown);
    kata_start.push_back(k->start);
    kata_down.push_back(k->teardown);
    kata_cpu.push_back(k->cpu);
    kata_cpu_all.push_back(k->cpu_all);
    ctr_start.push_back(*c);
  }
  constexpr int kParallel = 10;
  Result<double> parallel = parallel_pods(cri, **env, kParallel);
  if (!parallel) return fail(parallel.error().message());

  double runc = bench::median(runc_start), kata = bench::median(kata_start);
  double ctr = bench::median(ctr_start);
  std::printf("machine %s, accel tcg, %d runs each\n", a.machine.c_str(), a.runs);
  std::printf("median pod start, runc: %.3f s (teardown %.3f s)\n", runc, bench::median(runc_down));
  std::printf("median pod start, kata: %.3f s (teardown %.3f s)\n", kata, bench::median(kata_down));
  std::printf("median ctr run -d, kata: %.3f s\n", ctr);
  double cpu = bench::median(kata_cpu);
  std::printf("median CPU of one kata pod (whole machine): start %.3f s, start and teardown "
              "%.3f s; %d starts on %ld cores need at least %.3f s\n",
              cpu, bench::median(kata_cpu_all), kParallel, ::sysconf(_SC_NPROCESSORS_ONLN),
              cpu * kParallel / static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
  std::printf("%d kata pods at once: the last one runs after %.3f s\n", kParallel, *parallel);
  std::printf("ratio kata/runc pod: %.2f\n", kata / runc);
  std::printf("ratio kata pod/kata ctr run: %.2f\n", kata / ctr);
  std::printf("ratio kata 10-parallel/one pod: %.2f\n", *parallel / kata);
  return 0;
}
