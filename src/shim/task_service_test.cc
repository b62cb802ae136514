#include "shim/task_service.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/fs.h"
#include "containerd/events.pb.h"
#include "containerd/metrics_v1.pb.h"
#include "shim/task_handlers.h"
#include "shim/task_service_test_util.h"
#include "shim/testing/logging_script.h"
#include "sys/unix_socket.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"

namespace kata::shim {
namespace {

using agent_client::testing::FakeAgent;
using runtime::testing::FakeSandbox;
using runtime::testing::FakeSandboxState;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::RecordingSink;
using testing::TempDir;

constexpr pid_t kVmmPid = 4242;

class TaskServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = testing::make_bundle(dir_.path(), "c1");
    TaskServiceDeps deps;
    deps.start_sandbox =
        [this](
            const runtime::SandboxOptions& options) -> Result<std::unique_ptr<runtime::Sandbox>> {
      std::lock_guard lock(state_->mu);
      state_->started.push_back(options);
      return std::unique_ptr<runtime::Sandbox>(
          std::make_unique<FakeSandbox>(options.id, kVmmPid, agent_, state_));
    };
    deps.parsers.parse_process = [](std::string_view json) -> Result<grpc::Process> {
      grpc::Process process;
      process.add_args(std::string(json));
      return process;
    };
    deps.parsers.parse_resources = [](std::string_view json) -> Result<grpc::LinuxResources> {
      grpc::LinuxResources resources;
      resources.mutable_memory()->set_limit(static_cast<int64_t>(json.size()));
      return resources;
    };
    deps.events = &events_;
    deps.shim_pid = 77;
    deps.containerd_namespace = "k8s.io";
    deps.on_shutdown = [this] { shutdown_called_ = true; };
    deps.run_root = dir_.path() + "/run";
    // Fixed, not the host's: the answer must not depend on the machine.
    deps.metrics_type = MetricsType::kCgroupsV1;
    service_ = std::make_unique<TaskService>(std::move(deps));
  }

  task::CreateTaskRequest create_req(const std::string& id, const std::string& bundle) {
    task::CreateTaskRequest req;
    req.set_id(id);
    req.set_bundle(bundle);
    return req;
  }
  // The bundles of CRI pod "pod": its sandbox container's, and app container "app"'s.
  std::string pod_sandbox_bundle() {
    return testing::make_bundle(dir_.path(), "pod",
                                R"("io.kubernetes.cri.container-type":"sandbox",)"
                                R"("io.kubernetes.cri.sandbox-id":"pod")");
  }
  std::string pod_member_bundle() {
    return testing::make_bundle(dir_.path(), "app",
                                R"("io.kubernetes.cri.container-type":"container",)"
                                R"("io.kubernetes.cri.sandbox-id":"pod")");
  }
  void create_and_start(const std::string& id = "c1") {
    ASSERT_TRUE(service_->create(create_req(id, bundle_)));
    task::StartRequest start;
    start.set_id(id);
    ASSERT_TRUE(service_->start(start));
  }
  uint32_t wait(const std::string& id, const std::string& exec_id = "") {
    task::WaitRequest req;
    req.set_id(id);
    req.set_exec_id(exec_id);
    Result<task::WaitResponse> resp = service_->wait(req);
    EXPECT_TRUE(resp);
    return resp ? resp->exit_status() : 9999;
  }
  Result<task::DeleteResponse> remove(const std::string& id, const std::string& exec_id = "") {
    task::DeleteRequest req;
    req.set_id(id);
    req.set_exec_id(exec_id);
    return service_->remove(req);
  }

  TempDir dir_;
  std::string bundle_;
  std::shared_ptr<FakeAgent> agent_ = std::make_shared<FakeAgent>();
  std::shared_ptr<FakeSandboxState> state_ = std::make_shared<FakeSandboxState>();
  RecordingSink events_;
  bool shutdown_called_ = false;
  std::unique_ptr<TaskService> service_;
};

TEST_F(TaskServiceTest, LifecycleBootsUsesAndShutsDownOneVm) {
  Result<task::CreateTaskResponse> created = service_->create(create_req("c1", bundle_));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->pid(), static_cast<uint32_t>(kVmmPid));
  ASSERT_EQ(state_->started.size(), 1u);
  EXPECT_EQ(state_->started[0].id, "c1");
  EXPECT_EQ(state_->started[0].hostname, "host-c1");
  task::StateRequest state_req;
  state_req.set_id("c1");
  EXPECT_EQ(service_->state(state_req)->status(), containerd::v1::types::CREATED);

  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  EXPECT_EQ(service_->state(state_req)->status(), containerd::v1::types::RUNNING);
  agent_->exit("c1", "", 3);
  EXPECT_EQ(wait("c1"), 3u);
  Result<task::StateResponse> stopped = service_->state(state_req);
  EXPECT_EQ(stopped->status(), containerd::v1::types::STOPPED);
  EXPECT_EQ(stopped->exit_status(), 3u);
  EXPECT_GT(stopped->exited_at().seconds(), 0);

  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->exit_status(), 3u);
  EXPECT_EQ(deleted->pid(), static_cast<uint32_t>(kVmmPid));
  EXPECT_EQ(state_->shutdown_calls, 1);
  // The last container, exited: the VM went first, with no RemoveContainer.
  EXPECT_TRUE(state_->removed.empty());
  EXPECT_EQ(service_->container_count(), 0u);
  EXPECT_THAT(events_.topics(),
              ElementsAre("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"));
  auto exit = events_.last<containerd::events::TaskExit>(kTopicExit);
  EXPECT_EQ(exit.container_id(), "c1");
  EXPECT_EQ(exit.id(), "c1");
  EXPECT_EQ(exit.exit_status(), 3u);
  // Nobody would ever write to stdin: the process got EOF.
  EXPECT_THAT(agent_->calls(), Contains("close_stdin c1/"));

  EXPECT_TRUE(service_->shutdown(task::ShutdownRequest()));
  EXPECT_TRUE(shutdown_called_);
}

TEST_F(TaskServiceTest, ExecEventsInOrderAndKill) {
  create_and_start();
  task::ExecProcessRequest exec;
  exec.set_id("c1");
  exec.set_exec_id("e1");
  exec.mutable_spec()->set_value(R"({"args":["ls"]})");
  ASSERT_TRUE(service_->exec(exec));
  EXPECT_EQ(service_->exec(exec).error().code(), Code::kAlreadyExists);
  task::StartRequest start;
  start.set_id("c1");
  start.set_exec_id("e1");
  ASSERT_TRUE(service_->start(start));
  EXPECT_EQ(agent_->last_exec().process().args(0), R"({"args":["ls"]})");

  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_exec_id("e1");
  kill.set_signal(9);
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(wait("c1", "e1"), 137u);
  EXPECT_EQ(service_->kill(kill).error().code(), Code::kNotFound);
  EXPECT_THAT(agent_->calls(), Contains("signal_process c1/e1 9"));
  EXPECT_TRUE(remove("c1", "e1"));
  EXPECT_EQ(remove("c1", "e1").error().code(), Code::kNotFound);
  EXPECT_THAT(events_.topics(), ElementsAre("/tasks/create", "/tasks/start", "/tasks/exec-added",
                                            "/tasks/exec-started", "/tasks/exit"));
  EXPECT_EQ(events_.last<containerd::events::TaskExit>(kTopicExit).id(), "e1");
}

TEST_F(TaskServiceTest, KillAllSignalsEveryProcess) {
  create_and_start();
  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(15);
  kill.set_all(true);
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(wait("c1"), 143u);
  EXPECT_THAT(agent_->calls(), Contains("signal_process c1/ 15"));
}

TEST_F(TaskServiceTest, ErrorsUseContainerdCodes) {
  task::StartRequest start;
  start.set_id("nope");
  EXPECT_EQ(service_->start(start).error().code(), Code::kNotFound);
  task::StateRequest state;
  state.set_id("nope");
  EXPECT_EQ(service_->state(state).error().code(), Code::kNotFound);
  EXPECT_EQ(remove("nope").error().code(), Code::kNotFound);

  create_and_start();
  EXPECT_EQ(service_->create(create_req("c1", bundle_)).error().code(), Code::kAlreadyExists);
  start.set_id("c1");
  EXPECT_EQ(service_->start(start).error().code(), Code::kFailedPrecondition);
  task::ExecProcessRequest exec;
  exec.set_id("c1");
  exec.set_exec_id("e1");
  ASSERT_TRUE(service_->exec(exec));
  start.set_exec_id("e1");
  ASSERT_TRUE(service_->start(start));
  EXPECT_EQ(remove("c1", "e1").error().code(), Code::kFailedPrecondition);
  state.set_id("c1");
  state.set_exec_id("e2");
  EXPECT_EQ(service_->state(state).error().code(), Code::kNotFound);
}

TEST_F(TaskServiceTest, DeadVmExitsWith255AndDeleteStillWorks) {
  create_and_start();
  {
    std::lock_guard lock(state_->mu);
    state_->vm_running = false;
  }
  agent_->disconnect();
  EXPECT_EQ(wait("c1"), 255u);
  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->exit_status(), 255u);
  EXPECT_EQ(state_->shutdown_calls, 1);
  EXPECT_THAT(events_.topics(),
              ElementsAre("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"));
}

TEST_F(TaskServiceTest, FailedCreateLeavesNoVm) {
  state_->fail_create_container = true;
  EXPECT_FALSE(service_->create(create_req("c1", bundle_)));
  EXPECT_EQ(state_->shutdown_calls, 1);
  EXPECT_EQ(service_->container_count(), 0u);
  EXPECT_TRUE(events_.topics().empty());
  state_->fail_create_container = false;
  agent_->reconnect();
  EXPECT_TRUE(service_->create(create_req("c1", bundle_)));
  EXPECT_EQ(state_->started.size(), 2u);
}

TEST_F(TaskServiceTest, DeleteOfACreatedContainer) {
  ASSERT_TRUE(service_->create(create_req("c1", bundle_)));
  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->exit_status(), 137u);
  EXPECT_THAT(events_.topics(), ElementsAre("/tasks/create", "/tasks/delete"));
}

TEST_F(TaskServiceTest, DeleteOfARunningContainerKillsIt) {
  create_and_start();
  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->exit_status(), 137u);
  EXPECT_THAT(events_.topics(),
              ElementsAre("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"));
  // Still running: RemoveContainer kills it in the guest before the VM goes.
  EXPECT_EQ(state_->removed, std::vector<std::string>{"c1"});
  EXPECT_EQ(state_->shutdown_calls, 1);
}

TEST_F(TaskServiceTest, FailedStartLeavesAStoppedTaskThatDeletes) {
  // As an exec failing in the guest with ENOEXEC or E2BIG: runc leaves nothing either.
  ASSERT_TRUE(service_->create(create_req("c1", bundle_)));
  agent_->fail_start = Code::kUnknown;
  task::StartRequest start;
  start.set_id("c1");
  EXPECT_FALSE(service_->start(start));
  EXPECT_EQ(wait("c1"), 126u);
  task::StateRequest state;
  state.set_id("c1");
  EXPECT_EQ(service_->state(state)->status(), containerd::v1::types::STOPPED);
  EXPECT_EQ(service_->start(start).error().code(), Code::kFailedPrecondition);
  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->exit_status(), 126u);
  EXPECT_EQ(state_->shutdown_calls, 1);
  EXPECT_THAT(events_.topics(), ElementsAre("/tasks/create", "/tasks/exit", "/tasks/delete"));
}

TEST_F(TaskServiceTest, FailedExecStartIsAnExitAndDeletes) {
  create_and_start();
  task::ExecProcessRequest exec;
  exec.set_id("c1");
  exec.set_exec_id("e1");
  ASSERT_TRUE(service_->exec(exec));
  agent_->fail_exec = Code::kNotFound;
  task::StartRequest start;
  start.set_id("c1");
  start.set_exec_id("e1");
  EXPECT_FALSE(service_->start(start));
  EXPECT_EQ(wait("c1", "e1"), 127u);
  EXPECT_TRUE(remove("c1", "e1"));
}

TEST_F(TaskServiceTest, KillOfACreatedTaskEndsIt) {
  ASSERT_TRUE(service_->create(create_req("c1", bundle_)));
  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(SIGWINCH);  // ignored by default: nothing ends
  ASSERT_TRUE(service_->kill(kill));
  task::StateRequest state;
  state.set_id("c1");
  EXPECT_EQ(service_->state(state)->status(), containerd::v1::types::CREATED);
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(wait("c1"), 137u);
  EXPECT_EQ(remove("c1")->exit_status(), 137u);
  EXPECT_EQ(state_->shutdown_calls, 1);
}

TEST_F(TaskServiceTest, SigkillTheAgentCannotDeliverEndsTheVm) {
  // A fork bomb took the agent's threads: SignalProcess fails, SIGKILL must still work.
  create_and_start();
  agent_->fail_signal = Code::kUnavailable;
  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(SIGTERM);  // no promise to keep: the error is the answer
  EXPECT_FALSE(service_->kill(kill));
  EXPECT_TRUE(state_->end_vm_calls.empty());
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(state_->end_vm_calls.size(), 1u);
  EXPECT_EQ(wait("c1"), 137u);
  EXPECT_TRUE(remove("c1"));
}

TEST_F(TaskServiceTest, SigkillOfAPodsLastLiveInitTheAgentCannotDeliverEndsTheVm) {
  // StopPodSandbox: the app containers are killed first, then the sandbox container.
  std::string sandbox = pod_sandbox_bundle();
  std::string member = pod_member_bundle();
  ASSERT_TRUE(service_->create(create_req("pod", sandbox)));
  ASSERT_TRUE(service_->create(create_req("app", member)));
  for (const char* id : {"pod", "app"}) {
    task::StartRequest start;
    start.set_id(id);
    ASSERT_TRUE(service_->start(start));
  }
  agent_->fail_signal = Code::kUnavailable;
  task::KillRequest kill;
  kill.set_id("pod");
  kill.set_signal(SIGKILL);
  EXPECT_FALSE(service_->kill(kill)) << "the app still runs in the VM: not the VM to end";
  EXPECT_TRUE(state_->end_vm_calls.empty());
  agent_->fail_signal = Code::kOk;
  kill.set_id("app");
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(wait("app"), 137u);
  agent_->fail_signal = Code::kUnavailable;
  kill.set_id("pod");
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_EQ(state_->end_vm_calls.size(), 1u);
  EXPECT_EQ(wait("pod"), 137u);
}

TEST_F(TaskServiceTest, SigkillWhoseVmWentDuringTheCallIsKept) {
  create_and_start();
  agent_->fail_signal = Code::kUnavailable;
  {
    std::lock_guard lock(state_->mu);
    state_->vm_running = false;  // the VM died while the call was out
  }
  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(service_->kill(kill));
  EXPECT_TRUE(state_->end_vm_calls.empty()) << "nothing left to end";
  kill.set_signal(SIGTERM);
  EXPECT_FALSE(service_->kill(kill)) << "only SIGKILL promises an end";
}

TEST_F(TaskServiceTest, DeleteTheAgentCannotServeEndsTheVm) {
  create_and_start();
  state_->fail_remove_container = true;
  agent_->exit_on_signal = false;
  Result<task::DeleteResponse> deleted = remove("c1");
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(state_->end_vm_calls.size(), 1u);
  EXPECT_EQ(deleted->exit_status(), 255u);
  EXPECT_EQ(service_->container_count(), 0u);
}

TEST_F(TaskServiceTest, AHungGuestCallBlocksNeitherOtherCallsNorDelete) {
  // The locking rule: no call holds the service's lock while the guest answers,
  // and the agent outlives a call in flight however the sandbox goes.
  create_and_start();
  agent_->hang_stats = true;
  task::StatsRequest stats;
  stats.set_id("c1");
  std::promise<Result<task::StatsResponse>> stats_result;
  std::thread stuck([&] { stats_result.set_value(service_->stats(stats)); });
  ASSERT_TRUE(agent_->wait_call("stats_container c1"));
  task::StateRequest state;
  state.set_id("c1");
  EXPECT_TRUE(service_->state(state));  // would block behind a lock held across the call
  task::KillRequest kill;
  kill.set_id("c1");
  kill.set_signal(SIGKILL);
  EXPECT_TRUE(service_->kill(kill));
  EXPECT_EQ(wait("c1"), 137u);
  Result<task::DeleteResponse> deleted = remove("c1");  // the last one: the VM goes
  ASSERT_TRUE(deleted) << deleted.error().message();
  auto pending = stats_result.get_future();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(pending.get());  // failed by the VM's end, not left hanging
  stuck.join();
}

TEST_F(TaskServiceTest, CallsRacingDeleteGetAnAnswer) {
  // Stats, Kill and State from other threads while the last container is deleted:
  // each is answered (an error is an answer) and nothing uses a freed agent.
  create_and_start();
  agent_->exit_on_signal = false;  // SIGCONT changes nothing
  std::atomic<bool> stop{false};
  std::vector<std::thread> racers;
  for (int t = 0; t < 3; ++t) {
    racers.emplace_back([&, t] {
      while (!stop) {
        if (t == 0) {
          task::StatsRequest r;
          r.set_id("c1");
          (void)service_->stats(r);
        } else if (t == 1) {
          task::KillRequest r;
          r.set_id("c1");
          r.set_signal(SIGCONT);
          (void)service_->kill(r);
        } else {
          task::StateRequest r;
          r.set_id("c1");
          (void)service_->state(r);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  agent_->exit("c1", "", 0);
  EXPECT_EQ(wait("c1"), 0u);
  EXPECT_TRUE(remove("c1"));
  stop = true;
  for (auto& r : racers) r.join();
  EXPECT_EQ(service_->container_count(), 0u);
}

TEST_F(TaskServiceTest, PodContainersShareTheSandboxVm) {
  std::string sandbox = pod_sandbox_bundle();
  std::string member = pod_member_bundle();
  ASSERT_TRUE(service_->create(create_req("pod", sandbox)));
  Result<task::CreateTaskResponse> app = service_->create(create_req("app", member));
  ASSERT_TRUE(app) << app.error().message();
  EXPECT_EQ(state_->started.size(), 1u);
  EXPECT_EQ(state_->created, (std::vector<std::string>{"pod", "app"}));
  EXPECT_TRUE(service_->shutdown(task::ShutdownRequest()));
  EXPECT_FALSE(shutdown_called_);  // containers left: the shim stays
  ASSERT_TRUE(remove("app"));
  EXPECT_EQ(state_->shutdown_calls, 0);
  EXPECT_EQ(state_->removed, std::vector<std::string>{"app"});
  ASSERT_TRUE(remove("pod"));
  EXPECT_EQ(state_->shutdown_calls, 1);
}

TEST_F(TaskServiceTest, PodContainerWithoutItsSandboxFails) {
  std::string member = pod_member_bundle();
  EXPECT_EQ(service_->create(create_req("app", member)).error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(state_->started.empty());
}

TEST_F(TaskServiceTest, PauseResumeUpdateStatsPidsConnect) {
  create_and_start();
  task::PauseRequest pause;
  pause.set_id("c1");
  ASSERT_TRUE(service_->pause(pause));
  task::StateRequest state;
  state.set_id("c1");
  EXPECT_EQ(service_->state(state)->status(), containerd::v1::types::PAUSED);
  task::ResumeRequest resume;
  resume.set_id("c1");
  ASSERT_TRUE(service_->resume(resume));
  EXPECT_EQ(service_->state(state)->status(), containerd::v1::types::RUNNING);

  task::UpdateTaskRequest update;
  update.set_id("c1");
  update.mutable_resources()->set_value("12345");
  ASSERT_TRUE(service_->update(update));
  EXPECT_EQ(agent_->last_update.resources().memory().limit(), 5);

  auto* cgroup = agent_->stats.mutable_cgroup_stats();
  cgroup->mutable_cpu_stats()->mutable_cpu_usage()->set_total_usage(5'000'000);
  cgroup->mutable_memory_stats()->mutable_usage()->set_usage(1024);
  cgroup->mutable_memory_stats()->mutable_usage()->set_limit(2048);
  cgroup->mutable_pids_stats()->set_current(3);
  grpc::NetworkStats* eth0 = agent_->stats.add_network_stats();
  eth0->set_name("eth0");
  eth0->set_rx_bytes(4096);
  eth0->set_tx_bytes(512);
  task::StatsRequest stats_req;
  stats_req.set_id("c1");
  Result<task::StatsResponse> stats = service_->stats(stats_req);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->stats().type_url(), "io.containerd.cgroups.v1.Metrics");
  io::containerd::cgroups::v1::Metrics metrics;
  ASSERT_TRUE(metrics.ParseFromString(stats->stats().value()));
  EXPECT_EQ(metrics.cpu().usage().total(), 5'000'000u);
  EXPECT_EQ(metrics.memory().usage().usage(), 1024u);
  EXPECT_EQ(metrics.memory().usage().limit(), 2048u);
  EXPECT_EQ(metrics.pids().current(), 3u);
  ASSERT_EQ(metrics.network_size(), 1);
  EXPECT_EQ(metrics.network(0).name(), "eth0");
  EXPECT_EQ(metrics.network(0).rx_bytes(), 4096u);
  EXPECT_EQ(metrics.network(0).tx_bytes(), 512u);

  task::PidsRequest pids;
  pids.set_id("c1");
  ASSERT_EQ(service_->pids(pids)->processes_size(), 1);
  EXPECT_EQ(service_->pids(pids)->processes(0).pid(), static_cast<uint32_t>(kVmmPid));
  Result<task::ConnectResponse> connect = service_->connect(task::ConnectRequest());
  EXPECT_EQ(connect->shim_pid(), 77u);
  EXPECT_EQ(connect->task_pid(), static_cast<uint32_t>(kVmmPid));

  task::ResizePtyRequest resize;
  resize.set_id("c1");
  resize.set_width(80);
  resize.set_height(24);
  ASSERT_TRUE(service_->resize_pty(resize));
  EXPECT_THAT(agent_->calls(), Contains("tty_win_resize c1/ 24x80"));
  EXPECT_THAT(events_.topics(), Contains("/tasks/paused"));
  EXPECT_THAT(events_.topics(), Contains("/tasks/resumed"));
}

TEST_F(TaskServiceTest, OomEventsArePublished) {
  create_and_start();
  agent_->push_oom("c1");
  ASSERT_TRUE(events_.wait_for(kTopicOom));
  EXPECT_EQ(events_.last<containerd::events::TaskOOM>(kTopicOom).container_id(), "c1");
}

// The stdio of a process through real fifos, as ctr sets them up: containerd
// opens its ends first; Wait answers only once every output byte is in the fifo.
TEST_F(TaskServiceTest, StdioThroughFifosDrainsBeforeTheExit) {
  std::string in = dir_.path() + "/in", out = dir_.path() + "/out", err = dir_.path() + "/err";
  for (const std::string& fifo : {in, out, err}) ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  UniqueFd out_reader(::open(out.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  UniqueFd err_reader(::open(err.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdin(in);
  req.set_stdout(out);
  req.set_stderr(err);
  ASSERT_TRUE(service_->create(req));
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));

  UniqueFd in_writer(::open(in.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(in_writer);
  ASSERT_EQ(::write(in_writer.get(), "hello", 5), 5);
  in_writer.reset();
  task::CloseIORequest close;  // what ctr sends once its stdin hit EOF
  close.set_id("c1");
  close.set_stdin(true);
  ASSERT_TRUE(service_->close_io(close));
  EXPECT_TRUE(agent_->wait_stdin("c1", "", "hello"));
  EXPECT_TRUE(agent_->wait_stdin_closed("c1", ""));

  agent_->emit_stdout("c1", "", std::string(100000, 'o'));  // more than a pipe holds
  agent_->emit_stderr("c1", "", "err1");
  std::string got_out;
  std::thread reader([&] {
    char buf[4096];
    for (;;) {
      pollfd pfd{out_reader.get(), POLLIN, 0};
      ::poll(&pfd, 1, 10000);
      ssize_t n = ::read(out_reader.get(), buf, sizeof buf);
      if (n == 0) return;  // every writer closed
      if (n > 0) got_out.append(buf, static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN) return;
    }
  });
  agent_->exit("c1", "", 0);
  EXPECT_EQ(wait("c1"), 0u);
  reader.join();
  EXPECT_EQ(got_out.size(), 100000u);
  char buf[16] = {};
  EXPECT_EQ(::read(err_reader.get(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "err1");
}

TEST_F(TaskServiceTest, LargeStdinArrivesWhole) {
  std::string in = dir_.path() + "/in";
  ASSERT_EQ(::mkfifo(in.c_str(), 0600), 0);
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdin(in);
  ASSERT_TRUE(service_->create(req));
  std::string payload(300000, 'x');
  std::thread writer([&] {  // starts before Start: the fifo fills up first
    UniqueFd fd(::open(in.c_str(), O_WRONLY | O_CLOEXEC));
    std::string_view rest = payload;
    while (!rest.empty()) {
      ssize_t n = ::write(fd.get(), rest.data(), rest.size());
      if (n <= 0) return;
      rest.remove_prefix(static_cast<size_t>(n));
    }
  });
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  writer.join();
  task::CloseIORequest close;
  close.set_id("c1");
  close.set_stdin(true);
  ASSERT_TRUE(service_->close_io(close));
  EXPECT_TRUE(agent_->wait_stdin_closed("c1", ""));
  EXPECT_EQ(agent_->stdin_of("c1", "").size(), payload.size());
}

// ctr sends CloseIO as soon as it read its own stdin to the end, which can be
// before the shim copied the fifo: what was written must still arrive.
TEST_F(TaskServiceTest, CloseIoBeforeStartKeepsWrittenInput) {
  std::string in = dir_.path() + "/in";
  ASSERT_EQ(::mkfifo(in.c_str(), 0600), 0);
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdin(in);
  ASSERT_TRUE(service_->create(req));
  {
    UniqueFd writer(::open(in.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_EQ(::write(writer.get(), "early", 5), 5);
  }
  task::CloseIORequest close;
  close.set_id("c1");
  close.set_stdin(true);
  ASSERT_TRUE(service_->close_io(close));
  EXPECT_FALSE(agent_->stdin_closed("c1", ""));
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  EXPECT_TRUE(agent_->wait_stdin_closed("c1", ""));
  EXPECT_EQ(agent_->stdin_of("c1", ""), "early");
}

TEST_F(TaskServiceTest, CloseIoClosesStdin) {
  std::string in = dir_.path() + "/in";
  ASSERT_EQ(::mkfifo(in.c_str(), 0600), 0);
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdin(in);
  ASSERT_TRUE(service_->create(req));
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  EXPECT_FALSE(agent_->stdin_closed("c1", ""));
  task::CloseIORequest close;
  close.set_id("c1");
  close.set_stdin(true);
  ASSERT_TRUE(service_->close_io(close));
  EXPECT_TRUE(agent_->wait_stdin_closed("c1", ""));
}

TEST_F(TaskServiceTest, FileUriGetsStdoutAndStderrAppended) {
  std::string log = dir_.path() + "/logs/c1.log";  // its directory is made
  ASSERT_TRUE(fs::mkdir_all(dir_.path() + "/logs"));
  ASSERT_TRUE(fs::write_file_atomic(log, "earlier\n"));
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdout("file://" + log);
  req.set_stderr("file://" + log);
  ASSERT_TRUE(service_->create(req));
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  agent_->emit_stdout("c1", "", "out\n");
  agent_->exit("c1", "", 0);
  EXPECT_EQ(wait("c1"), 0u);
  EXPECT_EQ(*fs::read_file(log), "earlier\nout\n");
  ASSERT_TRUE(remove("c1"));
}

// containerd's logging-binary contract: stdout on fd 3, stderr on fd 4, ready on fd 5,
// the query as arguments, CONTAINER_ID and CONTAINER_NAMESPACE as the whole environment.
TEST_F(TaskServiceTest, BinaryUriStartsTheLoggerAndEndsIt) {
  std::string logger = dir_.path() + "/logger";
  std::string got = dir_.path() + "/got";
  ASSERT_TRUE(testing::write_logging_script(logger, got));
  task::CreateTaskRequest req = create_req("c1", bundle_);
  req.set_stdout("binary://" + logger + "?mode=tee%20it");
  req.set_stderr(req.stdout());
  ASSERT_TRUE(service_->create(req)) << "the logger said it is ready";
  task::StartRequest start;
  start.set_id("c1");
  ASSERT_TRUE(service_->start(start));
  agent_->emit_stdout("c1", "", "to-out");
  agent_->emit_stderr("c1", "", "to-err");
  agent_->exit("c1", "", 0);
  EXPECT_EQ(wait("c1"), 0u);
  ASSERT_TRUE(remove("c1"));  // ends the logger: it has written everything by then
  EXPECT_EQ(*fs::read_file(got + ".env"), "mode=tee it c1 k8s.io no-home\n");
  EXPECT_EQ(*fs::read_file(got + ".out"), "to-out");
  EXPECT_EQ(*fs::read_file(got + ".err"), "to-err");
}

TEST_F(TaskServiceTest, BadStdioUrisAreRejectedBeforeAnyVm) {
  for (std::string uri : {"http://example.com/x", "file://relative/x", "binary://", "file:///a%zz",
                          "binary:///no/such/logger"}) {
    task::CreateTaskRequest req = create_req("c1", bundle_);
    req.set_stdout(uri);
    Result<task::CreateTaskResponse> created = service_->create(req);
    ASSERT_FALSE(created) << uri;
    std::string_view says = uri.starts_with("http")           ? "scheme `http` is not supported"
                            : uri.starts_with("binary:///no") ? "exec `/no/such/logger`"
                                                              : "stdio uri `";
    EXPECT_NE(created.error().message().find(says), std::string::npos) << created.error().message();
  }
  EXPECT_TRUE(state_->started.empty());
}

// The ttRPC adapters: method names, codes across the wire, Checkpoint.
TEST_F(TaskServiceTest, ServedOverTtrpc) {
  auto [server_end, client_end] = *sys::socket_pair();
  ttrpc::Server server;
  register_task_service(server, *service_);
  std::thread serving([&server, fd = std::move(server_end)]() mutable {
    (void)server.serve_connection(std::move(fd));
  });
  {
    ttrpc::Client client(std::move(client_end));
    auto connect = client.call<task::ConnectRequest, task::ConnectResponse>(
        kTaskServiceName, "Connect", task::ConnectRequest(), std::chrono::seconds(5));
    ASSERT_TRUE(connect) << connect.error().message();
    EXPECT_EQ(connect->shim_pid(), 77u);
    task::StateRequest state;
    state.set_id("nope");
    auto missing = client.call<task::StateRequest, task::StateResponse>(
        kTaskServiceName, "State", state, std::chrono::seconds(5));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), Code::kNotFound);
    auto checkpoint = client.call<task::CheckpointTaskRequest, Empty>(
        kTaskServiceName, "Checkpoint", task::CheckpointTaskRequest(), std::chrono::seconds(5));
    ASSERT_FALSE(checkpoint);
    EXPECT_EQ(checkpoint.error().code(), Code::kUnimplemented);

    create_and_start();
    task::WaitRequest wait;
    wait.set_id("c1");
    std::thread exiter([this] { agent_->exit("c1", "", 7); });
    auto waited = client.call<task::WaitRequest, task::WaitResponse>(kTaskServiceName, "Wait", wait,
                                                                     std::chrono::seconds(10));
    exiter.join();
    ASSERT_TRUE(waited) << waited.error().message();
    EXPECT_EQ(waited->exit_status(), 7u);
    client.close();
  }
  serving.join();
}

}  // namespace
}  // namespace kata::shim
