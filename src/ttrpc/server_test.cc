#include "ttrpc/server.h"

#include <gtest/gtest.h>

#include <cctype>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "ttrpc/client.h"
#include "ttrpc/testing/test_util.h"

namespace kata::ttrpc {
namespace {

using namespace std::chrono_literals;
using testing::read_response;
using testing::send_request;
using testing::socket_pair;

constexpr auto kLong = 10s;  // only reached when a test is broken

Result<std::string> echo(const CallContext&, std::string_view payload) {
  return std::string(payload);
}

// A Server serving one end of a socketpair on its own thread; the other end
// is either a Client or left raw for hand-made frames.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.register_method("test.Echo", "Echo", echo); }

  UniqueFd start() {
    auto [served, peer] = socket_pair();
    thread_ = std::thread([this, fd = std::move(served)]() mutable {
      serve_result_.emplace(server_.serve_connection(std::move(fd)));
    });
    return std::move(peer);
  }

  Client& start_client() {
    client_.emplace(start());
    return *client_;
  }

  void TearDown() override {
    client_.reset();
    server_.shutdown();
    if (thread_.joinable()) thread_.join();
  }

  Server server_;
  std::thread thread_;
  std::optional<Result<void>> serve_result_;
  std::optional<Client> client_;
};

TEST_F(ServerTest, TypedCallRoundTrip) {
  server_.register_typed<::ttrpc::KeyValue, ::ttrpc::KeyValue>(
      "test.Kv", "Upper", [](const CallContext&, const ::ttrpc::KeyValue& req) {
        ::ttrpc::KeyValue resp;
        resp.set_key(req.key());
        std::string upper = req.value();
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        resp.set_value(upper);
        return Result<::ttrpc::KeyValue>(resp);
      });
  Client& client = start_client();
  ::ttrpc::KeyValue req;
  req.set_key("k");
  req.set_value("hello");
  Result<::ttrpc::KeyValue> resp =
      client.call<::ttrpc::KeyValue, ::ttrpc::KeyValue>("test.Kv", "Upper", req, kLong);
  ASSERT_TRUE(resp) << resp.error().message();
  EXPECT_EQ(resp->key(), "k");
  EXPECT_EQ(resp->value(), "HELLO");
}

TEST_F(ServerTest, TypedHandlerRejectsPayloadThatIsNotItsMessage) {
  server_.register_typed<::ttrpc::KeyValue, ::ttrpc::KeyValue>(
      "test.Kv", "Get", [](const CallContext&, const ::ttrpc::KeyValue& req) {
        return Result<::ttrpc::KeyValue>(req);
      });
  Result<std::string> resp = start_client().call_raw("test.Kv", "Get", "\xff\xff\xff", kLong);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kInvalidArgument);
  EXPECT_NE(resp.error().message().find("test.Kv/Get"), std::string::npos);
}

TEST_F(ServerTest, HandlerSeesServiceMethodDeadlineAndCancelToken) {
  std::promise<CallContext> seen;
  server_.register_method("test.Ctx", "Look", [&](const CallContext& ctx, std::string_view) {
    seen.set_value(ctx);
    return Result<std::string>(std::string());
  });
  auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(start_client().call_raw("test.Ctx", "Look", "", kLong));
  CallContext ctx = seen.get_future().get();
  EXPECT_EQ(ctx.service, "test.Ctx");
  EXPECT_EQ(ctx.method, "Look");
  EXPECT_GT(ctx.deadline, before + kLong - 1s);
  ASSERT_NE(ctx.cancel, nullptr);
}

TEST_F(ServerTest, UnknownServiceOrMethodIsUnimplemented) {
  Client& client = start_client();
  for (auto [service, method] :
       {std::pair{"grpc.AgentService", "Foo"}, std::pair{"test.Echo", "Nope"}}) {
    Result<std::string> resp = client.call_raw(service, method, "", kLong);
    ASSERT_FALSE(resp);
    EXPECT_EQ(resp.error().code(), Code::kUnimplemented);
    EXPECT_EQ(resp.error().message(), std::string(service) + "/" + method + " is not implemented");
  }
}

TEST_F(ServerTest, InProcessCallRunsTheHandlerAsAConnectionWould) {
  CallContext ctx;
  ctx.service = "test.Echo";
  ctx.method = "Echo";
  Result<std::string> echoed = server_.call(ctx, "ping");
  ASSERT_TRUE(echoed) << echoed.error().message();
  EXPECT_EQ(*echoed, "ping");
  ctx.method = "Nope";
  Result<std::string> unknown = server_.call(ctx, "ping");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Code::kUnimplemented);
  EXPECT_EQ(unknown.error().message(), "test.Echo/Nope is not implemented");
}

TEST_F(ServerTest, HandlerErrorBecomesStatusWithCodeAndMessage) {
  server_.register_method("test.Fail", "NotFound", [](const CallContext&, std::string_view) {
    return Result<std::string>(Error(Code::kNotFound, "container abc not found"));
  });
  Result<std::string> resp = start_client().call_raw("test.Fail", "NotFound", "", kLong);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kNotFound);
  EXPECT_EQ(resp.error().message(), "container abc not found");
}

TEST_F(ServerTest, HandlerExceptionBecomesInternalAndServerKeepsServing) {
  server_.register_method("test.Fail", "Throw",
                          [](const CallContext&, std::string_view) -> Result<std::string> {
                            throw std::runtime_error("boom");
                          });
  Client& client = start_client();
  Result<std::string> resp = client.call_raw("test.Fail", "Throw", "", kLong);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kInternal);
  EXPECT_NE(resp.error().message().find("boom"), std::string::npos);
  Result<std::string> echoed = client.call_raw("test.Echo", "Echo", "still here", kLong);
  ASSERT_TRUE(echoed) << echoed.error().message();
  EXPECT_EQ(*echoed, "still here");
}

TEST_F(ServerTest, SlowHandlerDoesNotHoldBackAFastOne) {
  std::promise<void> slow_entered;
  std::promise<void> release_slow;
  std::shared_future<void> released = release_slow.get_future().share();
  server_.register_method("test.Slow", "Wait", [&](const CallContext&, std::string_view) {
    slow_entered.set_value();
    released.wait();
    return Result<std::string>(std::string("slow"));
  });
  Client& client = start_client();
  auto slow = std::async(std::launch::async,
                         [&] { return client.call_raw("test.Slow", "Wait", "", kLong); });
  slow_entered.get_future().wait();
  Result<std::string> fast = client.call_raw("test.Echo", "Echo", "fast", kLong);
  ASSERT_TRUE(fast) << fast.error().message();
  EXPECT_EQ(*fast, "fast");
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);  // still in flight
  release_slow.set_value();
  Result<std::string> slow_result = slow.get();
  ASSERT_TRUE(slow_result) << slow_result.error().message();
  EXPECT_EQ(*slow_result, "slow");
}

// Raw frames, so the server's own deadline answers rather than the client's.
TEST_F(ServerTest, ServerAnswersDeadlineExceededAndDropsTheLateResult) {
  std::promise<bool> handler_cancelled;
  server_.register_method("test.Slow", "UntilCancelled",
                          [&](const CallContext& ctx, std::string_view) {
                            ctx.cancel->wait();
                            handler_cancelled.set_value(ctx.cancelled());
                            return Result<std::string>(std::string("late"));
                          });
  UniqueFd peer = start();
  send_request(peer.get(), 1, "test.Slow", "UntilCancelled", "", 20'000'000);
  testing::RawResponse first = read_response(peer.get());
  EXPECT_EQ(first.stream_id, 1u);
  EXPECT_EQ(first.response.status().code(), static_cast<int32_t>(Code::kDeadlineExceeded));
  EXPECT_NE(first.response.status().message().find("test.Slow/UntilCancelled"), std::string::npos);
  EXPECT_TRUE(handler_cancelled.get_future().get());
  // Had the late "late" been sent, it would arrive before this answer.
  send_request(peer.get(), 3, "test.Echo", "Echo", "next");
  testing::RawResponse second = read_response(peer.get());
  EXPECT_EQ(second.stream_id, 3u);
  EXPECT_EQ(second.response.payload(), "next");
}

TEST_F(ServerTest, ClientDeadlineExpiresWhileHandlerRuns) {
  server_.register_method("test.Slow", "UntilCancelled",
                          [](const CallContext& ctx, std::string_view) {
                            ctx.cancel->wait();
                            return Result<std::string>(std::string("late"));
                          });
  Client& client = start_client();
  Result<std::string> resp = client.call_raw("test.Slow", "UntilCancelled", "", 30ms);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kDeadlineExceeded);
  Result<std::string> next = client.call_raw("test.Echo", "Echo", "after", kLong);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, "after");
}

TEST_F(ServerTest, ServeConnectionReturnsOkWhenPeerCloses) {
  UniqueFd peer = start();
  peer.reset();
  thread_.join();
  ASSERT_TRUE(serve_result_.has_value());
  EXPECT_TRUE(*serve_result_) << serve_result_->error().message();
}

TEST_F(ServerTest, ShutdownCancelsHandlersAndClientSeesUnavailable) {
  std::promise<void> entered;
  std::promise<bool> cancelled;
  server_.register_method("test.Slow", "UntilCancelled",
                          [&](const CallContext& ctx, std::string_view) {
                            entered.set_value();
                            ctx.cancel->wait();
                            cancelled.set_value(true);
                            return Result<std::string>(std::string("late"));
                          });
  Client& client = start_client();
  auto call = std::async(std::launch::async,
                         [&] { return client.call_raw("test.Slow", "UntilCancelled", "", kLong); });
  entered.get_future().wait();
  server_.shutdown();
  thread_.join();
  EXPECT_TRUE(cancelled.get_future().get());
  ASSERT_TRUE(serve_result_.has_value());
  EXPECT_TRUE(*serve_result_);
  Result<std::string> resp = call.get();
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code(), Code::kUnavailable);
  EXPECT_NE(resp.error().message().find("connection closed by the server"), std::string::npos)
      << resp.error().message();
  EXPECT_FALSE(client.connected());
}

TEST_F(ServerTest, ShutdownInterruptsAWriteToAPeerThatStopsReading) {
  std::promise<void> returned;
  server_.register_method("test.Big", "Get", [&](const CallContext&, std::string_view) {
    returned.set_value();
    // Far more than a socket buffer holds, so the write blocks on the peer.
    return Result<std::string>(std::string(3 << 20, 'x'));
  });
  UniqueFd peer = start();
  send_request(peer.get(), 1, "test.Big", "Get", "");
  returned.get_future().wait();
  testing::wait_readable(peer.get());  // the answer has started and cannot finish
  server_.shutdown();
  thread_.join();
  ASSERT_TRUE(serve_result_.has_value());
  EXPECT_TRUE(*serve_result_);
}

TEST_F(ServerTest, ShutdownInterruptsTheReaderWritingAnErrorToAPeerThatStopsReading) {
  UniqueFd peer = start();
  // The reader answers UNIMPLEMENTED itself, quoting the method name: at 1 MiB
  // that answer cannot fit in the socket buffers of a peer that never reads.
  send_request(peer.get(), 1, "test.Echo", std::string(1 << 20, 'm'), "");
  testing::wait_readable(peer.get());  // the answer has started, so the reader is in it
  server_.shutdown();
  thread_.join();
  ASSERT_TRUE(serve_result_.has_value());
  EXPECT_TRUE(*serve_result_);
}

}  // namespace
}  // namespace kata::ttrpc
