// The engine whole, over FakeContainerOs: its in-memory cgroupfs and inits
// that only speak the protocol, with real `sleep` workloads, pids and reaper.
#include "agent/container/engine.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>

#include "agent/testing/fake_container_os.h"

namespace kata::agent::container {
namespace {

constexpr char kRoot[] = "/fake/cgroup";
constexpr auto kRemoveTimeout = std::chrono::seconds(10);
constexpr char kNsDir[] = "/fake/run/ns";
constexpr int kAllNew = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;

ContainerSpec spec(const std::string& id) {
  ContainerSpec s;
  s.id = id;
  s.root_path = "/run/kata-containers/shared/" + id + "/rootfs";
  s.process.args = {"sh"};
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reaper = Reaper::start();
    ASSERT_TRUE(reaper) << reaper.error().message();
    reaper_ = std::move(*reaper);
    os_ = std::make_unique<testing::FakeContainerOs>(kRoot);
    engine_ = std::make_unique<Engine>(*reaper_, kRoot, *os_, kNsDir);
  }
  void TearDown() override {
    engine_.reset();  // before the fake: it joins the inits the engine holds open
    os_.reset();
  }

  // The fake's record of the launch of container `id`'s init.
  testing::FakeContainerOs::Launch launch_of(const std::string& id) {
    for (const auto& l : os_->launches()) {
      if (l.container_id == id) return l;
    }
    ADD_FAILURE() << "no init launched for " << id;
    return {};
  }

  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<testing::FakeContainerOs> os_;
  std::unique_ptr<Engine> engine_;
};

ContainerSpec pod_spec(const std::string& id) {
  ContainerSpec s = spec(id);
  s.ipc_namespace = true;
  s.uts_namespace = true;
  return s;
}

TEST_F(EngineTest, LifecycleLeavesNoCgroupOrProcess) {
  ContainerSpec s = spec("c1");
  s.cgroups_path = "/kubepods/pod1/c1";
  s.resources.memory_limit = 64 << 20;
  s.resources.pids_limit = 32;
  ASSERT_TRUE(engine_->create(s, nullptr));
  const std::string dir = std::string(kRoot) + "/kubepods/pod1/c1";
  ASSERT_TRUE(os_->has_dir(dir));
  EXPECT_EQ(os_->value(dir + "/memory.max"), "67108864");
  EXPECT_EQ(os_->value(dir + "/pids.max"), "32");
  EXPECT_EQ(os_->device_filters_attached(dir), 1u) << "every container gets a device filter";
  EXPECT_EQ(os_->value(std::string(kRoot) + "/kubepods/pod1/cgroup.subtree_control"), "+hugetlb")
      << "the last controller enabled on the way down";

  ASSERT_TRUE(engine_->start("c1", nullptr));
  ProcessSpec p;
  p.args = {"top"};
  ASSERT_TRUE(engine_->exec("c1", "e1", p, nullptr));
  auto pids = os_->read_file(dir + "/cgroup.procs");
  ASSERT_TRUE(pids);
  EXPECT_EQ(std::count(pids->begin(), pids->end(), '\n'), 2) << *pids;

  ASSERT_TRUE(engine_->signal("c1", "e1", SIGKILL));
  auto status = engine_->wait("c1", "e1", nullptr);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, 128 + SIGKILL);

  ASSERT_TRUE(engine_->remove("c1", kRemoveTimeout));
  EXPECT_FALSE(os_->has_dir(dir));
  EXPECT_FALSE(os_->has_dir(std::string(kRoot) + "/kubepods/pod1"))
      << "an emptied parent below the top one goes too";
  EXPECT_TRUE(os_->has_dir(std::string(kRoot) + "/kubepods"));
  EXPECT_EQ(engine_->stats("c1").error().code(), Code::kNotFound);
}

TEST_F(EngineTest, PauseUpdateStatsGoToTheCgroup) {
  ASSERT_TRUE(engine_->create(spec("c1"), nullptr));
  const std::string dir = std::string(kRoot) + "/kata/c1";
  ASSERT_TRUE(engine_->pause("c1"));
  EXPECT_EQ(os_->value(dir + "/cgroup.freeze"), "1");
  ASSERT_TRUE(engine_->resume("c1"));
  EXPECT_EQ(os_->value(dir + "/cgroup.freeze"), "0");

  Resources r;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  ASSERT_TRUE(engine_->update("c1", r));
  EXPECT_EQ(os_->value(dir + "/cpu.max"), "50000 100000");

  auto stats = engine_->stats("c1");
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->cpu.count("usage_usec"), 1u);
  EXPECT_EQ(stats->pids_max, 0u) << "max is no limit";
}

TEST_F(EngineTest, RefusedCreateLeavesNothing) {
  ContainerSpec s = spec("c1");
  s.resources.unified["no.such_file"] = "1";
  auto bad = engine_->create(s, nullptr);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("no.such_file"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(os_->has_dir(std::string(kRoot) + "/kata/c1"));
  EXPECT_EQ(os_->inits_launched(), 0u) << "refused before anything is cloned";

  os_->init_error = Error(Code::kNotFound, "exec: \"sh\": executable file not found");
  auto failed = engine_->create(spec("c1"), nullptr);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kNotFound);
  EXPECT_NE(failed.error().message().find("executable file not found"), std::string::npos)
      << failed.error().message();
  EXPECT_FALSE(os_->has_dir(std::string(kRoot) + "/kata/c1"));
  EXPECT_EQ(engine_->stats("c1").error().code(), Code::kNotFound);

  os_->init_error.reset();
  ASSERT_TRUE(engine_->create(spec("c1"), nullptr)) << "the id is free again";
  EXPECT_EQ(engine_->create(spec("c1"), nullptr).error().code(), Code::kAlreadyExists);
}

TEST_F(EngineTest, TerminalProcessGetsThePtyMaster) {
  ContainerSpec s = spec("c1");
  s.process.terminal = true;
  ASSERT_TRUE(engine_->create(s, nullptr));
  EXPECT_TRUE(engine_->resize("c1", "", 40, 120)) << "a resize needs the pty master";
  ASSERT_TRUE(engine_->remove("c1", kRemoveTimeout));
}

TEST_F(EngineTest, WithoutSandboxEveryContainerGetsNewNamespaces) {
  ASSERT_TRUE(engine_->create(pod_spec("c1"), nullptr));
  EXPECT_EQ(launch_of("c1").clone_flags, kAllNew);
  EXPECT_TRUE(launch_of("c1").join_namespaces.empty());
  EXPECT_EQ(launch_of("c1").pid_ns_inode, 0u);

  ContainerSpec shared_pid = pod_spec("c2");
  shared_pid.sandbox_pidns = true;
  auto refused = engine_->create(shared_pid, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("no sandbox"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(os_->inits_launched(), 1u);
}

TEST_F(EngineTest, SandboxContainersShareItsIpcAndUtsNamespaces) {
  ASSERT_TRUE(engine_->open_sandbox("pod", "pod-host"));
  EXPECT_EQ(os_->shared_namespaces(), (std::map<std::string, std::string>{{kNsDir, "pod-host"}}));
  const std::map<std::string, std::string> both = {{"ipc", std::string(kNsDir) + "/ipc"},
                                                   {"uts", std::string(kNsDir) + "/uts"}};

  ASSERT_TRUE(engine_->create(pod_spec("pod"), nullptr));
  EXPECT_EQ(launch_of("pod").clone_flags, CLONE_NEWNS | CLONE_NEWPID);
  EXPECT_EQ(launch_of("pod").join_namespaces, both);
  ASSERT_TRUE(engine_->create(pod_spec("app"), nullptr));
  EXPECT_EQ(launch_of("app").join_namespaces, both);

  // A spec without the entry keeps a namespace of its own.
  ContainerSpec ipc_only = spec("ipc-only");
  ipc_only.ipc_namespace = true;
  ASSERT_TRUE(engine_->create(ipc_only, nullptr));
  EXPECT_EQ(launch_of("ipc-only").clone_flags, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS);
  EXPECT_EQ(launch_of("ipc-only").join_namespaces,
            (std::map<std::string, std::string>{{"ipc", std::string(kNsDir) + "/ipc"}}));

  auto again = engine_->open_sandbox("pod2", "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);

  ASSERT_TRUE(engine_->close_sandbox());
  EXPECT_TRUE(os_->shared_namespaces().empty());
  ASSERT_TRUE(engine_->create(pod_spec("after"), nullptr));
  EXPECT_EQ(launch_of("after").clone_flags, kAllNew) << "nothing to share once closed";
}

TEST_F(EngineTest, SandboxPidnsJoinsTheSandboxContainersInit) {
  ASSERT_TRUE(engine_->open_sandbox("pod", ""));
  ContainerSpec app = pod_spec("app");
  app.sandbox_pidns = true;
  auto early = engine_->create(app, nullptr);
  ASSERT_FALSE(early) << "no sandbox container yet";
  EXPECT_EQ(early.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(early.error().message().find("sandbox container pod"), std::string::npos)
      << early.error().message();
  EXPECT_EQ(os_->inits_launched(), 0u);

  ASSERT_TRUE(engine_->create(pod_spec("pod"), nullptr));
  ASSERT_TRUE(engine_->start("pod", nullptr));
  ASSERT_TRUE(engine_->create(app, nullptr));
  pid_t pod_init = launch_of("pod").pid;
  ASSERT_GT(pod_init, 0);
  EXPECT_EQ(os_->pid_namespaces_opened(), std::vector<pid_t>{pod_init});
  struct stat st {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pod_init) + "/ns/pid").c_str(), &st), 0);
  EXPECT_EQ(launch_of("app").pid_ns_inode, st.st_ino);
  EXPECT_EQ(launch_of("app").clone_flags, CLONE_NEWNS) << "no new pid namespace";

  // The sandbox container gone, nothing is there to join.
  ASSERT_TRUE(engine_->remove("pod", kRemoveTimeout));
  app.id = "app2";
  auto late = engine_->create(app, nullptr);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(os_->inits_launched(), 2u);
}

TEST_F(EngineTest, ExitedSandboxContainerIsNotJoined) {
  ASSERT_TRUE(engine_->open_sandbox("pod", ""));
  ASSERT_TRUE(engine_->create(pod_spec("pod"), nullptr));
  ASSERT_TRUE(engine_->start("pod", nullptr));
  ASSERT_TRUE(engine_->signal("pod", "", SIGKILL));
  ASSERT_TRUE(engine_->wait("pod", "", nullptr));
  ContainerSpec app = pod_spec("app");
  app.sandbox_pidns = true;
  auto refused = engine_->create(app, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("not running"), std::string::npos)
      << refused.error().message();
}

TEST_F(EngineTest, FailedSharedNamespacesOpenNoSandbox) {
  os_->shared_namespaces_error = Error(Code::kInternal, "unshare: no memory");
  auto failed = engine_->open_sandbox("pod", "h");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("sandbox pod"), std::string::npos)
      << failed.error().message();
  ASSERT_TRUE(engine_->create(pod_spec("pod"), nullptr));
  EXPECT_EQ(launch_of("pod").clone_flags, kAllNew);
  os_->shared_namespaces_error.reset();
  EXPECT_TRUE(engine_->open_sandbox("pod", "h")) << "a failed open can be retried";
}

}  // namespace
}  // namespace kata::agent::container
