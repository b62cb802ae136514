#include "sys/unix_socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/fs.h"
#include "sys/fd_io.h"

namespace kata::sys {
namespace {

using std::chrono::milliseconds;

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-sock-XXXXXX";  // short: sun_path holds 107 bytes
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(UnixSocketTest, ListenConnectAcceptExchange) {
  std::string path = dir_ + "/s";
  auto l = listen_unix(path);
  ASSERT_TRUE(l) << l.error().message();
  auto c = connect_unix(path, deadline_after(milliseconds(1000)));
  ASSERT_TRUE(c);
  auto a = accept_unix(l->get(), deadline_after(milliseconds(1000)));
  ASSERT_TRUE(a);
  ASSERT_TRUE(write_all(c->get(), "ping", deadline_after(milliseconds(1000))));
  auto got = read_some(a->get(), 16, deadline_after(milliseconds(1000)));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "ping");
}

TEST_F(UnixSocketTest, ConnectRetriesUntilServerAppears) {
  std::string path = dir_ + "/late";
  std::thread server([&] {
    std::this_thread::sleep_for(milliseconds(100));
    auto l = listen_unix(path);
    ASSERT_TRUE(l);
    auto a = accept_unix(l->get(), deadline_after(milliseconds(5000)));
    EXPECT_TRUE(a);
  });
  auto c = connect_unix(path, deadline_after(milliseconds(5000)));
  EXPECT_TRUE(c) << c.error().message();
  server.join();
}

TEST_F(UnixSocketTest, ConnectTimesOutWithLastError) {
  std::string path = dir_ + "/never";
  auto c = connect_unix(path, deadline_after(milliseconds(30)));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(c.error().message(),
            "connect `" + path + "`: timed out (last: No such file or directory)");
}

TEST_F(UnixSocketTest, OtherErrorsFailAtOnce) {
  std::string file = dir_ + "/plain";
  ASSERT_TRUE(fs::write_file_atomic(file, "x"));
  auto c = connect_unix(file + "/sock", deadline_after(milliseconds(5000)));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "connect `" + file + "/sock`: Not a directory");
}

TEST_F(UnixSocketTest, PathTooLong) {
  std::string path = dir_ + "/" + std::string(120, 'x');
  auto c = connect_unix(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "connect `" + path + "`: File name too long");
  EXPECT_FALSE(listen_unix(path));
}

TEST_F(UnixSocketTest, StaleSocketIsReplacedLiveOneIsNot) {
  std::string path = dir_ + "/s";
  {
    auto l = listen_unix(path);
    ASSERT_TRUE(l);
  }  // closed: the file stays, stale
  auto l2 = listen_unix(path);
  ASSERT_TRUE(l2) << l2.error().message();
  auto l3 = listen_unix(path);
  ASSERT_FALSE(l3);
  EXPECT_EQ(l3.error().code(), Code::kAlreadyExists);
}

TEST_F(UnixSocketTest, AcceptTimesOut) {
  auto l = listen_unix(dir_ + "/s");
  ASSERT_TRUE(l);
  auto a = accept_unix(l->get(), deadline_after(milliseconds(20)));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), Code::kDeadlineExceeded);
}

TEST(SocketPairTest, ReadSeesEofAfterClose) {
  auto p = socket_pair();
  ASSERT_TRUE(p);
  p->second.reset();
  auto got = read_some(p->first.get(), 16, deadline_after(milliseconds(1000)));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  auto w = write_all(p->first.get(), "x", deadline_after(milliseconds(1000)));
  ASSERT_FALSE(w);  // EPIPE as an error, not a SIGPIPE that kills the test
}

}  // namespace
}  // namespace kata::sys
