#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "agent.pb.h"
#include "agent/rpc/agent_service.h"
#include "agent/rpc/health_service.h"
#include "agent/testing/fake_guest_os.h"
#include "health.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"
#include "ttrpc/testing/test_util.h"

namespace kata::agent {
namespace {

using google::protobuf::Empty;
constexpr auto kTimeout = std::chrono::seconds(10);

// The agent's services behind a real ttRPC server on one end of a socketpair.
class Services : public ::testing::Test {
 protected:
  void SetUp() override {
    auto [served, client] = ttrpc::testing::socket_pair();
    register_health_service(server_);
    register_agent_service(server_, sandbox_);
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
  Result<Resp> call(std::string_view service, std::string_view method, const Req& req) {
    return client_->call<Req, Resp>(service, method, req, kTimeout);
  }

  testing::FakeGuestOs os_;
  Sandbox sandbox_{os_};
  ttrpc::Server server_;
  std::thread serving_;
  std::unique_ptr<ttrpc::Client> client_;
};

TEST_F(Services, HealthCheckAndVersion) {
  auto check = call<grpc::HealthCheckResponse>("grpc.Health", "Check", grpc::CheckRequest());
  ASSERT_TRUE(check.ok()) << check.error().message();
  EXPECT_EQ(check->status(), grpc::HealthCheckResponse::SERVING);
  auto version = call<grpc::VersionCheckResponse>("grpc.Health", "Version", grpc::CheckRequest());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->agent_version(), KATA_VERSION);
  EXPECT_EQ(version->grpc_version(), "ttrpc");
}

TEST_F(Services, CreateSandboxTwice) {
  grpc::CreateSandboxRequest req;
  req.set_sandbox_id("sb1");
  req.set_hostname("pod");
  req.add_dns("nameserver 1.1.1.1");
  ASSERT_TRUE(call<Empty>("grpc.AgentService", "CreateSandbox", req).ok());
  EXPECT_EQ(os_.hostname, "pod");
  EXPECT_EQ(os_.files["/etc/resolv.conf"], "nameserver 1.1.1.1\n");
  auto again = call<Empty>("grpc.AgentService", "CreateSandbox", req);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
}

TEST_F(Services, GuestDetails) {
  os_.files["/sys/devices/system/memory/block_size_bytes"] = "8000000\n";
  grpc::GuestDetailsRequest req;
  req.set_mem_block_size(true);
  auto d = call<grpc::GuestDetailsResponse>("grpc.AgentService", "GetGuestDetails", req);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->mem_block_size_bytes(), 0x8000000u);
  EXPECT_EQ(d->agent_details().version(), KATA_VERSION);
  EXPECT_TRUE(d->agent_details().init_daemon());
  EXPECT_TRUE(d->agent_details().supports_seccomp());
  EXPECT_EQ(d->agent_details().storage_handlers_size(), 3);  // ephemeral, local, virtio-fs
}

TEST_F(Services, SetGuestDateTimeAndDestroy) {
  grpc::SetGuestDateTimeRequest t;
  t.set_sec(1700000000);
  t.set_usec(42);
  ASSERT_TRUE(call<Empty>("grpc.AgentService", "SetGuestDateTime", t).ok());
  EXPECT_EQ(os_.time, std::make_pair(int64_t{1700000000}, int64_t{42}));
  ASSERT_TRUE(
      call<Empty>("grpc.AgentService", "DestroySandbox", grpc::DestroySandboxRequest()).ok());
  EXPECT_EQ(os_.power_off_calls, 1);
}

TEST_F(Services, OtherMethodsAreUnimplemented) {
  auto r = call<Empty>("grpc.AgentService", "CreateContainer", grpc::CreateContainerRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kUnimplemented);
}

}  // namespace
}  // namespace kata::agent
