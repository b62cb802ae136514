// What a kubelet asks of a pod's containers besides starting them (issue 12, item 3),
// through containerd's CRI plugin under the `runc` and `kata` handlers with the same
// observations: ExecSync (output, exit code, timeout), ContainerStats, StopContainer's
// grace period, UpdateContainerResources, OOMKilled and the security context (user,
// groups, read-only rootfs, capabilities). Every pod leak-checked (cri_fixture.h).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/cri_fixture.h"
#include "e2e/leak_check.h"
#include "sys/proc_scan.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using CriKubeletTest = CriPodFixture;

// The cgroup of `pid` in the v1 hierarchy holding `controller` ("" if none).
std::string cgroup_of(pid_t pid, const std::string& controller) {
  Result<std::string> text = fs::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  for (const std::string& line : text ? split(*text, '\n') : std::vector<std::string>{}) {
    std::vector<std::string> f = split(line, ':', false);
    std::vector<std::string> names = f.size() == 3 ? split(f[1], ',') : std::vector<std::string>{};
    if (std::find(names.begin(), names.end(), controller) != names.end()) return f[2];
  }
  return "";
}

std::string read_trimmed(const std::string& path) {
  Result<std::string> text = fs::read_file(path);
  return text ? std::string(trim(*text)) : "unreadable: " + text.error().message();
}

// The host processes that run pod `pod_id`, by what they are: under runc its pause
// process (from the verbose status), under Kata++ the shim, virtiofsd (two: it forks a
// worker) and QEMU.
std::map<pid_t, std::string> host_pids(cri::CriClient& cri, const std::string& pod_id, bool kata) {
  std::map<pid_t, std::string> pids;
  if (kata) {
    for (const sys::ProcessMention& p : sys::processes_mentioning(pod_id)) {
      if (!mentions_id(p.cmdline, pod_id)) continue;
      // The first that matches: QEMU's command line names virtiofsd's socket too.
      for (const char* name : {"qemu-system", "virtiofsd", "containerd-shim-kata-v2"}) {
        if (p.cmdline.find(name) == std::string::npos) continue;
        pids[p.pid] = name;
        break;
      }
    }
    return pids;
  }
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod_id);
  req.set_verbose(true);
  Result<v1::PodSandboxStatusResponse> status =
      cri.call(&cri::CriClient::Runtime::PodSandboxStatus, "PodSandboxStatus", req);
  if (!status || !status->info().count("info")) return pids;
  nlohmann::json info = nlohmann::json::parse(status->info().at("info"), nullptr, false);
  if (!info.is_discarded() && info.value("pid", 0) > 0) pids[info.value("pid", 0)] = "pause";
  return pids;
}

TEST_P(CriKubeletTest, ExecSyncReturnsOutputExitCodeAndHonoursItsTimeout) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("exec", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app = start_container(pod_id, pod, "app", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));

  Result<v1::ExecSyncResponse> r =
      cri().exec_sync(app, {"sh", "-c", "echo out; echo err >&2; exit 7"}, 30);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code(), 7);
  EXPECT_EQ(r->stdout(), "out\n");
  EXPECT_EQ(r->stderr(), "err\n");

  // A command that outlives its timeout: an error naming the timeout, soon after it.
  auto start = Clock::now();
  r = cri().exec_sync(app, {"sleep", "60"}, 2);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_FALSE(r) << "exit " << r->exit_code();
  EXPECT_NE(r.error().message().find("timeout"), std::string::npos) << r.error().message();
  EXPECT_LT(secs, 30) << "ExecSync ran well past its 2 s timeout";
  // The container goes on.
  EXPECT_EQ(exec(app, {"echo", "alive"}), "alive");
}

TEST_P(CriKubeletTest, StatsShowCpuAndMemoryOfTheContainer) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("stats", &pod);
  ASSERT_FALSE(pod_id.empty());
  // Some CPU, and 16 MiB held in a shell variable.
  std::string app = start_container(
      pod_id, pod, "app",
      {"sh", "-c",
       "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; "
       "x=$(head -c 16777216 /dev/zero | tr '\\0' x); echo ready; exec sleep 3600"});
  ASSERT_NE(wait_for_log("app/0.log", "ready").find("ready"), std::string::npos);

  v1::ContainerStatsRequest req;
  req.set_container_id(app);
  Result<v1::ContainerStatsResponse> stats =
      cri().call(&cri::CriClient::Runtime::ContainerStats, "ContainerStats", req);
  ASSERT_TRUE(stats) << stats.error().message();
  const v1::ContainerStats& s = stats->stats();
  EXPECT_EQ(s.attributes().id(), app);
  EXPECT_GT(s.cpu().usage_core_nano_seconds().value(), 10'000'000u) << "less than 10 ms of CPU";
  EXPECT_GT(s.memory().working_set_bytes().value(), 0u);
  EXPECT_GT(s.cpu().timestamp(), 0);

  v1::ListContainerStatsRequest list;
  list.mutable_filter()->set_pod_sandbox_id(pod_id);
  Result<v1::ListContainerStatsResponse> all =
      cri().call(&cri::CriClient::Runtime::ListContainerStats, "ListContainerStats", list);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->stats_size(), 1);
  EXPECT_EQ(all->stats(0).attributes().id(), app);
}

TEST_P(CriKubeletTest, StopContainerKillsAfterItsGracePeriod) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("grace", &pod);
  ASSERT_FALSE(pod_id.empty());
  // PID 1 that ignores SIGTERM, and one that ends on it.
  std::string stubborn = start_container(
      pod_id, pod, "stubborn", {"sh", "-c", "trap '' TERM; echo armed; while :; do sleep 1; done"});
  std::string polite =
      start_container(pod_id, pod, "polite",
                      {"sh", "-c", "trap 'exit 42' TERM; echo armed; while :; do sleep 1; done"});
  ASSERT_NE(wait_for_log("stubborn/0.log", "armed").find("armed"), std::string::npos);
  ASSERT_NE(wait_for_log("polite/0.log", "armed").find("armed"), std::string::npos);

  auto start = Clock::now();
  ASSERT_TRUE(cri().stop_container(stubborn, 3));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(secs, 2.5) << "killed before its 3 s grace period";
  EXPECT_LT(secs, 20);
  Result<v1::ContainerStatus> st = cri().container_status(stubborn);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st->exit_code(), 137);

  ASSERT_TRUE(cri().stop_container(polite, 30));
  st = cri().container_status(polite);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code(), 42);
  EXPECT_EQ(st->reason(), "Error");
  // Stopping again is no error.
  EXPECT_TRUE(cri().stop_container(polite, 30));
}

TEST_P(CriKubeletTest, OutOfMemoryIsReportedAsOomKilled) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("oom", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string hog =
      start_container(pod_id, pod, "hog",
                      {"sh", "-c", "x=$(head -c 268435456 /dev/zero | tr '\\0' x); echo survived"},
                      0, [](v1::ContainerConfig& c) {
                        c.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(32 << 20);
                      });
  Result<v1::ContainerStatus> st = cri::wait_for_state(cri(), hog, v1::CONTAINER_EXITED, 120s);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->reason(), "OOMKilled") << "exit " << st->exit_code() << ", " << st->message();
  EXPECT_NE(st->exit_code(), 0);
}

TEST_P(CriKubeletTest, UpdateContainerResourcesReachesTheContainersCgroup) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("update", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app = start_container(pod_id, pod, "app", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));

  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(app);
  req.mutable_linux()->set_memory_limit_in_bytes(96 << 20);
  req.mutable_linux()->set_cpu_period(100000);
  req.mutable_linux()->set_cpu_quota(50000);
  Result<v1::UpdateContainerResourcesResponse> updated = cri().call(
      &cri::CriClient::Runtime::UpdateContainerResources, "UpdateContainerResources", req);
  ASSERT_TRUE(updated) << updated.error().message();

  // As the container sees its cgroup: v2 in the guest, v1 on this (hybrid) host.
  std::string memory = exec(app, {"sh", "-c",
                                  "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                  "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"});
  EXPECT_EQ(memory, std::to_string(96 << 20));
  std::string cpu = exec(app, {"sh", "-c",
                               "cat /sys/fs/cgroup/cpu.max 2>/dev/null || "
                               "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"});
  EXPECT_TRUE(cpu == "50000 100000" || cpu == "50000") << cpu;
  Result<v1::ContainerStatus> st = cri().container_status(app);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->resources().linux().memory_limit_in_bytes(), 96 << 20);
}

// Kata's sandbox_cgroup_only: the pod's processes on the host live in the pod's cgroup, as
// runc's pause does, and the pod's limits bound them there too. The hierarchy below a
// cgroup_parent of the test's own stands for the kubelet's /kubepods/pod<uid>.
TEST_P(CriKubeletTest, PodsHostProcessesLiveInThePodCgroupAndFollowItsLimits) {
  const std::string parent = "/kata-e2e-" + std::to_string(::getpid()) + "-" + handler_;
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("hostcg", &pod, [&](v1::PodSandboxConfig& c) {
    c.mutable_linux()->set_cgroup_parent(parent);
  });
  ASSERT_FALSE(pod_id.empty());
  const std::string pod_cgroup = parent + "/" + pod_id;
  std::map<pid_t, std::string> pids = host_pids(cri(), pod_id, kata());
  std::set<std::string> kinds;
  for (const auto& [pid, kind] : pids) {
    kinds.insert(kind);
    for (const char* controller : {"memory", "cpu", "cpuset", "pids"})
      EXPECT_EQ(cgroup_of(pid, controller), pod_cgroup) << kind << " " << pid << ", " << controller;
  }
  EXPECT_EQ(kinds.size(), kata() ? 3u : 1u)
      << "the shim, virtiofsd and QEMU, or runc's pause; found "
      << fmt::format("{}", fmt::join(kinds, ", "));

  std::string app =
      start_container(pod_id, pod, "app", {"sleep", "3600"}, 0, [](v1::ContainerConfig& c) {
        c.mutable_linux()->mutable_resources()->set_cpu_period(100000);
        c.mutable_linux()->mutable_resources()->set_cpu_quota(50000);
        c.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
      });
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));
  // Where the app's processes are bounded on the host: runc's container cgroup, or the
  // pod cgroup that holds the VM.
  const std::string bound = "/sys/fs/cgroup/%s" + (kata() ? pod_cgroup : parent + "/" + app);
  auto file = [&](const char* hierarchy, const char* name) {
    std::string path = bound;
    path.replace(path.find("%s"), 2, hierarchy);
    return read_trimmed(path + "/" + name);
  };
  EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "50000");
  const int64_t unlimited = 0x7ffffffffffff000;
  int64_t memory = std::stoll(file("memory", "memory.limit_in_bytes"));
  EXPECT_GE(memory, 64 << 20);
  EXPECT_LT(memory, unlimited) << "the host side of the pod has no memory limit";

  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(app);
  req.mutable_linux()->set_cpu_period(100000);
  req.mutable_linux()->set_cpu_quota(20000);
  req.mutable_linux()->set_memory_limit_in_bytes(int64_t{8} << 30);
  Result<v1::UpdateContainerResourcesResponse> updated = cri().call(
      &cri::CriClient::Runtime::UpdateContainerResources, "UpdateContainerResources", req);
  ASSERT_TRUE(updated) << updated.error().message();
  EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "20000");
  memory = std::stoll(file("memory", "memory.limit_in_bytes"));
  EXPECT_GE(memory, int64_t{8} << 30);
  EXPECT_LT(memory, unlimited);

  // Removed with the pod (the leak check looks for any cgroup named after it); the
  // parent stays, as the kubelet's would, and is the test's to remove.
  ASSERT_TRUE(cri().stop_pod(pod_id));
  ASSERT_TRUE(cri().remove_pod(pod_id));
  removed_by_test(pod_id);
  for (const char* hierarchy : {"memory", "cpu", "cpuset", "pids"}) {
    std::string dir = std::string("/sys/fs/cgroup/") + hierarchy + parent;
    EXPECT_FALSE(fs::exists(dir + "/" + pod_id)) << dir << "/" + pod_id;
    EXPECT_EQ(::rmdir(dir.c_str()), 0) << dir << " holds more than the pod's cgroup";
  }
  // The parent in every other hierarchy (blkio, devices, freezer, name=systemd...) too.
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    ::rmdir((entry.path().string() + parent).c_str());
  }
}

TEST_P(CriKubeletTest, SecurityContextIsAppliedAsUnderRunc) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("secctx", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app =
      start_container(pod_id, pod, "app", {"sleep", "3600"}, 0, [](v1::ContainerConfig& c) {
        v1::LinuxContainerSecurityContext* sc = c.mutable_linux()->mutable_security_context();
        sc->mutable_run_as_user()->set_value(1000);
        sc->mutable_run_as_group()->set_value(1000);
        sc->add_supplemental_groups(2000);
        sc->set_readonly_rootfs(true);
        sc->mutable_capabilities()->add_drop_capabilities("ALL");
        sc->mutable_capabilities()->add_add_capabilities("NET_BIND_SERVICE");
      });
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));
  EXPECT_EQ(exec(app, {"id", "-u"}), "1000");
  EXPECT_EQ(exec(app, {"id", "-g"}), "1000");
  std::string groups = exec(app, {"id", "-G"});
  EXPECT_NE(groups.find("2000"), std::string::npos) << groups;
  // CAP_NET_BIND_SERVICE (bit 10) only, in the bounding set.
  std::string status = exec(app, {"cat", "/proc/self/status"});
  EXPECT_NE(status.find("CapBnd:\t0000000000000400"), std::string::npos) << status;
  Result<v1::ExecSyncResponse> touch = cri().exec_sync(app, {"touch", "/written"}, 30);
  ASSERT_TRUE(touch) << touch.error().message();
  EXPECT_NE(touch->exit_code(), 0) << "the read-only rootfs took a write";
  EXPECT_NE(touch->stderr().find("Read-only file system"), std::string::npos) << touch->stderr();
}

// The workload is PID 1 of its namespace and installs its handler a moment after exec; a
// StopContainer right after StartContainer returned must still reach it, every time. Many
// rounds in one pod: the VM's boot is not what this is about (containerd_fault_test runs
// fewer rounds, each its own VM, through `ctr run -d`).
TEST_P(CriKubeletTest, SigtermRightAfterStartReachesTheHandlerEveryTime) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("sigterm", &pod);
  ASSERT_FALSE(pod_id.empty());
  constexpr int kRounds = 60;
  int lost = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::string id = start_container(
        pod_id, pod, "trap", {"sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done"}, i);
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(cri().stop_container(id, 10));
    Result<v1::ContainerStatus> st = cri().container_status(id);
    ASSERT_TRUE(st) << st.error().message();
    if (st->exit_code() != 7) ++lost;
    ASSERT_TRUE(cri().remove_container(id));
  }
  EXPECT_EQ(lost, 0) << lost << " of " << kRounds << " SIGTERMs were lost";
}

// The kubelet rotates a container's log by renaming it and asking for ReopenContainerLog:
// the output goes on into a new file of the old name.
TEST_P(CriKubeletTest, LogsAreReopenedAfterRotation) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("logs", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app =
      start_container(pod_id, pod, "app",
                      {"sh", "-c", "i=0; while :; do echo line-$i; i=$((i+1)); sleep 0.2; done"});
  ASSERT_NE(wait_for_log("app/0.log", "line-2").find("line-2"), std::string::npos);
  std::string log = log_dir_ + "/app/0.log";
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  v1::ReopenContainerLogRequest req;
  req.set_container_id(app);
  Result<v1::ReopenContainerLogResponse> reopened =
      cri().call(&cri::CriClient::Runtime::ReopenContainerLog, "ReopenContainerLog", req);
  ASSERT_TRUE(reopened) << reopened.error().message();
  std::string fresh = wait_for_log("app/0.log", " stdout F line-");
  EXPECT_NE(fresh.find(" stdout F line-"), std::string::npos) << fresh;
  EXPECT_EQ(fresh.find("line-0\n"), std::string::npos) << "the new file repeats the old one";
  Result<std::string> rotated = fs::read_file(log + ".1");
  ASSERT_TRUE(rotated);
  EXPECT_NE(rotated->find("line-0"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Handlers, CriKubeletTest, ::testing::Values("runc", "kata"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kata::e2e
