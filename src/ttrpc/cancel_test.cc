#include "ttrpc/cancel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace kata::ttrpc {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  Pipe() {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    read_end.reset(p[0]);
    write_end.reset(p[1]);
  }
  UniqueFd read_end, write_end;
};

TEST(CancelToken, WakeFdTurnsReadableOnCancel) {
  CancelToken token;
  int fd = token.wake_fd();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(token.wake_fd(), fd);  // one per token
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  token.cancel();
  EXPECT_EQ(::poll(&p, 1, 0), 1);

  CancelToken late;  // asked for after the cancel: readable at once
  late.cancel();
  pollfd q{late.wake_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&q, 1, 0), 1);
}

TEST(CancelToken, WaitReadyReturnsWhenTheFdIsReady) {
  Pipe pipe;
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  CancelToken token;
  EXPECT_TRUE(wait_ready_or_cancelled(pipe.read_end.get(), POLLIN, &token));
  EXPECT_TRUE(wait_ready_or_cancelled(pipe.read_end.get(), POLLIN, nullptr));
}

TEST(CancelToken, WaitReadyEndsOnCancel) {
  Pipe pipe;
  CancelToken token;
  auto start = Clock::now();
  std::thread canceller([&token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    token.cancel();
  });
  EXPECT_FALSE(wait_ready_or_cancelled(pipe.read_end.get(), POLLIN, &token));
  canceller.join();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(30));
  // Cancelled already: returns at once, also for a fd that is ready.
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  EXPECT_FALSE(wait_ready_or_cancelled(pipe.read_end.get(), POLLIN, &token));
}

TEST(CancelToken, SubscribersAreNotifiedWhileSubscribed) {
  CancelToken token;
  int a = 0, b = 0;
  {
    CancelToken::Subscription gone = token.subscribe([&b] { ++b; });
  }
  CancelToken::Subscription kept = token.subscribe([&a] { ++a; });
  token.cancel();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);  // unsubscribed before the cancel
  CancelToken::Subscription moved = std::move(kept);
  token.cancel();
  EXPECT_EQ(a, 2);  // the moved-to handle keeps the subscription
}

}  // namespace
}  // namespace kata::ttrpc
