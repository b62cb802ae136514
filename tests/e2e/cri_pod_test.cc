// Kubernetes pods (issue 12) through containerd's CRI plugin (Debian's containerd 1.6)
// and our runtime.v1 client (tests/cri), as a kubelet drives them, under the `runc`
// handler (the reference) and the `kata` handler (io.containerd.kata.v2) with the same
// observations: the pod's containers share its network, IPC and UTS namespaces and its
// sysctls, each has its own mount and PID namespace; exits are reported with CRI's reasons;
// logs are written in CRI's format; a container restarts in its pod. Under Kata++ the pod
// is one VM. After every pod: no process, mount, socket or state directory of it remains,
// and no network namespace CRI made.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/cri_fixture.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

using CriPodTest = CriPodFixture;

TEST_P(CriPodTest, PodOfThreeContainersSharesItsNamespacesAndOneVm) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("trio", &pod, [](v1::PodSandboxConfig& c) {
    (*c.mutable_linux()->mutable_sysctls())["kernel.shm_rmid_forced"] = "1";
  });
  ASSERT_FALSE(pod_id.empty());
  Result<v1::PodSandboxStatus> status = cri().pod_status(pod_id);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->state(), v1::SANDBOX_READY);
  std::string pod_ip = status->network().ip();
  EXPECT_TRUE(starts_with(pod_ip, env().cri_subnet().substr(0, env().cri_subnet().rfind('.'))))
      << "pod IP " << pod_ip << " is not in " << env().cri_subnet();

  std::string web =
      start_container(pod_id, pod, "web", {"sh", "-c", "echo started; exec sleep 3600"});
  std::string side = start_container(pod_id, pod, "side", {"sleep", "3600"});
  std::string once = start_container(pod_id, pod, "once", {"sh", "-c", "echo done; exit 3"});
  ASSERT_FALSE(web.empty() || side.empty() || once.empty());

  Result<v1::ContainerStatus> ended = cri::wait_for_state(cri(), once, v1::CONTAINER_EXITED, 60s);
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_EQ(ended->exit_code(), 3);
  EXPECT_EQ(ended->reason(), "Error");
  for (const std::string& id : {web, side}) {
    Result<v1::ContainerStatus> running =
        cri::wait_for_state(cri(), id, v1::CONTAINER_RUNNING, 30s);
    EXPECT_TRUE(running) << running.error().message();
  }

  // UTS and IPC are the pod's, and so is its sysctl; mount and PID namespaces are each one's.
  for (const std::string& id : {web, side}) {
    EXPECT_EQ(exec(id, {"hostname"}), pod.hostname());
    EXPECT_EQ(exec(id, {"cat", "/proc/sys/kernel/shm_rmid_forced"}), "1");
  }
  EXPECT_EQ(exec(web, {"readlink", "/proc/self/ns/ipc"}),
            exec(side, {"readlink", "/proc/self/ns/ipc"}));
  EXPECT_EQ(exec(web, {"readlink", "/proc/self/ns/uts"}),
            exec(side, {"readlink", "/proc/self/ns/uts"}));
  EXPECT_NE(exec(web, {"readlink", "/proc/self/ns/mnt"}),
            exec(side, {"readlink", "/proc/self/ns/mnt"}));
  EXPECT_NE(exec(web, {"readlink", "/proc/self/ns/pid"}),
            exec(side, {"readlink", "/proc/self/ns/pid"}));
  // The network is the pod's CNI interface.
  EXPECT_NE(exec(side, {"cat", "/proc/net/fib_trie"}).find(pod_ip), std::string::npos);

  // One VM for the whole pod under Kata++, none under runc.
  Result<std::string> host_version = fs::read_file("/proc/version");
  ASSERT_TRUE(host_version);
  std::string version = exec(web, {"cat", "/proc/version"});
  EXPECT_EQ(qemu_pids(pod_id).size(), kata() ? 1u : 0u);
  if (kata()) {
    EXPECT_NE(version, std::string(trim(*host_version)))
        << "the container runs on the host's kernel";
  } else {
    EXPECT_EQ(version, std::string(trim(*host_version)));
  }

  // CRI's log format: "<RFC 3339 time> stdout F <line>".
  EXPECT_NE(wait_for_log("web/0.log", " stdout F started").find(" stdout F started"),
            std::string::npos);
  EXPECT_NE(wait_for_log("once/0.log", " stdout F done").find(" stdout F done"), std::string::npos);

  // Stopping the pod stops its containers and its VM.
  ASSERT_TRUE(cri().stop_pod(pod_id));
  for (const std::string& id : {web, side}) {
    Result<v1::ContainerStatus> st = cri().container_status(id);
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(st->state(), v1::CONTAINER_EXITED) << id;
  }
  status = cri().pod_status(pod_id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state(), v1::SANDBOX_NOTREADY);
}

TEST_P(CriPodTest, ContainerRestartsInItsPod) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("restart", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string first = start_container(pod_id, pod, "app", {"sh", "-c", "echo run; exit 0"});
  ASSERT_FALSE(first.empty());
  Result<v1::ContainerStatus> done = cri::wait_for_state(cri(), first, v1::CONTAINER_EXITED, 60s);
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->exit_code(), 0);
  EXPECT_EQ(done->reason(), "Completed");
  // With its only app container gone, the pod keeps its VM.
  std::vector<pid_t> vm = qemu_pids(pod_id);
  EXPECT_EQ(vm.size(), kata() ? 1u : 0u);
  ASSERT_TRUE(cri().remove_container(first));

  // The kubelet's restart: attempt 1 of the same container, in the same pod (and VM).
  std::string second =
      start_container(pod_id, pod, "app", {"sh", "-c", "echo again; exec sleep 3600"}, 1);
  ASSERT_FALSE(second.empty());
  Result<v1::ContainerStatus> running =
      cri::wait_for_state(cri(), second, v1::CONTAINER_RUNNING, 30s);
  ASSERT_TRUE(running) << running.error().message();
  EXPECT_EQ(exec(second, {"hostname"}), pod.hostname());
  EXPECT_EQ(qemu_pids(pod_id), vm);
  EXPECT_NE(wait_for_log("app/1.log", " stdout F again").find("again"), std::string::npos);
}

// The kubelet gives the pod's limits (the sum of its containers') in
// LinuxPodSandboxConfig.resources; containerd puts them on the sandbox container as the
// io.kubernetes.cri.sandbox-* annotations, and Kata++ sizes the VM from them at boot.
// Under runc the containers see the node.
TEST_P(CriPodTest, PodLimitsSizeItsVm) {
  v1::PodSandboxConfig plain_pod, sized_pod;
  std::string plain = run_pod("unsized", &plain_pod);
  std::string sized = run_pod("sized", &sized_pod, [](v1::PodSandboxConfig& c) {
    v1::LinuxContainerResources* r = c.mutable_linux()->mutable_resources();
    r->set_memory_limit_in_bytes(256ll << 20);
    r->set_cpu_quota(100000);
    r->set_cpu_period(100000);
  });
  ASSERT_FALSE(plain.empty() || sized.empty());
  const std::vector<std::string> probe = {"sh", "-c", "grep MemTotal /proc/meminfo; nproc"};
  std::string a = start_container(plain, plain_pod, "probe", {"sleep", "3600"});
  std::string b = start_container(sized, sized_pod, "probe", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), a, v1::CONTAINER_RUNNING, 30s));
  ASSERT_TRUE(cri::wait_for_state(cri(), b, v1::CONTAINER_RUNNING, 30s));
  auto parse = [](const std::string& out) {
    std::vector<std::string> words = split(out, ' '), lines = split(out, '\n');
    return std::pair<long, long>{words.size() > 1 ? std::atol(words[1].c_str()) : 0,
                                 lines.size() > 1 ? std::atol(lines[1].c_str()) : 0};
  };
  std::string plain_out = exec(a, probe), sized_out = exec(b, probe);
  auto [plain_kb, plain_cpus] = parse(plain_out);
  auto [sized_kb, sized_cpus] = parse(sized_out);
  ASSERT_GT(plain_kb, 0) << plain_out;
  ASSERT_GT(plain_cpus, 0) << plain_out;
  if (!kata()) {
    EXPECT_EQ(sized_kb, plain_kb) << plain_out << "\n" << sized_out;
    EXPECT_EQ(sized_cpus, plain_cpus) << plain_out << "\n" << sized_out;
    return;
  }
  // 256 MiB more guest RAM, less the kernel's page structures for it (about 1.6 %).
  long grown_mib = (sized_kb - plain_kb) / 1024;
  EXPECT_GE(grown_mib, 240) << plain_out << "\n" << sized_out;
  EXPECT_LE(grown_mib, 256) << plain_out << "\n" << sized_out;
  long host_cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(sized_cpus, std::min(plain_cpus + 1, std::max(plain_cpus, host_cpus)))
      << plain_out << "\n"
      << sized_out;
}

// Kata's sizing annotations, passed by containerd's pod_annotations: the VM gets the
// pod's default_memory; an annotation [hypervisor.qemu] enable_annotations does not allow
// (one naming a host program) fails RunPodSandbox by name. runc has no use for either.
TEST_P(CriPodTest, KataAnnotationsSizeThePodsVmOnlyWhenEnabled) {
  const std::string prefix = "io.katacontainers.config.hypervisor.";
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("annotated", &pod, [&](v1::PodSandboxConfig& c) {
    (*c.mutable_annotations())[prefix + "default_memory"] = "1024";
  });
  ASSERT_FALSE(pod_id.empty());
  std::string probe = start_container(pod_id, pod, "probe", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), probe, v1::CONTAINER_RUNNING, 30s));
  std::string out = exec(probe, {"sh", "-c", "grep MemTotal /proc/meminfo"});
  std::vector<std::string> words = split(out, ' ');
  long mib = words.size() > 1 ? std::atol(words[1].c_str()) / 1024 : 0;
  if (kata()) {
    // 1024 MiB less what the guest kernel keeps for itself.
    EXPECT_GT(mib, 900) << out;
    EXPECT_LE(mib, 1024) << out;
  } else {
    EXPECT_GT(mib, 1024) << "runc's container sees the host: " << out;
  }

  v1::PodSandboxConfig hostile = cri::pod_config(env().unique_id("hostile-" + handler_), log_dir_);
  (*hostile.mutable_annotations())[prefix + "path"] = "/bin/sh";
  Result<std::string> refused = cri().run_pod(hostile, handler_);
  if (kata()) {
    ASSERT_FALSE(refused) << "a pod chose the host program QEMU runs as";
    EXPECT_NE(refused.error().message().find(prefix + "path"), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("enable_annotations"), std::string::npos)
        << refused.error().message();
  } else {
    ASSERT_TRUE(refused) << refused.error().message();
    pods_.push_back(*refused);
  }
}

// shareProcessNamespace: the pod's containers see each other's processes, the pause
// process as PID 1; without it each sees only its own.
TEST_P(CriPodTest, SharedProcessNamespaceShowsThePodsProcesses) {
  v1::PodSandboxConfig shared, own;
  std::string shared_pod = run_pod("sharepid", &shared, [](v1::PodSandboxConfig& c) {
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
  });
  std::string own_pod = run_pod("ownpid", &own);
  ASSERT_FALSE(shared_pod.empty() || own_pod.empty());
  std::string a = start_container(shared_pod, shared, "a", {"sleep", "1001"});
  std::string b = start_container(shared_pod, shared, "b", {"sleep", "1002"});
  std::string c = start_container(own_pod, own, "c", {"sleep", "1003"});
  for (const std::string& id : {a, b, c})
    ASSERT_TRUE(cri::wait_for_state(cri(), id, v1::CONTAINER_RUNNING, 30s)) << id;

  std::string seen = exec(b, {"ps", "-o", "pid,args"});
  EXPECT_NE(seen.find("sleep 1001"), std::string::npos) << seen;
  EXPECT_NE(seen.find("/pause"), std::string::npos) << seen;
  EXPECT_EQ(exec(b, {"cat", "/proc/1/cmdline"}), std::string("/pause", 7));  // NUL-ended
  seen = exec(c, {"ps", "-o", "pid,args"});
  EXPECT_EQ(seen.find("/pause"), std::string::npos) << seen;
  EXPECT_NE(seen.find("sleep 1003"), std::string::npos) << seen;
}

TEST_P(CriPodTest, HostNamespacesAreSharedByRuncAndRefusedByKata) {
  for (const char* field : {"network", "pid", "ipc"}) {
    v1::PodSandboxConfig config = cri::pod_config(env().unique_id("host-" + handler_), log_dir_);
    v1::NamespaceOption* ns =
        config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
    if (std::string(field) == "network") {
      ns->set_network(v1::NODE);
      config.clear_hostname();  // a host-network pod has the node's
    }
    if (std::string(field) == "pid") ns->set_pid(v1::NODE);
    if (std::string(field) == "ipc") ns->set_ipc(v1::NODE);
    Result<std::string> id = cri().run_pod(config, handler_);
    if (id) pods_.push_back(*id);
    if (kata()) {
      ASSERT_FALSE(id) << field << ": a host namespace accepted by the kata handler";
      EXPECT_NE(id.error().message().find(std::string("`") + field + "`"), std::string::npos)
          << id.error().message();
    } else {
      EXPECT_TRUE(id) << field << ": " << id.error().message();
    }
  }
}

TEST_P(CriPodTest, KilledVmEndsThePodsContainers) {
  if (!kata()) GTEST_SKIP() << "QEMU is Kata++'s";
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("killed", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app = start_container(pod_id, pod, "app", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));
  std::vector<pid_t> vm = qemu_pids(pod_id);
  ASSERT_EQ(vm.size(), 1u);
  ASSERT_EQ(::kill(vm[0], SIGKILL), 0);
  Result<v1::ContainerStatus> ended = cri::wait_for_state(cri(), app, v1::CONTAINER_EXITED, 60s);
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_NE(ended->exit_code(), 0);
}

// A node's containerd restarts (it reconnects to the shims and finds the same pods), then
// the pod's sandbox process exits: the pod is no longer ready, but its app container, and
// under Kata++ its VM, go on until the kubelet stops the pod.
TEST_P(CriPodTest, PodOutlivesAContainerdRestartAndItsSandboxProcess) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("restart-ctd", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string app = start_container(pod_id, pod, "app", {"sleep", "3600"});
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));
  std::vector<pid_t> vm = qemu_pids(pod_id);

  Result<void> restarted = env().restart();
  ASSERT_TRUE(restarted) << restarted.error().message();
  // Our channel's connection died with the old containerd; gRPC reconnects on the next
  // call, which fails (as a kubelet's would, which retries).
  Result<v1::VersionResponse> version = Error(Code::kUnavailable, "not asked");
  for (int i = 0; i < 50 && !version; ++i, std::this_thread::sleep_for(200ms))
    version = cri().call(&cri::CriClient::Runtime::Version, "Version", v1::VersionRequest());
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(exec(app, {"echo", "still here"}), "still here");
  Result<v1::PodSandboxStatus> status = cri().pod_status(pod_id);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->state(), v1::SANDBOX_READY);

  // The sandbox process (pause; under Kata++ in the guest) is killed.
  Result<CtrResult> killed = env().ctr({"task", "kill", "-s", "SIGKILL", pod_id});
  ASSERT_TRUE(killed && killed->exit_code == 0)
      << (killed ? killed->describe() : killed.error().message());
  for (auto end = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(200ms)) {
    status = cri().pod_status(pod_id);
    if (status && status->state() == v1::SANDBOX_NOTREADY) break;
  }
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state(), v1::SANDBOX_NOTREADY);
  Result<v1::ContainerStatus> st = cri().container_status(app);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(exec(app, {"echo", "alive"}), "alive");
  EXPECT_EQ(qemu_pids(pod_id), vm);
}

// The kubelet's concurrency: pods started together, then stopped and removed together
// while status and stats are polled without pause. Every call answers, in time.
TEST_P(CriPodTest, ConcurrentStartsStopsAndPolls) {
  constexpr int kPods = 3;
  std::vector<v1::PodSandboxConfig> configs;
  for (int i = 0; i < kPods; ++i)
    configs.push_back(cri::pod_config(env().unique_id("concurrent-" + handler_), log_dir_));
  std::vector<std::string> pod_ids(kPods), apps(kPods);
  std::mutex mu;
  std::vector<std::string> errors;
  auto failed = [&](const std::string& what, const Error& e) {
    std::lock_guard lock(mu);
    errors.push_back(what + ": " + e.message());
  };
  auto in_parallel = [&](const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kPods; ++i) threads.emplace_back(fn, i);
    for (std::thread& t : threads) t.join();
  };
  in_parallel([&](int i) {
    Result<std::string> pod = cri().run_pod(configs[i], handler_);
    if (!pod) return failed("RunPodSandbox", pod.error());
    pod_ids[i] = *pod;
    Result<std::string> app = cri().create_container(
        *pod, cri::container_config(configs[i], "app", env().image(), {"sleep", "3600"}),
        configs[i]);
    if (!app) return failed("CreateContainer", app.error());
    apps[i] = *app;
    if (Result<void> started = cri().start_container(*app); !started)
      failed("StartContainer", started.error());
  });
  for (int i = 0; i < kPods; ++i) {
    if (!pod_ids[i].empty()) pods_.push_back(pod_ids[i]);
    if (!apps[i].empty()) containers_.push_back(apps[i]);
  }
  ASSERT_TRUE(errors.empty()) << errors.front();

  // The poller: ContainerStatus, ListContainerStats and PodSandboxStatus in a loop. An
  // answer may be NotFound once a pod is gone; it must never be late or anything else.
  std::atomic<bool> done = false;
  int calls = 0;
  double slowest = 0;
  std::thread poller([&] {
    while (!done) {
      for (int i = 0; i < kPods; ++i) {
        auto start = std::chrono::steady_clock::now();
        Result<v1::ContainerStatus> st = cri().container_status(apps[i]);
        v1::ListContainerStatsRequest list;
        list.mutable_filter()->set_pod_sandbox_id(pod_ids[i]);
        Result<v1::ListContainerStatsResponse> stats =
            cri().call(&cri::CriClient::Runtime::ListContainerStats, "ListContainerStats", list,
                       std::chrono::seconds(30));
        Result<v1::PodSandboxStatus> pod = cri().pod_status(pod_ids[i]);
        slowest = std::max(
            slowest,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        calls += 3;
        for (const Error* e : {st ? nullptr : &st.error(), stats ? nullptr : &stats.error(),
                               pod ? nullptr : &pod.error()})
          if (e && e->code() != Code::kNotFound) failed("poll", *e);
      }
    }
  });
  in_parallel([&](int i) {
    if (Result<void> stopped = cri().stop_pod(pod_ids[i]); !stopped)
      failed("StopPodSandbox", stopped.error());
  });
  in_parallel([&](int i) {
    if (Result<void> removed = cri().remove_pod(pod_ids[i]); !removed)
      failed("RemovePodSandbox", removed.error());
  });
  done = true;
  poller.join();
  for (const std::string& pod : pod_ids) removed_by_test(pod);
  EXPECT_TRUE(errors.empty()) << fmt::format("{}", fmt::join(errors, "\n"));
  EXPECT_GT(calls, 0);
  EXPECT_LT(slowest, 30) << "a status or stats call took " << slowest << " s";
}

INSTANTIATE_TEST_SUITE_P(Handlers, CriPodTest, ::testing::Values("runc", "kata"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kata::e2e
