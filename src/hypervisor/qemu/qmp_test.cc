#include "hypervisor/qemu/qmp.h"

#include <gtest/gtest.h>

#include <thread>

#include "hypervisor/testing/fake_qmp_server.h"
#include "sys/fd_io.h"
#include "sys/unix_socket.h"

namespace kata::hypervisor::qemu {
namespace {

using std::chrono::milliseconds;
using testing::FakeQmpServer;

// A client connected to `server` over a socketpair.
Result<QmpClient> connect_to(FakeQmpServer& server, milliseconds timeout = milliseconds(2000)) {
  auto pair = sys::socket_pair();
  if (!pair) return pair.error();
  server.start(std::move(pair->second));
  return QmpClient::handshake(std::move(pair->first), sys::deadline_after(timeout));
}

TEST(QmpTest, HandshakeAndCommands) {
  FakeQmpServer server;
  server.returns["query-version"] = {{"qemu", {{"major", 7}}}};
  auto client = connect_to(server);
  ASSERT_TRUE(client) << client.error().message();
  EXPECT_EQ(client->qemu_version(), "7.2.22");
  auto status = client->query_status();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, "running");
  auto version = client->execute("query-version");
  ASSERT_TRUE(version);
  EXPECT_EQ((*version)["qemu"]["major"], 7);
  EXPECT_TRUE(client->system_powerdown());
  EXPECT_TRUE(client->quit());
  // quit's SHUTDOWN event comes after the reply; it is read once somebody waits for it.
  auto shutdown = client->wait_event("SHUTDOWN", milliseconds(1000));
  ASSERT_TRUE(shutdown) << shutdown.error().message();
  EXPECT_EQ(shutdown->data["reason"], "host-qmp-quit");
  server.stop();
  EXPECT_EQ(server.commands(),
            (std::vector<std::string>{"qmp_capabilities", "query-status", "query-version",
                                      "system_powerdown", "quit"}));
}

TEST(QmpTest, ErrorsCarryQemuDescription) {
  FakeQmpServer server;
  server.errors["device_del"] = "Device 'x' not found";
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  auto r = client->execute("device_del", {{"id", "x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "qmp `device_del`: Device 'x' not found");
  EXPECT_TRUE(client->query_status());  // the connection stays usable
}

TEST(QmpTest, EventsBeforeRepliesAreKept) {
  FakeQmpServer server;
  server.events_before_reply = {{{"event", "STOP"}}, {{"event", "RESUME"}, {"data", {{"a", 1}}}}};
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->query_status());
  ASSERT_TRUE(client->last_event("RESUME"));
  EXPECT_EQ(client->last_event("RESUME")->data["a"], 1);
  EXPECT_FALSE(client->last_event("SHUTDOWN"));
  EXPECT_EQ(client->events().size(), 4u);  // two for qmp_capabilities, two for query-status
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->query_status());
  EXPECT_EQ(client->events().size(), QmpClient::kMaxEvents);
}

TEST(QmpTest, ServerThatNeverAnswersTimesOut) {
  FakeQmpServer server;
  server.never_answer = true;
  auto pair = sys::socket_pair();
  ASSERT_TRUE(pair);
  server.start(std::move(pair->second));
  auto client =
      QmpClient::handshake(std::move(pair->first), sys::deadline_after(milliseconds(100)));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(client.error().message().rfind("qmp `qmp_capabilities`: no reply within ", 0), 0u);
}

TEST(QmpTest, TimedOutReplyArrivingLateIsSkipped) {
  // A hand-driven server: answers the first query late, after the client gave up.
  auto pair = sys::socket_pair();
  ASSERT_TRUE(pair);
  int server_fd = pair->second.get();
  auto deadline = [] { return sys::deadline_after(milliseconds(1000)); };
  ASSERT_TRUE(sys::write_all(server_fd, "{\"QMP\": {}}\n", deadline()));
  ASSERT_TRUE(sys::write_all(server_fd, "{\"return\": {}, \"id\": 1}\n", deadline()));
  auto client = QmpClient::handshake(std::move(pair->first), deadline());
  ASSERT_TRUE(client) << client.error().message();
  auto late = client->query_status(milliseconds(20));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), Code::kDeadlineExceeded);
  ASSERT_TRUE(sys::write_all(server_fd,
                             "{\"return\": {\"status\": \"paused\"}, \"id\": 2}\n"
                             "{\"return\": {\"status\": \"running\"}, \"id\": 3}\n",
                             deadline()));
  auto status = client->query_status();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, "running");
}

TEST(QmpTest, GarbageBreaksTheConnection) {
  FakeQmpServer server;
  server.garbage_reply = "this is not json";
  auto client = connect_to(server);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kDataLoss);
  EXPECT_EQ(client.error().message(),
            "qmp `qmp_capabilities`: qmp: not a QMP message: this is not json");
}

TEST(QmpTest, GarbageGreeting) {
  auto pair = sys::socket_pair();
  ASSERT_TRUE(pair);
  ASSERT_TRUE(sys::write_all(pair->second.get(), "\x01\x02garbage\n",
                             sys::deadline_after(milliseconds(1000))));
  auto client =
      QmpClient::handshake(std::move(pair->first), sys::deadline_after(milliseconds(1000)));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kDataLoss);
  EXPECT_EQ(client.error().message().rfind("qmp greeting: qmp: not a QMP message", 0), 0u);

  auto pair2 = sys::socket_pair();
  ASSERT_TRUE(pair2);
  ASSERT_TRUE(sys::write_all(pair2->second.get(), "{\"hello\": 1}\n",
                             sys::deadline_after(milliseconds(1000))));
  auto client2 =
      QmpClient::handshake(std::move(pair2->first), sys::deadline_after(milliseconds(1000)));
  ASSERT_FALSE(client2);
  EXPECT_EQ(client2.error().message(), "qmp greeting: unexpected message {\"hello\":1}");
}

TEST(QmpTest, EndlessLineIsRejected) {
  auto pair = sys::socket_pair();
  ASSERT_TRUE(pair);
  std::thread writer([fd = pair->second.get()] {
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 20; ++i) {
      if (!sys::write_all(fd, chunk, sys::deadline_after(milliseconds(2000)))) break;
    }
  });
  auto client =
      QmpClient::handshake(std::move(pair->first), sys::deadline_after(milliseconds(2000)));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kDataLoss);
  writer.join();  // ends with EPIPE: the failed client closed its end
}

TEST(QmpTest, ClosedConnection) {
  FakeQmpServer server;
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  server.stop();  // shuts the socket down
  auto r = client->query_status();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  auto again = client->query_status();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message().rfind("qmp `query-status`: connection unusable", 0), 0u);
  EXPECT_TRUE(client->quit());  // QEMU gone already: nothing left to quit
}

TEST(QmpTest, ConnectRetriesUntilDeadline) {
  auto r =
      QmpClient::connect("/tmp/kata-qmp-test-no-such.sock", sys::deadline_after(milliseconds(30)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded);
}

}  // namespace
}  // namespace kata::hypervisor::qemu
