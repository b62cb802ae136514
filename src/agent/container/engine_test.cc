// The engine whole, over FakeContainerOs: its in-memory cgroupfs and inits
// that only speak the protocol, with real `sleep` workloads, pids and reaper.
#include "agent/container/engine.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "agent/testing/fake_container_os.h"

namespace kata::agent::container {
namespace {

constexpr char kRoot[] = "/fake/cgroup";
constexpr auto kRemoveTimeout = std::chrono::seconds(10);

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
    engine_ = std::make_unique<Engine>(*reaper_, kRoot, *os_);
  }
  void TearDown() override {
    engine_.reset();  // before the fake: it joins the inits the engine holds open
    os_.reset();
  }

  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<testing::FakeContainerOs> os_;
  std::unique_ptr<Engine> engine_;
};

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

}  // namespace
}  // namespace kata::agent::container
