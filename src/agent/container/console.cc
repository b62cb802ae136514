#include "agent/container/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "common/strings.h"

namespace kata::agent::container {

Result<Pty> open_pty(const std::string& ptmx, uint32_t rows, uint32_t columns) {
  Pty pty;
  pty.master.reset(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return Error::from_errno(errno, fmt_path("open", ptmx));
  // Also refuses whatever a container process may have put in ptmx's place.
  if (::ioctl(pty.master.get(), TIOCGPTN, &pty.number) != 0)
    return Error::from_errno(errno, fmt_path("get pty number of", ptmx));
  int unlock = 0;
  if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0)
    return Error::from_errno(errno, fmt_path("unlock pty", ptmx));
  pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return Error::from_errno(errno, fmt_path("open pty peer of", ptmx));
  if (rows > 0 && columns > 0) {
    winsize ws{static_cast<unsigned short>(rows), static_cast<unsigned short>(columns), 0, 0};
    if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) != 0)
      return Error::from_errno(errno, "set terminal size");
  }
  return pty;
}

Result<void> attach_terminal(int slave) {
  for (int target = 0; target < 3; ++target) {
    if (::dup2(slave, target) < 0) return Error::from_errno(errno, "dup2 terminal to stdio");
  }
  if (::ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0)
    return Error::from_errno(errno, "set controlling terminal");
  return {};
}

}  // namespace kata::agent::container
