#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

// The terminal of a container process, opened by its init inside the
// container's mount namespace: the slave must live in the container's own
// devpts instance, or ttyname() inside the container fails (runc does the
// same). The master goes back to the agent over the setup socket.
namespace kata::agent::container {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  unsigned int number = 0;  // N of pts/N in ptmx's devpts instance
};

// Opens `ptmx`, unlocks it and opens the slave through the master
// (TIOCGPTPEER: no path lookup that a container process could redirect).
// `rows` and `columns` 0 = leave the size alone. Both fds are O_CLOEXEC.
Result<Pty> open_pty(const std::string& ptmx, uint32_t rows, uint32_t columns);

// Makes `slave` fds 0-2 and the controlling terminal of the calling process,
// which must be a session leader.
Result<void> attach_terminal(int slave);

}  // namespace kata::agent::container
