// bench/net: TCP throughput both ways and HTTP latency between the host and a busybox
// container on the e2e harness's CNI bridge (`ctr run --cni`), under
// io.containerd.runc.v2, io.containerd.kata.v2, and the same Kata++ sandbox with its tap
// made a port of the bridge, without our tc hop (direct_bridge.h). Prints the figures,
// `ratio kata/runc throughput: X.XX`, `ratio kata/runc latency: X.XX` and the cost of
// the plumbing against kata-direct, after checking that nothing was left behind.
//
//   net_bench [--mib N] [--rounds N] [--requests N] [--machine microvm|q35]
#include <fmt/format.h>
#include <net/if.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bare_boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "direct_bridge.h"
#include "e2e/cni_env.h"
#include "e2e/containerd_env.h"
#include "e2e/leak_check.h"
#include "net_container.h"
#include "net_probe.h"

namespace {

using namespace kata;
using namespace std::chrono_literals;
using bench::kHttpPort;
using bench::kSinkPort;
using bench::kSourcePort;

constexpr const char* kBridge = "kata-e2e0";  // CniEnv's
constexpr size_t kWarmUpBytes = 16 * bench::kBlockBytes;
constexpr int kWarmUpRequests = 10;

struct Options {
  size_t mib = 32;  // per stream
  int rounds = 30;  // streams each way, per variant: the cores are shared, medians need many
  int requests = 200;
  std::string machine = "microvm";
};

// One variant's measurements over all rounds: MB/s per stream, ms per GET.
struct Samples {
  std::vector<double> to, from, ms;
  std::vector<std::string> retried;  // why a round of this variant had to run again
};

struct Results {
  Samples runc, kata, direct;
  std::string direct_how;
};

// Guest code runs translated under TCG: the first use of a path is slow. And the nc
// servers start in the background of the container's script, so may be late.
Status warm_up(const std::string& address) {
  KATA_TRY(bench::wait_for_http(address, kHttpPort, 60));
  Result<bench::Throughput> sent = bench::send_stream(address, kSinkPort, kWarmUpBytes);
  for (int i = 0; !sent && i < 20; ++i) {
    std::this_thread::sleep_for(500ms);
    sent = bench::send_stream(address, kSinkPort, kWarmUpBytes);
  }
  if (!sent) return std::move(sent).error().context("warm up");
  KATA_TRY(bench::receive_stream(address, kSourcePort, kWarmUpBytes));
  KATA_TRY(bench::median_http_ms(address, kHttpPort, kWarmUpRequests));
  return {};
}

// One round's share of a variant: a stream each way, then `gets` HTTP GETs.
Status sample(const std::string& address, const Options& o, int gets, Samples& s) {
  size_t bytes = o.mib << 20;
  KATA_ASSIGN_OR_RETURN(bench::Throughput to, bench::send_stream(address, kSinkPort, bytes));
  KATA_ASSIGN_OR_RETURN(bench::Throughput from, bench::receive_stream(address, kSourcePort, bytes));
  s.to.push_back(to.mb_per_s());
  s.from.push_back(from.mb_per_s());
  for (int i = 0; i < gets; ++i) {
    KATA_ASSIGN_OR_RETURN(double ms, bench::http_get_ms(address, kHttpPort));
    s.ms.push_back(ms);
  }
  return {};
}

// kata-direct's share: the sandbox switched onto the bridge, sampled, switched back and
// checked to answer through the restored plumbing.
Status sample_direct(pid_t qemu, const std::string& address, const Options& o, int gets,
                     Results& r) {
  KATA_ASSIGN_OR_RETURN(auto direct, bench::DirectBridge::attach(qemu, kBridge));
  r.direct_how = direct->describe();
  Status sampled = [&]() -> Status {
    KATA_TRY(bench::wait_for_http(address, kHttpPort, 30));  // not timed: the bridge learns
    return sample(address, o, gets, r.direct);
  }();
  Status restored = direct->restore().context("restore the tcfilter plumbing");
  if (!sampled) return sampled;
  if (!restored) return restored;
  return bench::wait_for_http(address, kHttpPort, 30).context("through the restored plumbing");
}

// A stream now and then stalls until the I/O timeout (seen in 2 of 17 runs here, both in
// kata-direct, with builds on the same cores): the round runs once more and the summary
// says so, rather than a run of minutes ending without figures.
template <typename Round>
Status retry_once(Samples& s, Round round) {
  Status first = round();
  if (first) return first;
  s.retried.push_back(first.error().message());
  return round();
}

// Round-robin, so that the machine's load (builds on the same cores) falls on all three
// alike; kata and kata-direct swap places every round.
Status measure(const e2e::ContainerdEnv& env, const bench::Served& runc, const bench::Served& kata,
               const Options& o, Results& r) {
  KATA_TRY(warm_up(runc.address).context("runc"));
  KATA_TRY(warm_up(kata.address).context("kata"));
  KATA_ASSIGN_OR_RETURN(pid_t qemu, bench::task_pid(env, kata.id));
  for (int i = 0; i < o.rounds; ++i) {
    int gets = o.requests / o.rounds + (i < o.requests % o.rounds ? 1 : 0);
    auto runc_round = [&] { return sample(runc.address, o, gets, r.runc); };
    auto kata_round = [&] { return sample(kata.address, o, gets, r.kata); };
    auto direct_round = [&] { return sample_direct(qemu, kata.address, o, gets, r); };
    KATA_TRY(retry_once(r.runc, runc_round).context("runc"));
    if (i % 2 == 0) KATA_TRY(retry_once(r.kata, kata_round).context("kata"));
    KATA_TRY(retry_once(r.direct, direct_round).context("kata-direct"));
    if (i % 2 == 1) KATA_TRY(retry_once(r.kata, kata_round).context("kata"));
  }
  return {};
}

std::set<std::string> host_links() {
  std::set<std::string> names;
  if (struct if_nameindex* all = ::if_nameindex()) {
    for (struct if_nameindex* i = all; i->if_index != 0; ++i) names.insert(i->if_name);
    ::if_freenameindex(all);
  }
  return names;
}

// Links of ours still on the host after teardown: veth host ends, the moved tap, the bridge.
std::string leftover_links(const std::set<std::string>& before) {
  std::string left;
  for (const std::string& name : host_links())
    if (!before.count(name) &&
        (starts_with(name, "veth") || starts_with(name, "kbnet") || name == kBridge))
      left += " " + name;
  return left;
}

// Both containers up at once, measured, stopped; then the leak check of both.
Status run(e2e::ContainerdEnv& env, const e2e::CniEnv& cni, const Options& o, Results& r) {
  std::set<std::string> sockets_before = e2e::shim_socket_snapshot();
  std::vector<std::string> ids;
  Status measured = [&]() -> Status {
    KATA_ASSIGN_OR_RETURN(bench::Served runc, bench::serve(env, cni, e2e::kRuncRuntime, ids));
    KATA_ASSIGN_OR_RETURN(bench::Served kata, bench::serve(env, cni, e2e::kKataRuntime, ids));
    Status m = measure(env, runc, kata, o, r);
    Status stopped_kata = bench::stop(env, kata);
    Status stopped_runc = bench::stop(env, runc);
    return !m ? m : !stopped_kata ? stopped_kata : stopped_runc;
  }();
  std::string leaks = env.remove_and_find_leaks(ids, sockets_before);
  if (!measured) return measured;
  if (!leaks.empty()) return Error(Code::kInternal, "left behind:" + leaks);
  return {};
}

}  // namespace

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "net_bench: %s\n", message.c_str());
  return 1;
}

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--mib")
      o.mib = std::strtoul(value.c_str(), nullptr, 10);
    else if (flag == "--rounds")
      o.rounds = std::atoi(value.c_str());
    else if (flag == "--requests")
      o.requests = std::atoi(value.c_str());
    else if (flag == "--machine")
      o.machine = value;
    else
      return Error(Code::kInvalidArgument, "unknown flag `" + flag + "`");
  }
  if (argc % 2 == 0 || o.mib < 1 || o.rounds < 1 || o.requests < o.rounds)
    return Error(Code::kInvalidArgument,
                 "usage: net_bench [--mib N] [--rounds N] [--requests N>=rounds] "
                 "[--machine microvm|q35]");
  return o;
}

struct Figures {
  double to = 0, from = 0, ms = 0;  // medians: MB/s, MB/s, ms
};

Figures figures(const Samples& s) {
  return {bench::median(s.to), bench::median(s.from), bench::median(s.ms)};
}

void print_figures(const char* name, const Samples& s) {
  auto [lo_to, hi_to] = std::minmax_element(s.to.begin(), s.to.end());
  auto [lo_from, hi_from] = std::minmax_element(s.from.begin(), s.from.end());
  Figures f = figures(s);
  std::printf(
      "%-11s host→container %7.1f MB/s [%.0f–%.0f], container→host %7.1f MB/s [%.0f–%.0f], "
      "HTTP GET %5.2f ms\n",
      name, f.to, *lo_to, *hi_to, f.from, *lo_from, *hi_from, f.ms);
}

// Both directions count alike: the geometric mean of the two ratios.
double throughput_ratio(const Figures& a, const Figures& b) {
  return std::sqrt((a.to / b.to) * (a.from / b.from));
}

void print_summary(const Results& r, const Options& o) {
  std::printf(
      "machine %s, accel tcg; medians of %d streams of %zu MiB each way and of %d HTTP GETs "
      "per variant, round-robin; [min–max]\n",
      o.machine.c_str(), o.rounds, o.mib, o.requests);
  print_figures("runc", r.runc);
  print_figures("kata", r.kata);
  print_figures("kata-direct", r.direct);
  std::printf("kata-direct: %s\n", r.direct_how.c_str());
  for (auto [name, samples] :
       {std::pair{"runc", &r.runc}, {"kata", &r.kata}, {"kata-direct", &r.direct}})
    for (const std::string& why : samples->retried)
      std::printf("%s: a round ran again after: %s\n", name, why.c_str());
  Figures runc = figures(r.runc), kata = figures(r.kata), direct = figures(r.direct);
  double plumbing_tp = throughput_ratio(kata, direct), plumbing_ms = kata.ms / direct.ms;
  std::printf("ratio kata/runc throughput: %.2f\n", throughput_ratio(kata, runc));
  std::printf("ratio kata/runc latency: %.2f\n", kata.ms / runc.ms);
  std::printf("plumbing cost kata/kata-direct throughput: %.2f\n", plumbing_tp);
  std::printf("plumbing cost kata/kata-direct latency: %.2f\n", plumbing_ms);
  std::printf("plumbing within 10 %%: %s\n",
              plumbing_tp >= 0.90 && plumbing_ms <= 1.10 ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  Result<Options> o = parse_options(argc, argv);
  if (!o) return fail(o.error().message());
  log::set_level(log::Level::kError);
  e2e::EnvOptions options = e2e::default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
  options.extra_hypervisor_toml = "machine_type = \"" + o->machine + "\"";
  std::string shim = options.shim_dir + "/containerd-shim-kata-v2";
  if (!fs::exists(shim)) return fail("no `" + shim + "`: build the project first");

  std::set<std::string> links_before = host_links();
  Results r;
  Status done = [&]() -> Status {
    KATA_ASSIGN_OR_RETURN(auto env, e2e::ContainerdEnv::start(options));
    KATA_ASSIGN_OR_RETURN(auto cni, e2e::CniEnv::install(env->dir()));
    Status ran = run(*env, *cni, *o, r);
    env.reset();  // before the bridge goes: no task may hold a port of it
    return ran;
  }();
  if (!done) return fail(done.error().message());
  if (std::string left = leftover_links(links_before); !left.empty())
    return fail("host links left behind:" + left);
  print_summary(r, *o);
  return 0;
}
