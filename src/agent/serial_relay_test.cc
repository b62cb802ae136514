#include "agent/serial_relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "agent/rpc/health_service.h"
#include "health.pb.h"
#include "ttrpc/codec.h"
#include "ttrpc/frame.h"
#include "ttrpc/server.h"

namespace kata::agent {
namespace {

std::string frame(uint32_t stream_id, ttrpc::FrameType type, const std::string& data) {
  auto bytes = ttrpc::encode_frame({stream_id, static_cast<uint8_t>(type), 0, data});
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

std::string request(uint32_t stream_id, const std::string& payload = "xyz") {
  return frame(stream_id, ttrpc::FrameType::kRequest, payload);
}

TEST(HostStreamTracker, ForwardsWholeFramesOfOneClient) {
  HostStreamTracker t;
  std::string in = request(1) + request(3) + frame(3, ttrpc::FrameType::kData, "d") + request(5);
  std::string all = in, out;
  EXPECT_FALSE(t.forward(in, out));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(out, all);
}

TEST(HostStreamTracker, HoldsAnIncompleteHeaderAndSplitsPayloads) {
  std::string stream = request(1, std::string(100, 'a')) + request(3);
  // One byte at a time, as the relay's buffer would see a slow port.
  HostStreamTracker t;
  std::string buf, out2;
  for (char c : stream) {
    buf += c;
    ASSERT_FALSE(t.forward(buf, out2));
    EXPECT_LT(buf.size(), ttrpc::kFrameHeaderSize);
  }
  EXPECT_EQ(out2, stream);
}

TEST(HostStreamTracker, StopsAtANewClientsFirstRequest) {
  HostStreamTracker t;
  std::string first = request(1) + request(3);
  std::string second = request(1);
  std::string in = first + second, out;
  EXPECT_TRUE(t.forward(in, out));
  EXPECT_EQ(out, first);
  EXPECT_EQ(in, second);
  t.reset();
  std::string out2;
  EXPECT_FALSE(t.forward(in, out2));
  EXPECT_EQ(out2, second);
}

TEST(HostStreamTracker, DataFramesNeverStartAClient) {
  HostStreamTracker t;
  std::string in = request(5) + frame(1, ttrpc::FrameType::kData, "x"), out;
  EXPECT_FALSE(t.forward(in, out));
  EXPECT_TRUE(in.empty());
}

// The relay over a socketpair standing in for the port, with the real server.
class Relay : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    host_.reset(sv[0]);
    int stop[2];
    ASSERT_EQ(::pipe2(stop, O_CLOEXEC), 0);
    stop_read_.reset(stop[0]);
    stop_write_.reset(stop[1]);
    register_health_service(server_);
    relay_ = std::thread([this, port = sv[1]] {
      Result<void> r = relay_serial_port(
          UniqueFd(port),
          [this](UniqueFd fd) {
            ++sessions_;
            (void)server_.serve_connection(std::move(fd));
          },
          stop_read_.get());
      EXPECT_TRUE(r.ok()) << r.error().message();
    });
  }
  void TearDown() override {
    ASSERT_EQ(::write(stop_write_.get(), "x", 1), 1);
    relay_.join();
  }

  // Sends a Check on `stream_id` and returns the status the server answered.
  Result<grpc::HealthCheckResponse> check(uint32_t stream_id) {
    std::string req =
        ttrpc::encode_request("grpc.Health", "Check", grpc::CheckRequest().SerializeAsString(), 0);
    std::string bytes = request(stream_id, req);
    EXPECT_EQ(::write(host_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    auto f = ttrpc::read_frame(host_.get());
    if (!f) return std::move(f).error();
    if (!f->has_value()) return Error(Code::kUnavailable, "relay closed");
    EXPECT_EQ((*f)->stream_id, stream_id);
    KATA_ASSIGN_OR_RETURN(std::string payload, ttrpc::decode_response((*f)->data));
    grpc::HealthCheckResponse resp;
    EXPECT_TRUE(resp.ParseFromString(payload));
    return resp;
  }

  ttrpc::Server server_;
  UniqueFd host_, stop_read_, stop_write_;
  std::atomic<int> sessions_{0};
  std::thread relay_;
};

TEST_F(Relay, ServesAClient) {
  for (uint32_t id : {1u, 3u, 5u}) {
    auto r = check(id);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->status(), grpc::HealthCheckResponse::SERVING);
  }
  EXPECT_EQ(sessions_.load(), 1);
}

TEST_F(Relay, AReconnectTheGuestDidNotSeeGetsAFreshSession) {
  ASSERT_TRUE(check(1).ok());
  ASSERT_TRUE(check(3).ok());
  // A new host client numbering from 1 again on the same port.
  auto r = check(1);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status(), grpc::HealthCheckResponse::SERVING);
  EXPECT_EQ(sessions_.load(), 2);
}

}  // namespace
}  // namespace kata::agent
