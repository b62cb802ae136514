#include "cli/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include <cerrno>
#include <cstring>

#include "sys/unix_socket.h"

namespace kata::cli {

Result<Pty> open_pty(bool make_controlling) {
  Pty pty;
  pty.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return Error::from_errno(errno, "open a pty");
  if (::grantpt(pty.master.get()) != 0 || ::unlockpt(pty.master.get()) != 0) {
    return Error::from_errno(errno, "unlock the pty");
  }
  char name[64];
  if (::ptsname_r(pty.master.get(), name, sizeof name) != 0) {
    return Error::from_errno(errno, "name the pty");
  }
  pty.slave_path = name;
  pty.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return Error::from_errno(errno, "open `" + pty.slave_path + "`");
  termios mode{};
  if (::tcgetattr(pty.slave.get(), &mode) != 0) return Error::from_errno(errno, "tcgetattr");
  ::cfmakeraw(&mode);
  if (::tcsetattr(pty.slave.get(), TCSANOW, &mode) != 0) {
    return Error::from_errno(errno, "set `" + pty.slave_path + "` raw");
  }
  if (make_controlling && ::ioctl(pty.slave.get(), TIOCSCTTY, 0) != 0) {
    return Error::from_errno(errno, "make `" + pty.slave_path + "` the controlling terminal");
  }
  return pty;
}

Result<void> send_console(const std::string& socket_path, int fd) {
  KATA_ASSIGN_OR_RETURN(UniqueFd sock, sys::connect_unix(socket_path));
  static const char kName[] = "/dev/ptmx";
  iovec iov{const_cast<char*>(kName), sizeof kName - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (::sendmsg(sock.get(), &msg, MSG_NOSIGNAL) < 0) {
    return Error::from_errno(errno, "send the console to `" + socket_path + "`");
  }
  return {};
}

}  // namespace kata::cli
