#pragma once

#include <poll.h>

#include <cstddef>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

// Blocking I/O on any stream fd (socket, vsock, virtio-serial port, pipe) that a
// second "wake" fd can interrupt: another thread makes the wake fd readable and
// every read, write or accept waiting on it returns CANCELLED. A wake fd of -1
// means "not interruptible".
namespace kata::ttrpc::io {

// An eventfd that stays readable once signalled, so it wakes every waiter.
Result<UniqueFd> make_wake_fd();
void signal_wake(int wake_fd);

// Waits until `fd` reports `events` (or hangup/error, which the next syscall
// turns into the real error). CANCELLED if `wake_fd` fires first.
Status wait_ready(int fd, short events, int wake_fd);

// Reads up to `size` bytes, retrying short reads and EINTR. Fewer bytes than
// asked mean the peer closed the stream (EOF).
Result<size_t> read_full(int fd, char* buf, size_t size, int wake_fd);

// Writes all of `data`. Never raises SIGPIPE: sockets use MSG_NOSIGNAL, other
// fds block SIGPIPE in the calling thread around write(); both report EPIPE.
Status write_all(int fd, std::string_view data, int wake_fd);

}  // namespace kata::ttrpc::io
