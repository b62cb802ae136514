#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sys/deadline.h"

namespace kata::sys {

// Waits until `fd` reports one of `events` (POLLIN, POLLOUT...), or fails with
// DEADLINE_EXCEEDED. POLLHUP/POLLERR count as ready: the next read or write reports them.
Result<void> wait_fd(int fd, short events, Deadline deadline);

// Reads what is available, waiting for at least one byte; an empty string means EOF.
Result<std::string> read_some(int fd, size_t max_bytes, Deadline deadline);

// Writes all of `data` (fd may be non-blocking); EPIPE is an error, never a signal.
Result<void> write_all(int fd, std::string_view data, Deadline deadline);

}  // namespace kata::sys
