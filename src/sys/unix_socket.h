#pragma once

#include <string>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"
#include "sys/deadline.h"

namespace kata::sys {

// The longest path a sockaddr_un holds (107 bytes on Linux, plus the NUL).
constexpr size_t kMaxUnixPathLength = 107;

// One attempt to connect a SOCK_STREAM socket (blocking, O_CLOEXEC) to `path`.
Result<UniqueFd> connect_unix(const std::string& path);

// Retries while the server is not there yet (ENOENT, ECONNREFUSED), with a short
// backoff, until `deadline`; other errors fail at once. A timeout fails with
// DEADLINE_EXCEEDED and carries the last error.
Result<UniqueFd> connect_unix(const std::string& path, Deadline deadline);

// Binds and listens; a stale socket file at `path` (nobody accepting) is replaced,
// a live one is EADDRINUSE.
Result<UniqueFd> listen_unix(const std::string& path, int backlog = 16);

// Accepts one connection (O_CLOEXEC), waiting until `deadline`.
Result<UniqueFd> accept_unix(int listen_fd, Deadline deadline);

// A connected pair (AF_UNIX, SOCK_STREAM, O_CLOEXEC), for tests and in-process links.
Result<std::pair<UniqueFd, UniqueFd>> socket_pair();

}  // namespace kata::sys
