// StatsContainer over a real ttRPC server and engine (on FakeContainerOs):
// the cgroup stats and the interface counters in one answer, and the cgroup
// stats alone when the counters cannot be read.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "agent.pb.h"
#include "agent/rpc/container_service.h"
#include "agent/testing/fake_container_os.h"
#include "ttrpc/client.h"
#include "ttrpc/testing/test_util.h"

namespace kata::agent {
namespace {

constexpr char kRoot[] = "/fake/cgroup";
constexpr auto kTimeout = std::chrono::seconds(10);

// The guest's /proc/net/dev, with a knob to fail and a count of reads.
struct FakeLinkStats {
  bool fail = false;
  std::vector<network::LinkStats> links;
  std::atomic<int> reads{0};

  Result<std::vector<network::LinkStats>> read() {
    ++reads;
    if (fail) return Error(Code::kNotFound, "open `/proc/net/dev`: No such file or directory");
    return links;
  }
};

class ContainerStats : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reaper = Reaper::start();
    ASSERT_TRUE(reaper) << reaper.error().message();
    reaper_ = std::move(*reaper);
    os_ = std::make_unique<testing::FakeContainerOs>(kRoot);
    engine_ = std::make_unique<container::Engine>(*reaper_, kRoot, *os_);
    container::ContainerSpec spec;
    spec.id = "c1";
    spec.root_path = "/run/kata-containers/shared/c1/rootfs";
    spec.process.args = {"sh"};
    ASSERT_TRUE(engine_->create(spec, nullptr));
    // What the kernel would count for this cgroup.
    ASSERT_TRUE(os_->write_file(std::string(kRoot) + "/kata/c1/pids.current", "4"));

    auto [served, client] = ttrpc::testing::socket_pair();
    register_container_service(server_, *engine_, nullptr, [this] { return links_.read(); });
    serving_ = std::thread([this, fd = std::move(served)]() mutable {
      (void)server_.serve_connection(std::move(fd));
    });
    client_ = std::make_unique<ttrpc::Client>(std::move(client));
  }
  void TearDown() override {
    client_->close();
    serving_.join();
    engine_.reset();  // before the fake: it joins the inits the engine holds open
    os_.reset();
  }

  Result<grpc::StatsContainerResponse> stats(const std::string& id) {
    grpc::StatsContainerRequest req;
    req.set_container_id(id);
    return client_->call<grpc::StatsContainerRequest, grpc::StatsContainerResponse>(
        "grpc.AgentService", "StatsContainer", req, kTimeout);
  }

  FakeLinkStats links_;
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<testing::FakeContainerOs> os_;
  std::unique_ptr<container::Engine> engine_;
  ttrpc::Server server_;
  std::thread serving_;
  std::unique_ptr<ttrpc::Client> client_;
};

TEST_F(ContainerStats, CarriesTheInterfaceCounters) {
  links_.links = {{"eth0", 1000, 10, 1, 2, 2000, 20, 3, 4}, {"eth1", 5, 1, 0, 0, 6, 1, 0, 0}};
  Result<grpc::StatsContainerResponse> r = stats("c1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->cgroup_stats().pids_stats().current(), 4u);
  ASSERT_EQ(r->network_stats_size(), 2);
  EXPECT_EQ(r->network_stats(0).name(), "eth0");
  EXPECT_EQ(r->network_stats(0).rx_bytes(), 1000u);
  EXPECT_EQ(r->network_stats(0).tx_bytes(), 2000u);
  EXPECT_EQ(r->network_stats(0).tx_dropped(), 4u);
  EXPECT_EQ(r->network_stats(1).name(), "eth1");
  EXPECT_EQ(links_.reads, 1);
}

TEST_F(ContainerStats, UnreadableCountersStillAnswerTheCgroupStats) {
  links_.fail = true;
  Result<grpc::StatsContainerResponse> r = stats("c1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->cgroup_stats().pids_stats().current(), 4u);
  EXPECT_EQ(r->network_stats_size(), 0);
  EXPECT_EQ(links_.reads, 1);

  links_.fail = false;
  links_.links = {{"eth0", 1, 1, 0, 0, 1, 1, 0, 0}};
  r = stats("c1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->network_stats_size(), 1) << "the next poll reads them again";
}

TEST_F(ContainerStats, UnknownContainerReadsNoCounters) {
  Result<grpc::StatsContainerResponse> r = stats("nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(links_.reads, 0);
}

}  // namespace
}  // namespace kata::agent
