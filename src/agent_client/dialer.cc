#include "agent_client/dialer.h"

#include <linux/vm_sockets.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/strings.h"
#include "sys/unix_socket.h"

namespace kata::agent_client {
namespace {

using Clock = std::chrono::steady_clock;

// Errors that mean "not there yet": worth another try before the deadline.
bool retryable(int err) {
  return err == ENOENT || err == ECONNREFUSED || err == ECONNRESET || err == ENODEV ||
         err == ETIMEDOUT || err == EAGAIN || err == EHOSTUNREACH;
}

Result<UniqueFd> connect_vsock_once(uint32_t cid, uint32_t port) {
  sockaddr_vm sa{};
  sa.svm_family = AF_VSOCK;
  sa.svm_cid = cid;
  sa.svm_port = port;
  UniqueFd fd(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno(errno, "socket AF_VSOCK");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return Error::from_errno(errno,
                             "connect vsock://" + std::to_string(cid) + ":" + std::to_string(port));
  }
  return fd;
}

// Reads one line of the hybrid-vsock handshake, bounded by the deadline.
Result<std::string> read_line(int fd, Clock::time_point deadline) {
  std::string line;
  while (line.size() < 128) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (r == 0) return Error(Code::kDeadlineExceeded, "hybrid vsock handshake: no answer");
    if (r < 0 && errno != EINTR) return Error::from_errno(errno, "hybrid vsock handshake: poll");
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n == 0) return Error(Code::kUnavailable, "hybrid vsock handshake: connection closed");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::from_errno(errno, "hybrid vsock handshake: read");
    }
    if (c == '\n') return line;
    line.push_back(c);
  }
  return Error(Code::kDataLoss, "hybrid vsock handshake: answer line too long");
}

Result<UniqueFd> connect_hybrid_once(const std::string& path, uint32_t port,
                                     Clock::time_point deadline) {
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, sys::connect_unix(path));
  std::string hello = "CONNECT " + std::to_string(port) + "\n";
  if (::send(fd.get(), hello.data(), hello.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(hello.size())) {
    return Error::from_errno(errno, "hybrid vsock handshake: send");
  }
  KATA_ASSIGN_OR_RETURN(std::string answer, read_line(fd.get(), deadline));
  if (!starts_with(answer, "OK")) {
    // The muxer closes or answers otherwise while the guest port is not bound yet.
    return Error(Code::kUnavailable, "hybrid vsock handshake: answer `" + answer + "`", ECONNRESET);
  }
  return fd;
}

}  // namespace

Result<UniqueFd> dial(const AgentAddress& address, Clock::time_point deadline) {
  auto pause = std::chrono::microseconds(500);
  for (;;) {
    Result<UniqueFd> fd = [&]() -> Result<UniqueFd> {
      switch (address.kind) {
        case AgentAddress::Kind::kSerial:
          return sys::connect_unix(address.path);
        case AgentAddress::Kind::kVsock:
          return connect_vsock_once(address.cid, address.port);
        case AgentAddress::Kind::kHybridVsock:
          return connect_hybrid_once(address.path, address.port, deadline);
      }
      return Error(Code::kInternal, "unknown agent address kind");
    }();
    if (fd) return fd;
    int err = fd.error().sys_errno();
    if (!retryable(err) || Clock::now() + pause >= deadline) {
      return std::move(fd).context("dial agent " + address.to_string());
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

bool dial_worth_retrying(const Error& error) { return retryable(error.sys_errno()); }

}  // namespace kata::agent_client
