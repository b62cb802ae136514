#include "ttrpc/frame.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "ttrpc/io.h"
#include "ttrpc/testing/test_util.h"

namespace kata::ttrpc {
namespace {

using testing::socket_pair;

std::string bytes_of(const HeaderBytes& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string header_with_length(uint32_t length, uint32_t stream_id = 1) {
  return bytes_of(encode_header(FrameHeader{length, stream_id, 1, 0}));
}

TEST(FrameTest, HeaderByteLayoutIsBigEndian) {
  HeaderBytes bytes = encode_header(FrameHeader{0x01020304, 0x0a0b0c0d, 2, 0x80});
  HeaderBytes want = {0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d, 0x02, 0x80};
  EXPECT_EQ(bytes, want);
  FrameHeader back = decode_header(bytes);
  EXPECT_EQ(back.data_length, 0x01020304u);
  EXPECT_EQ(back.stream_id, 0x0a0b0c0du);
  EXPECT_EQ(back.type, 2);
  EXPECT_EQ(back.flags, 0x80);
}

TEST(FrameTest, EncodeDecodeRoundTrip) {
  struct Case {
    uint32_t stream_id;
    uint8_t type;
    uint8_t flags;
    size_t size;
  };
  for (const Case& c : {Case{1, 1, 0, 0}, Case{3, 2, 1, 1}, Case{0xffffffff, 3, 4, 1000},
                        Case{7, 0xff, 0xff, kMaxFrameData}}) {
    Frame frame{c.stream_id, c.type, c.flags, std::string(c.size, 'x')};
    Result<std::string> bytes = encode_frame(frame);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_EQ(bytes->size(), kFrameHeaderSize + c.size);
    Result<DecodedFrame> decoded = decode_frame(*bytes);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(decoded->size, bytes->size());
    EXPECT_EQ(decoded->frame.stream_id, c.stream_id);
    EXPECT_EQ(decoded->frame.type, c.type);
    EXPECT_EQ(decoded->frame.flags, c.flags);
    EXPECT_EQ(decoded->frame.data, frame.data);
  }
}

TEST(FrameTest, DecodeTakesOnlyTheFirstFrame) {
  std::string two = *encode_frame(Frame{1, 1, 0, "abc"}) + *encode_frame(Frame{3, 1, 0, "de"});
  Result<DecodedFrame> first = decode_frame(two);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->frame.data, "abc");
  Result<DecodedFrame> second = decode_frame(std::string_view(two).substr(first->size));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->frame.stream_id, 3u);
  EXPECT_EQ(second->frame.data, "de");
}

TEST(FrameTest, DecodeRejectsLengthOverLimit) {
  Result<DecodedFrame> decoded = decode_frame(header_with_length(kMaxFrameData + 1, 5));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code(), Code::kResourceExhausted);
  EXPECT_NE(decoded.error().message().find("4194305"), std::string::npos);
  EXPECT_NE(decoded.error().message().find("4194304"), std::string::npos);
  EXPECT_NE(decoded.error().message().find("stream 5"), std::string::npos);
}

TEST(FrameTest, DecodeReportsTruncatedFrame) {
  for (const std::string& input : {std::string(), std::string("\0\0\0", 3), header_with_length(10),
                                   header_with_length(10) + "12345"}) {
    Result<DecodedFrame> decoded = decode_frame(input);
    ASSERT_FALSE(decoded) << input.size();
    EXPECT_EQ(decoded.error().code(), Code::kDataLoss);
    EXPECT_EQ(decoded.error().message().rfind("truncated frame", 0), 0u)
        << decoded.error().message();
  }
}

TEST(FrameTest, EncodeRejectsDataOverLimit) {
  Result<std::string> bytes = encode_frame(Frame{1, 1, 0, std::string(kMaxFrameData + 1, 'x')});
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code(), Code::kResourceExhausted);
}

TEST(FrameTest, ReadFrameAssemblesShortReads) {
  auto [reader, writer] = socket_pair();
  std::string bytes = *encode_frame(Frame{9, 2, 0, "payload"});
  // Part of the header is there before the read starts, the rest trickles in.
  ASSERT_EQ(::write(writer.get(), bytes.data(), 3), 3);
  Result<std::optional<Frame>> got = Error(Code::kUnknown, "not read");
  std::thread t([&, fd = reader.get()] { got = read_frame(fd); });
  for (size_t i = 3; i < bytes.size(); ++i) ASSERT_EQ(::write(writer.get(), &bytes[i], 1), 1);
  t.join();
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->stream_id, 9u);
  EXPECT_EQ((*got)->data, "payload");
}

TEST(FrameTest, ReadFrameReturnsNulloptOnCleanEof) {
  auto [reader, writer] = socket_pair();
  writer.reset();
  Result<std::optional<Frame>> got = read_frame(reader.get());
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
}

TEST(FrameTest, ReadFrameEofInsideFrameIsTruncated) {
  for (const std::string& input : {std::string("\0\0", 2), header_with_length(10) + "123"}) {
    auto [reader, writer] = socket_pair();
    ASSERT_EQ(::write(writer.get(), input.data(), input.size()),
              static_cast<ssize_t>(input.size()));
    writer.reset();
    Result<std::optional<Frame>> got = read_frame(reader.get());
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code(), Code::kDataLoss);
    EXPECT_NE(got.error().message().find("truncated frame"), std::string::npos);
  }
}

TEST(FrameTest, ReadFrameRejectsOversizedHeaderBeforeReadingData) {
  auto [reader, writer] = socket_pair();
  std::string header = header_with_length(kMaxFrameData + 1);
  ASSERT_EQ(::write(writer.get(), header.data(), header.size()), 10);
  Result<std::optional<Frame>> got = read_frame(reader.get());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kResourceExhausted);
}

void ignore_signal(int) {}

TEST(FrameTest, ReadFrameRetriesAfterEintr) {
  struct sigaction action {};
  action.sa_handler = ignore_signal;  // no SA_RESTART: a blocked read() fails with EINTR
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  for (bool use_wake : {false, true}) {
    auto [reader, writer] = socket_pair();
    Result<UniqueFd> wake_fd = io::make_wake_fd();
    ASSERT_TRUE(wake_fd);
    int wake_arg = use_wake ? wake_fd->get() : -1;
    Result<std::optional<Frame>> got = Error(Code::kUnknown, "not read");
    std::thread t([&, fd = reader.get()] { got = read_frame(fd, wake_arg); });
    for (int i = 0; i < 20; ++i) ::pthread_kill(t.native_handle(), SIGUSR1);
    std::string bytes = *encode_frame(Frame{1, 1, 0, "x"});
    ASSERT_EQ(::write(writer.get(), bytes.data(), bytes.size()), 11);
    t.join();
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->data, "x");
  }
  ASSERT_EQ(::sigaction(SIGUSR1, &old, nullptr), 0);
}

TEST(FrameTest, WakeFdCancelsABlockedRead) {
  auto [reader, writer] = socket_pair();
  Result<UniqueFd> wake = io::make_wake_fd();
  ASSERT_TRUE(wake);
  Result<std::optional<Frame>> got = std::optional<Frame>();
  std::thread t([&, fd = reader.get(), w = wake->get()] { got = read_frame(fd, w); });
  io::signal_wake(wake->get());
  t.join();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kCancelled);
}

TEST(FrameTest, NonBlockingFdIsWaitedOnNotSpunOn) {
  auto [reader, writer] = socket_pair();
  ASSERT_EQ(::fcntl(reader.get(), F_SETFL, O_NONBLOCK), 0);
  Result<std::optional<Frame>> got = Error(Code::kUnknown, "not read");
  std::thread t([&, fd = reader.get()] { got = read_frame(fd); });
  std::string bytes = *encode_frame(Frame{1, 1, 0, "later"});
  ASSERT_EQ(::write(writer.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  t.join();
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ((*got)->data, "later");
}

TEST(FrameTest, WriteToClosedPeerIsEpipeNotSigpipe) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  pipe_read.reset();
  auto [sock, peer] = socket_pair();
  peer.reset();
  for (int fd : {pipe_write.get(), sock.get()}) {
    // Were SIGPIPE raised, the default action would kill the test binary.
    Status written = write_frame(fd, Frame{1, 2, 0, "x"});
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code(), Code::kUnavailable);
    EXPECT_EQ(written.error().sys_errno(), EPIPE);
  }
}

}  // namespace
}  // namespace kata::ttrpc
