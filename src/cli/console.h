#pragma once

// A terminal for a container process, as runc makes one for --console-socket:
// a pty pair whose master goes to the caller (conmon, containerd's runc shim)
// over its unix socket, and whose slave we keep.
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::cli {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;  // /dev/pts/N
};

// A new pty pair; the slave in raw mode, since the line discipline that
// matters (echo, ^C) is the guest's. The slave becomes the caller's
// controlling terminal when `make_controlling` (it must lead a session with
// none), so that a resize of the master reaches it as SIGWINCH.
Result<Pty> open_pty(bool make_controlling);

// Sends `fd` over the unix socket at `socket_path` (SCM_RIGHTS), with the
// master's name as the message, as runc does.
Result<void> send_console(const std::string& socket_path, int fd);

}  // namespace kata::cli
