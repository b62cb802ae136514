#include "ttrpc/client.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>
#include <vector>

#include "ttrpc/server.h"
#include "ttrpc/testing/test_util.h"

namespace kata::ttrpc {
namespace {

using namespace std::chrono_literals;
using testing::socket_pair;

constexpr auto kLong = 10s;  // only reached when a test is broken

// The next request the client sent, read off the raw server end.
struct SeenRequest {
  uint32_t stream_id = 0;
  uint8_t type = 0;
  ::ttrpc::Request request;
};

SeenRequest read_request(int fd) {
  SeenRequest out;
  Result<std::optional<Frame>> frame = read_frame(fd);
  if (!frame || !frame->has_value()) {
    ADD_FAILURE() << "expected a request frame";
    return out;
  }
  out.stream_id = (*frame)->stream_id;
  out.type = (*frame)->type;
  EXPECT_TRUE(out.request.ParseFromString((*frame)->data));
  return out;
}

void answer(int fd, uint32_t stream_id, const Result<std::string>& result) {
  testing::send_frame(fd, stream_id, static_cast<uint8_t>(FrameType::kResponse),
                      encode_response(result));
}

TEST(ClientTest, StreamIdsAreOddAndIncreasingAndTimeoutIsSent) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::vector<SeenRequest> seen;
  std::thread fake([&, fd = server_end.get()] {
    for (int i = 0; i < 3; ++i) {
      seen.push_back(read_request(fd));
      answer(fd, seen.back().stream_id, seen.back().request.payload());
    }
  });
  for (const char* payload : {"a", "b", "c"}) {
    Result<std::string> resp = client.call_raw("svc", "M", payload, 1500ms);
    ASSERT_TRUE(resp) << resp.error().message();
    EXPECT_EQ(*resp, payload);
  }
  fake.join();
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].stream_id, 1u + 2 * i);
    EXPECT_EQ(seen[i].type, static_cast<uint8_t>(FrameType::kRequest));
    EXPECT_EQ(seen[i].request.service(), "svc");
    EXPECT_EQ(seen[i].request.method(), "M");
    EXPECT_EQ(seen[i].request.timeout_nano(), 1'500'000'000);
  }
}

TEST(ClientTest, NonOkStatusKeepsServerCodeAndMessage) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::thread fake([fd = server_end.get()] {
    answer(fd, read_request(fd).stream_id, Error(Code::kFailedPrecondition, "sandbox not running"));
  });
  Result<std::string> resp = client.call_raw("svc", "M", "", kLong);
  fake.join();
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(resp.error().message(), "sandbox not running");
}

TEST(ClientTest, ResponseThatIsNotProtobufIsDataLoss) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::thread fake([fd = server_end.get()] {
    testing::send_frame(fd, read_request(fd).stream_id, static_cast<uint8_t>(FrameType::kResponse),
                        "\xff\xff\xff");
  });
  Result<std::string> resp = client.call_raw("svc", "M", "", kLong);
  fake.join();
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kDataLoss);
}

TEST(ClientTest, LateResponseAfterDeadlineIsIgnored) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::promise<void> first_timed_out;
  std::thread fake([&, fd = server_end.get()] {
    uint32_t first = read_request(fd).stream_id;
    first_timed_out.get_future().wait();
    answer(fd, first, std::string("late"));
    answer(fd, read_request(fd).stream_id, std::string("fresh"));
  });
  Result<std::string> resp = client.call_raw("svc", "Slow", "", 30ms);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kDeadlineExceeded);
  EXPECT_NE(resp.error().message().find("svc/Slow"), std::string::npos);
  first_timed_out.set_value();
  Result<std::string> next = client.call_raw("svc", "Fast", "", kLong);
  fake.join();
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, "fresh");
  EXPECT_TRUE(client.connected());
}

TEST(ClientTest, PendingCallsFailUnavailableWhenServerCloses) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::thread fake([&] {
    read_request(server_end.get());
    server_end.reset();
  });
  Result<std::string> resp = client.call_raw("svc", "M", "", kLong);
  fake.join();
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kUnavailable);
  EXPECT_EQ(resp.error().message(), "call svc/M: connection closed by the server");
  EXPECT_FALSE(client.connected());
  Result<std::string> after = client.call_raw("svc", "Again", "", kLong);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), Code::kUnavailable);
  EXPECT_EQ(after.error().message(), "call svc/Again: connection closed by the server");
}

TEST(ClientTest, CloseFailsPendingCalls) {
  auto [client_end, server_end] = socket_pair();
  Client client(std::move(client_end));
  std::promise<void> request_arrived;
  std::thread fake([&, fd = server_end.get()] {
    read_request(fd);
    request_arrived.set_value();
  });
  auto call =
      std::async(std::launch::async, [&] { return client.call_raw("svc", "M", "", kLong); });
  request_arrived.get_future().wait();
  client.close();
  Result<std::string> resp = call.get();
  fake.join();
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kUnavailable);
  EXPECT_EQ(resp.error().message(), "call svc/M: client closed");
  EXPECT_FALSE(client.connected());
}

TEST(ClientTest, ConcurrentCallsFromManyThreads) {
  Server server;
  server.register_method("test.Echo", "Echo", [](const CallContext&, std::string_view payload) {
    return Result<std::string>(std::string(payload));
  });
  auto [client_end, server_end] = socket_pair();
  std::thread serving([&, fd = std::move(server_end)]() mutable {
    EXPECT_TRUE(server.serve_connection(std::move(fd)));
  });
  {
    Client client(std::move(client_end));
    std::vector<std::thread> callers;
    for (int t = 0; t < 8; ++t) {
      callers.emplace_back([&client, t] {
        for (int i = 0; i < 50; ++i) {
          std::string payload = std::to_string(t) + ":" + std::to_string(i);
          Result<std::string> resp = client.call_raw("test.Echo", "Echo", payload, kLong);
          ASSERT_TRUE(resp) << resp.error().message();
          EXPECT_EQ(*resp, payload);
        }
      });
    }
    for (std::thread& c : callers) c.join();
  }
  serving.join();  // the client's close ends serve_connection
}

}  // namespace
}  // namespace kata::ttrpc
