// Faults through a real containerd (Debian's 1.6) and our shim: each test boots a
// victim sandbox, breaks one of its parts as a crash or a hostile user would, and
// checks that it ends as an exit, that delete cleans up everything of it, and that
// nothing else is touched: a sibling sandbox whose id has the victim's as a prefix
// (booted once for the suite) must still answer exec after every test, and a
// process that only mentions the victim's paths must survive its cleanup.
// Fault model: docs/sandbox-state.md.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/containerd_env.h"
#include "e2e/expect_ctr.h"
#include "e2e/leak_check.h"
#include "runtime/sandbox_state.h"
#include "runtime/service/container_state.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ContainerdEnv> g_env;
std::string g_env_error;

class FaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto env = ContainerdEnv::start(default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
    if (!env) {
      g_env_error = env.error().message();
      return;
    }
    g_env = std::move(*env);
    victim_ = g_env->unique_id("flt");
    sibling_ = victim_ + "-sib";
    Result<CtrResult> r = g_env->ctr(
        {"run", "-d", "--runtime", kKataRuntime, g_env->image(), sibling_, "sleep", "3600"});
    if (!r || r->exit_code != 0) sibling_error_ = r ? r->describe() : r.error().message();
  }
  static void TearDownTestSuite() {
    if (g_env) g_env->force_remove(sibling_);
    g_env.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(g_env) << "containerd did not start: " << g_env_error;
    ASSERT_TRUE(sibling_error_.empty()) << "the sibling sandbox did not start: " << sibling_error_;
    sockets_before_ = shim_socket_snapshot();
  }

  void TearDown() override {
    g_env->force_remove(victim_);
    LeakReport report = wait_for_no_leaks(victim_, g_env->address(), g_env->ns(), sockets_before_);
    EXPECT_TRUE(report.clean()) << "sandbox " << victim_ << ":" << report.describe();
    // The sibling was untouched: its file system and its agent still answer.
    std::string exec_id = "alive-" + std::to_string(++checks_);
    Result<CtrResult> alive =
        g_env->ctr({"task", "exec", "--exec-id", exec_id, sibling_, "cat", "/etc/passwd"}, 60s);
    ASSERT_TRUE(alive) << alive.error().message();
    EXPECT_EQ(alive->exit_code, 0) << "sibling " << sibling_ << ": " << alive->describe();
    EXPECT_NE(alive->out.find("root:"), std::string::npos) << alive->describe();
    EXPECT_TRUE(g_env->healthy()) << "containerd must survive every fault; log:\n"
                                  << g_env->log_tail();
  }

  CtrResult ctr(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 120s) {
    return expect_ctr(*g_env, args, timeout);
  }

  void start_victim() {
    CtrResult r =
        ctr({"run", "-d", "--runtime", kKataRuntime, g_env->image(), victim_, "sleep", "3600"});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\n" << g_env->log_tail();
  }

  runtime::SandboxState victim_state() {
    Result<runtime::SandboxState> state =
        runtime::read_sandbox_state("/run/kata-containers/" + victim_);
    EXPECT_TRUE(state) << state.error().message();
    return state ? *state : runtime::SandboxState{};
  }

  // The status `ctr task ls` shows for the victim ("" when it has no task).
  std::string victim_status() {
    CtrResult r = ctr({"task", "ls"});
    for (const std::string& line : split(r.out, '\n')) {
      std::vector<std::string> f = split(line, ' ');
      if (f.size() >= 3 && f[0] == victim_) return f[2];
    }
    return "";
  }

  void expect_victim_stops(std::chrono::seconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    std::string status;
    while ((status = victim_status()) == "RUNNING" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(100ms);
    EXPECT_EQ(status, "STOPPED") << "the task must be reported exited\n" << g_env->log_tail();
  }

  // `ctr task rm -f` answers at once: nothing waits on a guest that cannot answer.
  void expect_quick_delete() {
    auto started = std::chrono::steady_clock::now();
    CtrResult rm = ctr({"task", "rm", "-f", victim_}, 60s);
    EXPECT_EQ(rm.exit_code, 0) << rm.describe();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
    ctr({"container", "rm", victim_});
  }

  // Which process of a booting sandbox a test kills.
  enum class Part { kQemu, kVirtiofsd, kShim };

  // Starts the victim in the background and, as soon as its state.json names
  // QEMU while it still boots, kills `part`. The start must then fail, and
  // quickly: nothing may wait out a dial timeout for a VM that is gone.
  void kill_while_booting(Part part, const std::string& expected_error) {
    auto run = g_env->ctr_background(
        {"run", "-d", "--runtime", kKataRuntime, g_env->image(), victim_, "sleep", "3600"});
    ASSERT_TRUE(run) << run.error().message();
    runtime::SandboxState state;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      auto read = runtime::read_sandbox_state("/run/kata-containers/" + victim_);
      if (read && !read->qemu.empty()) {
        state = *read;
        break;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the sandbox never booted";
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(state.status, runtime::SandboxStatus::kBooting) << "booted before the fault";
    const sys::ProcessIdentity& target = part == Part::kQemu        ? state.qemu
                                         : part == Part::kVirtiofsd ? state.virtiofsd
                                                                    : state.service;
    ASSERT_EQ(::kill(target.pid, SIGKILL), 0);
    auto started = std::chrono::steady_clock::now();
    Result<CtrResult> result = run->wait(120s);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_NE(result->exit_code, 0) << result->describe();
    EXPECT_NE(result->err.find(expected_error), std::string::npos) << result->describe();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
    EXPECT_EQ(victim_status(), "") << "a task of the failed start was left";
  }

  static bool alive(pid_t pid) {
    Result<std::string> stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
    return stat && stat->find(") Z ") == std::string::npos;
  }

  static inline std::string victim_, sibling_, sibling_error_;
  static inline int checks_ = 0;
  std::set<std::string> sockets_before_;
};

TEST_F(FaultTest, KilledVirtiofsdEndsTheTaskAndCleanupSparesWhatOnlyMentionsIt) {
  ASSERT_NO_FATAL_FAILURE(start_victim());
  runtime::SandboxState state = victim_state();
  ASSERT_FALSE(state.virtiofsd.empty());
  // A user following the victim's console log: not the sandbox's, so not cleanup's.
  auto tail = BackgroundProcess::spawn({"tail", "-f", state.run_dir + "/console.log"});
  ASSERT_TRUE(tail) << tail.error().message();

  ASSERT_EQ(::kill(state.virtiofsd.pid, SIGKILL), 0);
  expect_victim_stops(20s);
  expect_quick_delete();
  EXPECT_TRUE(alive(tail->pid())) << "cleanup killed a process that only names the run dir";
  EXPECT_FALSE(alive(state.qemu.pid)) << "QEMU outlived its virtiofsd";
}

TEST_F(FaultTest, KilledQemuEndsTheTask) {
  ASSERT_NO_FATAL_FAILURE(start_victim());
  runtime::SandboxState state = victim_state();
  ASSERT_FALSE(state.qemu.empty());
  // The container's own state, next to the sandbox's, follows it.
  auto container = runtime::service::read_container_state(state.run_dir, victim_);
  ASSERT_TRUE(container) << container.error().message();
  EXPECT_EQ(container->status, runtime::service::ContainerStatus::kRunning);
  EXPECT_EQ(container->pid, static_cast<uint32_t>(state.qemu.pid));
  ASSERT_EQ(::kill(state.qemu.pid, SIGKILL), 0);
  expect_victim_stops(20s);
  container = runtime::service::read_container_state(state.run_dir, victim_);
  ASSERT_TRUE(container) << container.error().message();
  EXPECT_EQ(container->status, runtime::service::ContainerStatus::kStopped);
  EXPECT_EQ(container->exit_status, 255u);
  expect_quick_delete();
  EXPECT_FALSE(alive(state.virtiofsd.pid));
}

TEST_F(FaultTest, HungGuestEndsTheTaskBeforeACallTimesOut) {
  // QEMU stopped, not dead: the guest answers nothing while every pidfd says it
  // lives. The heartbeat must end it within its interval and wall cap (25 s),
  // before a call to the guest would time out (30 s).
  ASSERT_NO_FATAL_FAILURE(start_victim());
  runtime::SandboxState state = victim_state();
  ASSERT_FALSE(state.qemu.empty());
  ASSERT_EQ(::kill(state.qemu.pid, SIGSTOP), 0);
  auto started = std::chrono::steady_clock::now();
  expect_victim_stops(40s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  expect_quick_delete();
  EXPECT_FALSE(alive(state.qemu.pid));
}

TEST_F(FaultTest, KilledShimIsCleanedUpFromItsState) {
  // containerd runs `containerd-shim-kata-v2 delete`, which must end exactly the
  // QEMU and virtiofsd named in state.json, and nothing of the sibling.
  ASSERT_NO_FATAL_FAILURE(start_victim());
  runtime::SandboxState state = victim_state();
  ASSERT_FALSE(state.service.empty());
  // The daemon kept what it uses (mounts) and gave up the rest (modules).
  Result<std::string> status =
      fs::read_file("/proc/" + std::to_string(state.service.pid) + "/status");
  ASSERT_TRUE(status) << status.error().message();
  size_t at = status->find("CapBnd:\t");
  ASSERT_NE(at, std::string::npos) << *status;
  uint64_t bounding = std::stoull(status->substr(at + 8, 16), nullptr, 16);
  EXPECT_TRUE(bounding & (uint64_t{1} << 21)) << "CAP_SYS_ADMIN, for mounts";
  EXPECT_FALSE(bounding & (uint64_t{1} << 16)) << "CAP_SYS_MODULE";
  ASSERT_EQ(::kill(state.service.pid, SIGKILL), 0);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((alive(state.qemu.pid) || alive(state.virtiofsd.pid)) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(alive(state.qemu.pid)) << "QEMU outlived its shim\n" << g_env->log_tail();
  EXPECT_FALSE(alive(state.virtiofsd.pid)) << "virtiofsd outlived its shim";
}

TEST_F(FaultTest, QemuKilledWhileBootingFailsTheStart) {
  kill_while_booting(Part::kQemu, "exited before its agent answered");
}

TEST_F(FaultTest, VirtiofsdKilledWhileBootingFailsTheStart) {
  kill_while_booting(Part::kVirtiofsd, "virtiofsd");
}

TEST_F(FaultTest, ShimKilledWhileBootingLeavesNothing) { kill_while_booting(Part::kShim, ""); }

TEST_F(FaultTest, StartThatCannotExecLeavesNothing) {
  // ENOEXEC in the guest (a script without a shebang): `ctr run --rm` must leave no
  // task, no VM, nothing, as with runc.
  std::string dir = g_env->dir() + "/noshebang";
  ASSERT_TRUE(fs::mkdir_all(dir));
  { std::ofstream(dir + "/script") << "echo this is not a program\n"; }
  ASSERT_EQ(::chmod((dir + "/script").c_str(), 0755), 0);
  CtrResult r =
      ctr(g_env->run_args(kKataRuntime, victim_, {"/scripts/script"},
                          {"--mount", "type=bind,src=" + dir + ",dst=/scripts,options=rbind:ro"}));
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("Exec format error"), std::string::npos) << r.describe();
  EXPECT_EQ(victim_status(), "") << "the failed task was left behind";
  CtrResult containers = ctr({"container", "ls", "-q"});
  EXPECT_EQ(containers.out.find(victim_ + "\n"), std::string::npos) << containers.out;
}

TEST_F(FaultTest, StartTooBigToExecLeavesNothing) {
  // E2BIG in the guest: an environment of 2.9 MiB, over the 2 MiB that execve
  // takes with the default 8 MiB stack (an env file: the host's ctr could not
  // take it as arguments, nor a line over 64 KiB).
  std::string env_file = g_env->dir() + "/big.env";
  {
    std::ofstream out(env_file);
    for (int i = 0; i < 48; ++i) out << "BIG" << i << "=" << std::string(60 * 1024, 'x') << "\n";
  }
  CtrResult r = ctr(g_env->run_args(kKataRuntime, victim_, {"true"}, {"--env-file", env_file}));
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("Argument list too long"), std::string::npos) << r.describe();
  EXPECT_EQ(victim_status(), "") << "the failed task was left behind";
}

TEST_F(FaultTest, ForkBombWithoutLimitsStillDeletes) {
  // The guest runs out of pids, and the agent out of threads to serve a kill:
  // the shim must end the VM rather than leave the task undeletable.
  CtrResult r = ctr({"run", "-d", "--runtime", kKataRuntime, g_env->image(), victim_, "sh", "-c",
                     "f() { f | f & }; f; sleep 3600"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::this_thread::sleep_for(3s);  // let it fill the process table
  auto started = std::chrono::steady_clock::now();
  ctr({"task", "kill", "-s", "SIGKILL", victim_}, 90s);
  CtrResult rm = ctr({"task", "rm", "-f", victim_}, 90s);
  EXPECT_EQ(rm.exit_code, 0) << rm.describe() << "\n" << g_env->log_tail();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
  ctr({"container", "rm", victim_});
}

TEST_F(FaultTest, SigtermRightAfterStartEndsTheProcessEveryTime) {
  // The workload is PID 1 of its namespace and installs its handler a moment after
  // exec; a SIGTERM sent as soon as `ctr run -d` returned must still reach it. Each round
  // boots a VM; cri_kubelet_test runs more rounds of the same race in one pod.
  constexpr int kRounds = 25;
  int lost = 0;
  for (int i = 0; i < kRounds; ++i) {
    CtrResult run = ctr({"run", "-d", "--runtime", kKataRuntime, g_env->image(), victim_, "sh",
                         "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done"});
    ASSERT_EQ(run.exit_code, 0) << run.describe();
    CtrResult kill = ctr({"task", "kill", "-s", "SIGTERM", victim_});
    EXPECT_EQ(kill.exit_code, 0) << kill.describe();
    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string status;
    while ((status = victim_status()) == "RUNNING" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    if (status != "STOPPED") ++lost;
    CtrResult rm = ctr({"task", "rm", "-f", victim_});
    EXPECT_EQ(rm.exit_code, 0) << rm.describe();
    ctr({"container", "rm", victim_});
  }
  EXPECT_EQ(lost, 0) << lost << " of " << kRounds << " SIGTERMs were lost";
}

TEST_F(FaultTest, TwentySandboxesStartAndDeleteAtOnce) {
  // On 2 cores under TCG: every boot must wait its turn for the CPU rather than
  // time out, and every delete must finish and leave nothing.
  constexpr int kSandboxes = 20;
  std::vector<std::string> ids;
  for (int i = 0; i < kSandboxes; ++i) ids.push_back(victim_ + "-par" + std::to_string(i));
  auto all_at_once = [&](auto one) {
    std::vector<CtrResult> results(kSandboxes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kSandboxes; ++i) threads.emplace_back([&, i] { results[i] = one(ids[i]); });
    for (auto& t : threads) t.join();
    return results;
  };
  std::vector<CtrResult> started = all_at_once([&](const std::string& id) {
    Result<CtrResult> r = g_env->ctr(
        {"run", "-d", "--runtime", kKataRuntime, g_env->image(), id, "sleep", "3600"}, 600s);
    return r ? *r : CtrResult{-1, "", r.error().message()};
  });
  for (int i = 0; i < kSandboxes; ++i)
    EXPECT_EQ(started[i].exit_code, 0) << ids[i] << ": " << started[i].describe();
  std::vector<CtrResult> deleted = all_at_once([&](const std::string& id) {
    Result<CtrResult> r = g_env->ctr({"task", "rm", "-f", id}, 300s);
    (void)g_env->ctr({"container", "rm", id}, 60s);
    return r ? *r : CtrResult{-1, "", r.error().message()};
  });
  for (int i = 0; i < kSandboxes; ++i) {
    EXPECT_EQ(deleted[i].exit_code, 0) << ids[i] << ": " << deleted[i].describe();
    g_env->force_remove(ids[i]);  // only if something above failed
    LeakReport report = wait_for_no_leaks(ids[i], g_env->address(), g_env->ns(), sockets_before_);
    EXPECT_TRUE(report.clean()) << "sandbox " << ids[i] << ":" << report.describe();
  }
}

}  // namespace
}  // namespace kata::e2e
