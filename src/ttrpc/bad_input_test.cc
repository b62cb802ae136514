// Hostile or broken peers against serve_listener(): each one gets a clear error
// status or a closed connection, and the server keeps serving everyone else.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <optional>
#include <thread>

#include "ttrpc/client.h"
#include "ttrpc/server.h"
#include "ttrpc/testing/test_util.h"

namespace kata::ttrpc {
namespace {

using namespace std::chrono_literals;
using testing::peer_closed;
using testing::read_response;
using testing::send_frame;
using testing::send_request;

constexpr auto kLong = 10s;  // only reached when a test is broken
constexpr uint8_t kRequest = static_cast<uint8_t>(FrameType::kRequest);

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.register_method("test.Echo", "Echo", [](const CallContext&, std::string_view p) {
      return Result<std::string>(std::string(p));
    });
    path_ = dir_.path() + "/s";
    UniqueFd listener = testing::listen_unix(path_);
    thread_ = std::thread([this, fd = std::move(listener)]() mutable {
      listen_result_.emplace(server_.serve_listener(std::move(fd)));
    });
    // Connected before any bad input, to show old connections survive it too.
    bystander_.emplace(connect());
  }

  void TearDown() override {
    bystander_.reset();
    server_.shutdown();
    thread_.join();
    ASSERT_TRUE(listen_result_.has_value());
    EXPECT_TRUE(*listen_result_) << listen_result_->error().message();
  }

  UniqueFd connect() { return testing::connect_unix(path_); }

  void expect_server_still_serves() {
    for (Client* client : {&*bystander_, &fresh_client()}) {
      Result<std::string> resp = client->call_raw("test.Echo", "Echo", "ok", kLong);
      ASSERT_TRUE(resp) << resp.error().message();
      EXPECT_EQ(*resp, "ok");
    }
  }

  Client& fresh_client() { return fresh_.emplace(connect()); }

  testing::TempDir dir_;
  std::string path_;
  Server server_;
  std::thread thread_;
  std::optional<Result<void>> listen_result_;
  std::optional<Client> bystander_;
  std::optional<Client> fresh_;
};

TEST_F(BadInputTest, TruncatedFrameClosesThatConnection) {
  UniqueFd raw = connect();
  std::string partial = testing::request_bytes("test.Echo", "Echo", "payload");
  HeaderBytes h = encode_header(FrameHeader{static_cast<uint32_t>(partial.size()), 1, kRequest, 0});
  std::string header(reinterpret_cast<const char*>(h.data()), h.size());
  std::string bytes = header + partial.substr(0, partial.size() / 2);
  ASSERT_EQ(::write(raw.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ASSERT_EQ(::shutdown(raw.get(), SHUT_WR), 0);
  EXPECT_TRUE(peer_closed(raw.get()));
  expect_server_still_serves();
}

TEST_F(BadInputTest, OversizedFrameGetsResourceExhaustedThenClose) {
  UniqueFd raw = connect();
  HeaderBytes h = encode_header(FrameHeader{kMaxFrameData + 1, 1, kRequest, 0});
  ASSERT_EQ(::write(raw.get(), h.data(), h.size()), 10);
  testing::RawResponse resp = read_response(raw.get());
  EXPECT_EQ(resp.stream_id, 1u);
  EXPECT_EQ(resp.type, static_cast<uint8_t>(FrameType::kResponse));
  EXPECT_EQ(resp.response.status().code(), static_cast<int32_t>(Code::kResourceExhausted));
  EXPECT_NE(resp.response.status().message().find("4194305"), std::string::npos);
  EXPECT_TRUE(peer_closed(raw.get()));
  expect_server_still_serves();
}

TEST_F(BadInputTest, FrameOfExactlyTheLimitIsRead) {
  UniqueFd raw = connect();
  // Not a Request, but framed correctly: the answer proves all 4 MiB were read.
  send_frame(raw.get(), 1, kRequest, std::string(kMaxFrameData, '\xff'));
  testing::RawResponse resp = read_response(raw.get());
  EXPECT_EQ(resp.response.status().code(), static_cast<int32_t>(Code::kInvalidArgument));
  send_request(raw.get(), 3, "test.Echo", "Echo", "same connection");
  EXPECT_EQ(read_response(raw.get()).response.payload(), "same connection");
}

TEST_F(BadInputTest, PayloadThatIsNotARequestGetsInvalidArgument) {
  UniqueFd raw = connect();
  send_frame(raw.get(), 1, kRequest, "\xff\xff\xff not protobuf");
  testing::RawResponse resp = read_response(raw.get());
  EXPECT_EQ(resp.stream_id, 1u);
  EXPECT_EQ(resp.response.status().code(), static_cast<int32_t>(Code::kInvalidArgument));
  EXPECT_EQ(resp.response.status().message(),
            "stream 1: decode request: payload is not a valid ttrpc.Request");
  // The framing is intact, so the connection stays usable.
  send_request(raw.get(), 3, "test.Echo", "Echo", "again");
  EXPECT_EQ(read_response(raw.get()).response.payload(), "again");
  expect_server_still_serves();
}

TEST_F(BadInputTest, FramesOtherThanRequestsGetErrorStatus) {
  UniqueFd raw = connect();
  struct Case {
    uint8_t type;
    Code code;
  };
  uint32_t id = 1;
  for (Case c : {Case{2, Code::kInvalidArgument}, Case{3, Code::kUnimplemented},
                 Case{0x7f, Code::kInvalidArgument}}) {
    send_frame(raw.get(), id, c.type, "");
    testing::RawResponse resp = read_response(raw.get());
    EXPECT_EQ(resp.stream_id, id);
    EXPECT_EQ(resp.response.status().code(), static_cast<int32_t>(c.code)) << int{c.type};
    id += 2;
  }
  expect_server_still_serves();
}

TEST_F(BadInputTest, EvenOrReusedStreamIdsAreRejected) {
  UniqueFd raw = connect();
  send_request(raw.get(), 5, "test.Echo", "Echo", "first");
  EXPECT_EQ(read_response(raw.get()).response.payload(), "first");
  for (uint32_t id : {4u, 5u, 3u}) {
    send_request(raw.get(), id, "test.Echo", "Echo", "bad id");
    testing::RawResponse resp = read_response(raw.get());
    EXPECT_EQ(resp.stream_id, id);
    EXPECT_EQ(resp.response.status().code(), static_cast<int32_t>(Code::kInvalidArgument)) << id;
  }
  expect_server_still_serves();
}

TEST_F(BadInputTest, ClientDisconnectingMidRequestCancelsItsHandler) {
  std::promise<void> entered;
  std::promise<void> cancelled;
  server_.register_method("test.Slow", "UntilCancelled",
                          [&](const CallContext& ctx, std::string_view) {
                            entered.set_value();
                            ctx.cancel->wait();
                            cancelled.set_value();
                            return Result<std::string>(std::string("nobody listens"));
                          });
  UniqueFd raw = connect();
  send_request(raw.get(), 1, "test.Slow", "UntilCancelled", "");
  entered.get_future().wait();
  raw.reset();
  EXPECT_EQ(cancelled.get_future().wait_for(kLong), std::future_status::ready);
  expect_server_still_serves();
}

TEST_F(BadInputTest, ClientDisconnectingWithUnreadResponseDoesNotHurtServer) {
  UniqueFd raw = connect();
  // Several requests, then a close without reading: the server's writes meet a
  // closed peer (EPIPE/ECONNRESET) instead of a reader.
  for (uint32_t id = 1; id < 40; id += 2) send_request(raw.get(), id, "test.Echo", "Echo", "x");
  raw.reset();
  expect_server_still_serves();
}

}  // namespace
}  // namespace kata::ttrpc
