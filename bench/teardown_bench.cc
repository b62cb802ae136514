// bench/teardown: N Kata++ sandboxes (`ctr run -d ... sleep`) started at once through a
// private containerd, then deleted at once (`ctr task rm -f` + `ctr container rm`, one
// thread each). Prints the start times, the median and the slowest single delete and,
// last, `ratio parallel/serial delete: X.XX`: the slowest delete of the N against one
// delete measured alone in the same run. Also the host's CPU use meanwhile and the wall
// time of the N at once against N deletes one after another: on a host with fewer
// cores than sandboxes the deletes are bound by CPU, and that line shows whether
// anything else serialises them. Ends with a leak check of every sandbox.
//
//   teardown_bench [--sandboxes N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bare_boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "e2e/containerd_env.h"
#include "e2e/leak_check.h"

namespace {

using namespace kata;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `one(i)` for i in [0, n) on n threads at once; the results in order.
std::vector<Result<double>> all_at_once(int n, const std::function<Result<double>(int)>& one) {
  std::vector<Result<double>> results(n, Result<double>(0.0));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { results[i] = one(i); });
  for (auto& t : threads) t.join();
  return results;
}

Result<double> start_sandbox(const e2e::ContainerdEnv& env, const std::string& id) {
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult r, env.ctr({"run", "-d", "--runtime", e2e::kKataRuntime,
                                                   env.image(), id, "sleep", "3600"},
                                                  600s));
  if (r.exit_code != 0) return Error(Code::kInternal, "start " + id + ": " + r.describe());
  return seconds_since(start);
}

Result<double> delete_sandbox(const e2e::ContainerdEnv& env, const std::string& id) {
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult rm, env.ctr({"task", "rm", "-f", id}, 600s));
  if (rm.exit_code != 0) return Error(Code::kInternal, "task rm -f " + id + ": " + rm.describe());
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult crm, env.ctr({"container", "rm", id}, 600s));
  if (crm.exit_code != 0)
    return Error(Code::kInternal, "container rm " + id + ": " + crm.describe());
  return seconds_since(start);
}

// The values, or the first error.
Result<std::vector<double>> values(const std::vector<Result<double>>& results) {
  std::vector<double> out;
  for (const Result<double>& r : results) {
    if (!r) return r.error();
    out.push_back(*r);
  }
  return out;
}

// Busy and total jiffies of all CPUs so far (/proc/stat's first line).
std::pair<uint64_t, uint64_t> cpu_jiffies() {
  Result<std::string> stat = fs::read_file("/proc/stat");
  uint64_t busy = 0, total = 0;
  if (!stat) return {0, 0};
  std::vector<std::string> f = split(stat->substr(0, stat->find('\n')), ' ');
  for (size_t i = 1; i < f.size(); ++i) {
    uint64_t v = std::strtoull(f[i].c_str(), nullptr, 10);
    total += v;
    if (i != 4 && i != 5) busy += v;  // idle and iowait are not work
  }
  return {busy, total};
}

double slowest(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

int fail(const std::string& message) {
  std::fprintf(stderr, "teardown_bench: %s\n", message.c_str());
  return 1;
}

// What one batch (N sandboxes at once) measured: each one's time and the whole wall.
struct Batch {
  std::vector<double> each;
  double wall = 0;
};

// Runs `one` on every id at once; on any failure every sandbox is removed.
Result<Batch> batch(const e2e::ContainerdEnv& env, const std::vector<std::string>& ids,
                    Result<double> (*one)(const e2e::ContainerdEnv&, const std::string&)) {
  auto at = Clock::now();
  Result<std::vector<double>> each = values(all_at_once(
      static_cast<int>(ids.size()), [&](int i) { return one(env, ids[static_cast<size_t>(i)]); }));
  double wall = seconds_since(at);
  if (!each) {
    for (const std::string& id : ids) env.force_remove(id);
    return each.error();
  }
  return Batch{std::move(*each), wall};
}

// Sandboxes of which something is left, each described on stderr.
int count_leaks(const e2e::ContainerdEnv& env, const std::vector<std::string>& ids,
                const std::set<std::string>& sockets_before) {
  int leaks = 0;
  for (const std::string& id : ids) {
    e2e::LeakReport report = e2e::wait_for_no_leaks(id, env.address(), env.ns(), sockets_before);
    if (report.clean()) continue;
    ++leaks;
    std::fprintf(stderr, "sandbox %s:%s\n", id.c_str(), report.describe().c_str());
  }
  return leaks;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--sandboxes") n = std::atoi(argv[i + 1]);
  if (n < 1) return fail("--sandboxes must be at least 1");
  log::set_level(log::Level::kError);
  auto env = e2e::ContainerdEnv::start(e2e::default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
  if (!env) return fail(env.error().message());
  e2e::ContainerdEnv& e = **env;
  auto sockets_before = e2e::shim_socket_snapshot();

  // One delete alone: the reference.
  std::string alone = e.unique_id("td-alone");
  if (Result<double> s = start_sandbox(e, alone); !s) return fail(s.error().message());
  Result<double> single = delete_sandbox(e, alone);
  if (!single) return fail(single.error().message());

  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(e.unique_id("td"));
  Result<Batch> starts = batch(e, ids, start_sandbox);
  if (!starts) return fail(starts.error().message());
  std::printf("%d sandboxes started at once in %.2f s (median start %.2f s, slowest %.2f s)\n", n,
              starts->wall, bench::median(starts->each), slowest(starts->each));

  auto [busy_before, total_before] = cpu_jiffies();
  Result<Batch> deletes = batch(e, ids, delete_sandbox);
  auto [busy_after, total_after] = cpu_jiffies();
  if (!deletes) return fail(deletes.error().message());
  double busy_share = total_after > total_before
                          ? static_cast<double>(busy_after - busy_before) /
                                static_cast<double>(total_after - total_before)
                          : 0.0;
  int leaks = count_leaks(e, ids, sockets_before);
  std::printf("one delete alone: %.3f s\n", *single);
  std::printf("%d deletes at once: all done in %.3f s, median %.3f s, slowest %.3f s\n", n,
              deletes->wall, bench::median(deletes->each), slowest(deletes->each));
  std::printf("host CPU busy during the parallel deletes: %.0f%% of %u cores\n", busy_share * 100,
              std::thread::hardware_concurrency());
  // Below 1: nothing serialises the deletes beyond the CPU they need.
  std::printf("all at once against one after another (%d x one alone): %.2f\n", n,
              deletes->wall / (n * *single));
  std::printf("sandboxes left behind: %d\n", leaks);
  std::printf("ratio parallel/serial delete: %.2f\n", slowest(deletes->each) / *single);
  return leaks == 0 ? 0 : 1;
}
