// The sandbox service in its own terms, over a FakeSandbox and a FakeAgent.
// The shim's tests (src/shim/task_service_test.cc) drive the same service
// through containerd's task API.
#include "runtime/service/sandbox_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/fs.h"
#include "runtime/service/container_state.h"
#include "runtime/testing/fake_sandbox.h"
#include "runtime/testing/test_bundle.h"
#include "ttrpc/testing/test_util.h"

namespace kata::runtime::service {
namespace {

using agent_client::testing::FakeAgent;
using ::kata::ttrpc::testing::TempDir;
using ::testing::ElementsAre;
using testing::FakeSandbox;
using testing::FakeSandboxState;
using testing::make_bundle;

constexpr pid_t kVmmPid = 4242;

std::string kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kCreated:
      return "created";
    case EventKind::kStarted:
      return "started";
    case EventKind::kExecAdded:
      return "exec-added";
    case EventKind::kExecStarted:
      return "exec-started";
    case EventKind::kExited:
      return "exited";
    case EventKind::kDeleted:
      return "deleted";
    case EventKind::kOom:
      return "oom";
    case EventKind::kPaused:
      return "paused";
    case EventKind::kResumed:
      return "resumed";
  }
  return "?";
}

class SandboxServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceDeps deps;
    deps.start_sandbox = [this](const SandboxOptions& options) -> Result<std::unique_ptr<Sandbox>> {
      std::lock_guard lock(state_->mu);
      state_->started.push_back(options);
      return std::unique_ptr<Sandbox>(
          std::make_unique<FakeSandbox>(options.id, kVmmPid, agent_, state_));
    };
    deps.on_event = [this](const ServiceEvent& event) {
      std::lock_guard lock(events_mu_);
      std::string line = kind_name(event.kind) + " " + event.container_id;
      if (!event.exec_id.empty()) line += "/" + event.exec_id;
      if (event.kind == EventKind::kExited) line += " " + std::to_string(event.exit_status);
      // The created container is readable during the call, and only then.
      if (event.container != nullptr) line += " bundle=" + event.container->config.bundle;
      events_.push_back(line);
    };
    deps.run_root = run_root_;
    service_ = std::make_unique<SandboxService>(std::move(deps));
  }

  ContainerConfig config(const std::string& id) { return ContainerConfig{id, bundle_, {}}; }
  Result<ContainerState> persisted(const std::string& id) {
    return read_container_state(run_root_ + "/c1", id);
  }
  std::vector<std::string> events() {
    std::lock_guard lock(events_mu_);
    return events_;
  }

  TempDir dir_;
  std::string run_root_ = dir_.path() + "/run";
  std::string bundle_ = make_bundle(dir_.path(), "c1");
  std::shared_ptr<FakeAgent> agent_ = std::make_shared<FakeAgent>();
  std::shared_ptr<FakeSandboxState> state_ = std::make_shared<FakeSandboxState>();
  std::mutex events_mu_;
  std::vector<std::string> events_;
  std::unique_ptr<SandboxService> service_;
};

TEST_F(SandboxServiceTest, ContainerStateFollowsEveryChange) {
  ASSERT_TRUE(service_->create(config("c1"), {}, {}));
  ASSERT_TRUE(persisted("c1"));
  EXPECT_EQ(persisted("c1")->status, ContainerStatus::kCreated);
  EXPECT_EQ(persisted("c1")->sandbox_id, "c1");
  EXPECT_EQ(persisted("c1")->bundle, bundle_);
  EXPECT_EQ(persisted("c1")->pid, static_cast<uint32_t>(kVmmPid));

  Result<uint32_t> pid = service_->start("c1", "");
  ASSERT_TRUE(pid) << pid.error().message();
  EXPECT_EQ(persisted("c1")->status, ContainerStatus::kRunning);
  ASSERT_TRUE(service_->pause("c1"));
  EXPECT_EQ(persisted("c1")->status, ContainerStatus::kPaused);
  ASSERT_TRUE(service_->resume("c1"));
  EXPECT_EQ(persisted("c1")->status, ContainerStatus::kRunning);

  agent_->exit("c1", "", 7);
  Result<ExitInfo> exit = service_->wait("c1", "");
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_status, 7u);
  EXPECT_EQ(persisted("c1")->status, ContainerStatus::kStopped);
  EXPECT_EQ(persisted("c1")->exit_status, 7u);

  ASSERT_TRUE(service_->remove("c1", ""));
  EXPECT_EQ(persisted("c1").error().code(), Code::kNotFound);
  EXPECT_THAT(events(), ElementsAre("created c1 bundle=" + bundle_, "started c1", "paused c1",
                                    "resumed c1", "exited c1 7", "deleted c1"));
}

TEST_F(SandboxServiceTest, ACreateWhoseStateCannotBeWrittenLeavesNothing) {
  ASSERT_TRUE(fs::write_file_atomic(run_root_, "a file where the run root should be"));
  Result<uint32_t> created = service_->create(config("c1"), {}, {});
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message().find("state"), std::string::npos);
  EXPECT_EQ(service_->container_count(), 0u);
  EXPECT_THAT(state_->removed, ElementsAre("c1"));  // undone in the guest
  EXPECT_EQ(state_->shutdown_calls, 1);             // and, as the only container, its VM
  EXPECT_TRUE(events().empty());
}

TEST_F(SandboxServiceTest, HostNetworkIsRefusedBeforeAnyVm) {
  // `ctr run --net-host`: the spec has no network entry.
  std::string spec = *fs::read_file(bundle_ + "/config.json");
  std::string entry = R"(,{"type":"network"})";
  ASSERT_NE(spec.find(entry), std::string::npos);
  spec.erase(spec.find(entry), entry.size());
  ASSERT_TRUE(fs::write_file_atomic(bundle_ + "/config.json", spec));
  Result<uint32_t> created = service_->create(config("c1"), {}, {});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(created.error().message().find("container c1: linux.namespaces has no `network`"),
            std::string::npos)
      << created.error().message();
  EXPECT_TRUE(state_->started.empty()) << "no VM for it";
  EXPECT_EQ(service_->container_count(), 0u);
  EXPECT_TRUE(events().empty());
}

TEST_F(SandboxServiceTest, TheContainersLimitsSizeItsVm) {
  // `ctr run --memory-limit 268435456 --cpus 1.5`
  std::string spec = *fs::read_file(bundle_ + "/config.json");
  std::string linux_key = R"("linux":{)";
  ASSERT_NE(spec.find(linux_key), std::string::npos);
  spec.insert(
      spec.find(linux_key) + linux_key.size(),
      R"("resources":{"memory":{"limit":268435456},"cpu":{"quota":150000,"period":100000}},)");
  ASSERT_TRUE(fs::write_file_atomic(bundle_ + "/config.json", spec));
  ASSERT_TRUE(service_->create(config("c1"), {}, {}));
  ASSERT_EQ(state_->started.size(), 1u);
  EXPECT_EQ(state_->started[0].extra.memory_mib, 256u);
  EXPECT_EQ(state_->started[0].extra.vcpus, 2u);
}

TEST_F(SandboxServiceTest, ExecLifecycleInServiceTerms) {
  ASSERT_TRUE(service_->create(config("c1"), {}, {}));
  ASSERT_TRUE(service_->start("c1", ""));
  grpc::Process spec;
  spec.add_args("true");
  ASSERT_TRUE(service_->exec("c1", "e1", spec, {}, {}));
  EXPECT_EQ(service_->exec("c1", "e1", spec, {}, {}).error().code(), Code::kAlreadyExists);
  EXPECT_EQ(service_->state("c1", "e1")->status, ProcessStatus::kCreated);
  ASSERT_TRUE(service_->start("c1", "e1"));
  EXPECT_EQ(service_->remove("c1", "e1").error().code(), Code::kFailedPrecondition);
  agent_->exit("c1", "e1", 0);
  EXPECT_EQ(service_->wait("c1", "e1")->exit_status, 0u);
  ASSERT_TRUE(service_->remove("c1", "e1"));
  EXPECT_EQ(service_->state("c1", "e1").error().code(), Code::kNotFound);
  ASSERT_TRUE(service_->kill("c1", "", SIGTERM, false));
  EXPECT_EQ(service_->wait("c1", "")->exit_status, 128u + SIGTERM);
  EXPECT_THAT(events(), ElementsAre("created c1 bundle=" + bundle_, "started c1",
                                    "exec-added c1/e1", "exec-started c1/e1", "exited c1/e1 0",
                                    "exited c1 " + std::to_string(128 + SIGTERM)));
}

TEST_F(SandboxServiceTest, StatsAndKillRacingDeleteAreAnswered) {
  ASSERT_TRUE(service_->create(config("c1"), {}, {}));
  ASSERT_TRUE(service_->start("c1", ""));
  agent_->hang_stats = true;  // a stats call stays in the guest until the VM ends
  auto stats = std::async(std::launch::async, [&] { return service_->stats("c1").ok(); });
  ASSERT_TRUE(agent_->wait_call("stats_container c1"));
  std::atomic<bool> stop{false};
  std::thread killer([&] {
    while (!stop) (void)service_->kill("c1", "", SIGCONT, false);
  });
  agent_->exit_on_signal = false;
  // Delete kills the container (the fake's RemoveContainer ends it) and, as the
  // last one, the sandbox: the pending stats call fails instead of hanging.
  Result<ExitInfo> removed = service_->remove("c1", "");
  ASSERT_TRUE(removed) << removed.error().message();
  ASSERT_EQ(stats.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(stats.get());
  stop = true;
  killer.join();
  EXPECT_EQ(service_->kill("c1", "", SIGKILL, false).error().code(), Code::kNotFound);
  EXPECT_EQ(service_->stats("c1").error().code(), Code::kNotFound);
  EXPECT_EQ(state_->shutdown_calls, 1);
  EXPECT_TRUE(service_->shutdown());
}

TEST_F(SandboxServiceTest, ShutdownRefusedWhileContainersRemain) {
  ASSERT_TRUE(service_->create(config("c1"), {}, {}));
  EXPECT_FALSE(service_->shutdown());
  EXPECT_EQ(state_->shutdown_calls, 0);
  EXPECT_EQ(service_->task_pid(), static_cast<uint32_t>(kVmmPid));
}

}  // namespace
}  // namespace kata::runtime::service
