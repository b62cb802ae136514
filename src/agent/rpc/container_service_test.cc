#include "agent/rpc/container_service.h"

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "agent.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/testing/test_util.h"

namespace kata::agent {
namespace {

using google::protobuf::Empty;
constexpr auto kTimeout = std::chrono::seconds(10);
constexpr char kService[] = "grpc.AgentService";

// The container RPCs behind a real ttRPC server, with no container created:
// what the engine answers before it clones anything.
class ContainerService : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reaper = Reaper::start();
    ASSERT_TRUE(reaper) << reaper.error().message();
    reaper_ = std::move(*reaper);
    engine_ = std::make_unique<container::Engine>(*reaper_, "/nonexistent-cgroup-root");
    auto [served, client] = ttrpc::testing::socket_pair();
    register_container_service(server_, *engine_);
    serving_ = std::thread([this, fd = std::move(served)]() mutable {
      (void)server_.serve_connection(std::move(fd));
    });
    client_ = std::make_unique<ttrpc::Client>(std::move(client));
  }
  void TearDown() override {
    client_->close();
    serving_.join();
  }

  template <typename Resp, typename Req>
  Result<Resp> call(std::string_view method, const Req& req) {
    return client_->call<Req, Resp>(kService, method, req, kTimeout);
  }

  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<container::Engine> engine_;
  ttrpc::Server server_;
  std::thread serving_;
  std::unique_ptr<ttrpc::Client> client_;
};

TEST_F(ContainerService, UnknownContainerIsNotFound) {
  grpc::WaitProcessRequest wait;
  wait.set_container_id("nope");
  auto w = call<grpc::WaitProcessResponse>("WaitProcess", wait);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), Code::kNotFound) << w.error().message();
  grpc::ReadStreamRequest read;
  read.set_container_id("nope");
  read.set_len(10);
  auto r = call<grpc::ReadStreamResponse>("ReadStdout", read);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  grpc::RemoveContainerRequest remove;
  remove.set_container_id("nope");
  EXPECT_EQ(call<Empty>("RemoveContainer", remove).error().code(), Code::kNotFound);
}

TEST_F(ContainerService, BadAndUnsupportedRequests) {
  grpc::CreateContainerRequest req;
  req.set_container_id("c1");
  req.mutable_oci()->mutable_root()->set_path("/rootfs");
  req.mutable_oci()->mutable_process()->add_args("true");
  req.add_storages()->set_driver("blk");
  auto unsupported = call<Empty>("CreateContainer", req);
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().code(), Code::kUnimplemented);
  EXPECT_NE(unsupported.error().message().find("create container c1"), std::string::npos)
      << unsupported.error().message();

  req.clear_storages();
  req.set_container_id("../etc");
  auto bad_id = call<Empty>("CreateContainer", req);
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code(), Code::kInvalidArgument) << bad_id.error().message();

  // A cgroup that cannot be made fails the create before anything is cloned.
  req.set_container_id("c1");
  auto no_cgroup = call<Empty>("CreateContainer", req);
  ASSERT_FALSE(no_cgroup);
  EXPECT_NE(no_cgroup.error().message().find("/nonexistent-cgroup-root"), std::string::npos)
      << no_cgroup.error().message();
  grpc::WaitProcessRequest wait;
  wait.set_container_id("c1");
  EXPECT_EQ(call<grpc::WaitProcessResponse>("WaitProcess", wait).error().code(), Code::kNotFound)
      << "a failed create leaves no container behind";
}

}  // namespace
}  // namespace kata::agent
