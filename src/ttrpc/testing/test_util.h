#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "common/testing/temp_dir.h"
#include "common/unique_fd.h"
#include "status.pb.h"
#include "ttrpc.pb.h"
#include "ttrpc/codec.h"
#include "ttrpc/frame.h"

// Helpers for ttrpc tests only: sockets, and a "raw peer" that
// speaks frames by hand so tests can send what a real client never would.
namespace kata::ttrpc::testing {

using kata::testing::TempDir;

inline std::pair<UniqueFd, UniqueFd> socket_pair() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    ADD_FAILURE() << "socketpair: " << std::strerror(errno);
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

inline sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

inline UniqueFd listen_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = unix_address(path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    ADD_FAILURE() << "listen on " << path << ": " << std::strerror(errno);
  }
  return fd;
}

inline UniqueFd connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = unix_address(path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "connect to " << path << ": " << std::strerror(errno);
  }
  return fd;
}

inline std::string request_bytes(const std::string& service, const std::string& method,
                                 const std::string& payload, int64_t timeout_nano = 0) {
  return encode_request(service, method, payload, timeout_nano);
}

inline void send_frame(int fd, uint32_t stream_id, uint8_t type, const std::string& data) {
  Status sent = write_frame(fd, Frame{stream_id, type, 0, data});
  ASSERT_TRUE(sent) << sent.error().message();
}

inline void send_request(int fd, uint32_t stream_id, const std::string& service,
                         const std::string& method, const std::string& payload,
                         int64_t timeout_nano = 0) {
  send_frame(fd, stream_id, static_cast<uint8_t>(FrameType::kRequest),
             request_bytes(service, method, payload, timeout_nano));
}

// The next frame as a decoded response; fails the test on EOF or garbage.
struct RawResponse {
  uint32_t stream_id = 0;
  uint8_t type = 0;
  ::ttrpc::Response response;
};

inline RawResponse read_response(int fd) {
  RawResponse out;
  Result<std::optional<Frame>> frame = read_frame(fd);
  if (!frame || !frame->has_value()) {
    ADD_FAILURE() << "expected a response frame, got "
                  << (frame ? std::string("EOF") : frame.error().message());
    return out;
  }
  out.stream_id = (*frame)->stream_id;
  out.type = (*frame)->type;
  EXPECT_TRUE(out.response.ParseFromString((*frame)->data));
  return out;
}

// Blocks until `fd` has bytes to read (or hangs up): proof that the peer has
// started writing, without sleeping.
inline void wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

// True when the peer closed the connection (EOF or reset) before any more frames.
inline bool peer_closed(int fd) {
  Result<std::optional<Frame>> frame = read_frame(fd);
  if (!frame) return frame.error().code() == Code::kUnavailable;
  return !frame->has_value();
}

}  // namespace kata::ttrpc::testing
