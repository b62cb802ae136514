#include "cri/stream_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

namespace kata::cri {
namespace {

using namespace std::chrono_literals;

TEST(ParseStreamUrl, SplitsHostPortAndTarget) {
  struct Case {
    std::string url, host, port, target;
  } cases[] = {
      {"http://127.0.0.1:4321/exec/abc", "127.0.0.1", "4321", "/exec/abc"},
      {"http://127.0.0.1:4321/portforward/x?port=80", "127.0.0.1", "4321",
       "/portforward/x?port=80"},
      {"ws://localhost", "localhost", "80", "/"},
      {"http://[::1]:99/attach/t", "::1", "99", "/attach/t"},
      {"http://[::1]/a", "::1", "80", "/a"},
  };
  for (const Case& c : cases) {
    Result<StreamUrl> u = parse_stream_url(c.url);
    ASSERT_TRUE(u) << c.url << ": " << u.error().message();
    EXPECT_EQ(u->host, c.host) << c.url;
    EXPECT_EQ(u->port, c.port) << c.url;
    EXPECT_EQ(u->target, c.target) << c.url;
  }
  for (const char* bad :
       {"https://127.0.0.1:1/exec/a", "127.0.0.1:1/x", "http://:80/x", "http://h:/x"})
    EXPECT_FALSE(parse_stream_url(bad)) << bad;
}

TEST(ExitCodeOfStatus, ReadsSuccessAndNonZeroExitCode) {
  EXPECT_EQ(*exit_code_of_status(R"({"metadata":{},"status":"Success"})"), 0);
  EXPECT_EQ(*exit_code_of_status(
                R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero )"
                R"(exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":)"
                R"([{"reason":"ExitCode","message":"3"}]}})"),
            3);
  Result<int> internal = exit_code_of_status(
      R"({"status":"Failure","message":"error executing command in container: boom",)"
      R"("reason":"InternalError","code":500})");
  ASSERT_FALSE(internal);
  EXPECT_NE(internal.error().message().find("boom"), std::string::npos);
  for (
      const char* bad :
      {"", "[]", "not json", R"({"status":"Failure","reason":"NonZeroExitCode"})",
       R"({"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}})",
       R"({"reason":"NonZeroExitCode","details":{"causes":"no"}})", R"({"status":7})"})
    EXPECT_FALSE(exit_code_of_status(bad)) << bad;
}

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

// What the kubelet's streaming server does for an exec, in miniature: choose the
// subprotocol, announce stdout, echo a line of stdin to stdout and stderr, send the status,
// close. Records what it read on the resize channel. With `abrupt_close` it closes as
// golang.org/x/net/websocket does: a Close frame, then the socket, not waiting for the reply.
class FakeStreamServer {
 public:
  explicit FakeStreamServer(bool abrupt_close = false)
      : abrupt_close_(abrupt_close), acceptor_(io_, tcp::endpoint(tcp::v4(), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeStreamServer() { thread_.join(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/exec/tok";
  }
  std::string target_, resize_;

 private:
  void send(websocket::stream<tcp::socket>& ws, char channel, const std::string& data) {
    ws.write(boost::asio::buffer(std::string(1, channel) + data));
  }
  void serve() {
    websocket::stream<tcp::socket> ws(acceptor_.accept());
    beast::flat_buffer buf;
    beast::http::request<beast::http::string_body> req;
    beast::http::read(ws.next_layer(), buf, req);
    target_ = std::string(req.target());
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(beast::http::field::sec_websocket_protocol, kChannelProtocol);
    }));
    ws.accept(req);
    ws.binary(true);
    send(ws, 1, "");
    for (;;) {
      beast::flat_buffer in;
      ws.read(in);
      std::string m = beast::buffers_to_string(in.data());
      if (m[0] == 4) {
        resize_ = m.substr(1);
        continue;
      }
      send(ws, 1, "out:" + m.substr(1));
      send(ws, 2, "err:" + m.substr(1));
      break;
    }
    send(ws, 3,
         R"({"status":"Failure","reason":"NonZeroExitCode",)"
         R"("details":{"causes":[{"reason":"ExitCode","message":"5"}]}})");
    if (!abrupt_close_) {
      ws.close(websocket::close_code::normal);
      return;
    }
    const unsigned char close_1000[] = {0x88, 0x02, 0x03, 0xe8};
    boost::asio::write(ws.next_layer(), boost::asio::buffer(close_1000));
    ws.next_layer().close();
  }

  bool abrupt_close_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

class RemoteCommandTest : public ::testing::TestWithParam<bool> {};

TEST_P(RemoteCommandTest, SendsStdinAndResizeAndCollectsOutputAndExitCode) {
  FakeStreamServer server(GetParam());
  Result<RemoteCommand> cmd = RemoteCommand::open(server.url(), 10s);
  ASSERT_TRUE(cmd) << cmd.error().message();
  ASSERT_TRUE(cmd->resize(100, 40));
  ASSERT_TRUE(cmd->write_stdin("hi\n"));
  ASSERT_TRUE(cmd->wait_for_output("out:", 10s));
  Result<int> code = cmd->wait(10s);
  ASSERT_TRUE(code) << code.error().message();
  EXPECT_EQ(*code, 5);
  EXPECT_EQ(cmd->output().out, "out:hi\n");
  EXPECT_EQ(cmd->output().err, "err:hi\n");
  EXPECT_EQ(server.target_, "/exec/tok");
  EXPECT_EQ(server.resize_, R"({"Width":100,"Height":40})");
}

INSTANTIATE_TEST_SUITE_P(Close, RemoteCommandTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Abrupt" : "Handshake"; });

TEST(RemoteCommand, TimesOutWhenNothingComes) {
  // A listener that never answers the upgrade.
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(tcp::v4(), 0));
  std::string url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/x";
  auto start = std::chrono::steady_clock::now();
  Result<RemoteCommand> cmd = RemoteCommand::open(url, 300ms);
  ASSERT_FALSE(cmd);
  EXPECT_EQ(cmd.error().code(), Code::kUnavailable) << cmd.error().message();
  EXPECT_NE(cmd.error().message().find("timeout"), std::string::npos) << cmd.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace kata::cri
