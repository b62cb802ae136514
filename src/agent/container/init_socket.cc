// Frames on the socket between the agent and a container init: a 32-bit length,
// the payload and at most one descriptor (SCM_RIGHTS) with the frame's first bytes.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/container/wire.h"

namespace kata::agent::container {

namespace {

// The first chunk of a frame carries `pass_fd`, so the descriptor arrives
// with the frame's first bytes.
ssize_t send_chunk(int fd, const char* data, size_t n, int pass_fd) {
  iovec iov{const_cast<char*>(data), n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
}

// Reads up to `n` bytes; a descriptor that comes along replaces `*got_fd`.
ssize_t recv_chunk(int fd, char* data, size_t n, UniqueFd* got_fd) {
  iovec iov{data, n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Room for a few: extra descriptors must be received (and closed), not left
  // to the kernel's truncation.
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (r < 0) return r;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      got_fd->reset(received);
    }
  }
  return r;
}

// 1 = got all, 0 = clean EOF before the first byte, error otherwise.
Result<bool> read_full(int fd, char* buf, size_t n, UniqueFd* got_fd) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = recv_chunk(fd, buf + off, n - off, got_fd);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::from_errno(errno, "read from container init socket");
    if (r == 0) {
      if (off == 0) return false;
      return Error(Code::kInternal, "container init socket: truncated frame");
    }
    off += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

Result<void> write_frame(int fd, std::string_view payload, int pass_fd) {
  std::string frame;
  uint32_t n = static_cast<uint32_t>(payload.size());
  frame.append(reinterpret_cast<const char*>(&n), 4);
  frame.append(payload);
  size_t off = 0;
  while (off < frame.size()) {
    ssize_t w = send_chunk(fd, frame.data() + off, frame.size() - off, off == 0 ? pass_fd : -1);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Error::from_errno(errno, "write to container init socket");
    off += static_cast<size_t>(w);
  }
  return {};
}

Result<Frame> read_frame_with_fd(int fd) {
  Frame frame;
  uint32_t n = 0;
  // Reads never ask for more than the frame: a descriptor sent with the next
  // frame stays with it.
  KATA_ASSIGN_OR_RETURN(bool got, read_full(fd, reinterpret_cast<char*>(&n), 4, &frame.fd));
  if (!got) return Error(Code::kUnavailable, "container init socket closed");
  if (n > kMaxFrame) return Error(Code::kInternal, "container init socket: oversized frame");
  frame.payload.assign(n, '\0');
  KATA_ASSIGN_OR_RETURN(bool full, read_full(fd, frame.payload.data(), n, &frame.fd));
  if (!full && n > 0) return Error(Code::kInternal, "container init socket: truncated frame");
  return frame;
}

Result<std::string> read_frame(int fd) {
  KATA_ASSIGN_OR_RETURN(Frame frame, read_frame_with_fd(fd));
  return std::move(frame.payload);
}

}  // namespace kata::agent::container
