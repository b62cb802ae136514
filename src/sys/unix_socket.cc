#include "sys/unix_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "sys/fd_io.h"

namespace kata::sys {
namespace {

Result<sockaddr_un> make_addr(const std::string& path, std::string_view verb) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() > kMaxUnixPathLength) {
    return Error::from_errno(ENAMETOOLONG, fmt_path(verb, path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

Result<UniqueFd> new_socket() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno(errno, "socket");
  return fd;
}

void sleep_for(std::chrono::milliseconds d) {
  timespec ts{static_cast<time_t>(d.count() / 1000), static_cast<long>(d.count() % 1000) * 1000000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

Result<UniqueFd> connect_unix(const std::string& path) {
  KATA_ASSIGN_OR_RETURN(sockaddr_un addr, make_addr(path, "connect"));
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, new_socket());
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error::from_errno(errno, fmt_path("connect", path));
  return fd;
}

Result<UniqueFd> connect_unix(const std::string& path, Deadline deadline) {
  std::chrono::milliseconds backoff{2};
  for (;;) {
    Result<UniqueFd> fd = connect_unix(path);
    if (fd) return fd;
    int err = fd.error().sys_errno();
    if (err != ENOENT && err != ECONNREFUSED) return fd;
    if (expired(deadline)) {
      return Error(Code::kDeadlineExceeded,
                   fmt_path("connect", path) + ": timed out (last: " + std::strerror(err) + ")",
                   ETIMEDOUT);
    }
    // Polling, not correctness: the server's socket file appears at a time we cannot
    // observe otherwise; the backoff keeps an early start cheap and a slow one quiet.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    sleep_for(std::clamp(left, std::chrono::milliseconds{1}, backoff));
    backoff = std::min(backoff * 2, std::chrono::milliseconds{50});
  }
}

Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
  KATA_ASSIGN_OR_RETURN(sockaddr_un addr, make_addr(path, "listen on"));
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, new_socket());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EADDRINUSE) return Error::from_errno(errno, fmt_path("bind", path));
    Result<UniqueFd> live = connect_unix(path);
    if (live) return Error::from_errno(EADDRINUSE, fmt_path("bind", path));
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return Error::from_errno(errno, fmt_path("bind", path));
    }
  }
  if (::listen(fd.get(), backlog) != 0)
    return Error::from_errno(errno, fmt_path("listen on", path));
  return fd;
}

Result<UniqueFd> accept_unix(int listen_fd, Deadline deadline) {
  for (;;) {
    KATA_TRY(wait_fd(listen_fd, POLLIN, deadline).context("accept"));
    UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd) return fd;
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      return Error::from_errno(errno, "accept");
    }
  }
}

Result<std::pair<UniqueFd, UniqueFd>> socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error::from_errno(errno, "socketpair");
  }
  return std::pair<UniqueFd, UniqueFd>(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

}  // namespace kata::sys
