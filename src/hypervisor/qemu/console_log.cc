#include "hypervisor/qemu/console_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"
#include "sys/file_tail.h"

namespace kata::hypervisor::qemu {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

Result<void> write_full(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, fmt_path("write", path));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// The last `max_bytes` of a file; "" if it is missing or unreadable.
std::string read_end(const std::string& path, size_t max_bytes = 64 * 1024) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  off_t end = ::lseek(fd.get(), 0, SEEK_END);
  if (end < 0) return "";
  off_t from = std::max<off_t>(0, end - static_cast<off_t>(max_bytes));
  std::string out(static_cast<size_t>(end - from), '\0');
  ssize_t n = ::pread(fd.get(), out.data(), out.size(), from);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace

Result<CappedLog> CappedLog::create(std::string path, uint64_t max_bytes) {
  if (max_bytes < config::kMinConsoleLogMaxBytes) {
    return Error(Code::kInvalidArgument, fmt_path("console log", path) + ": cap below " +
                                             std::to_string(config::kMinConsoleLogMaxBytes) +
                                             " bytes");
  }
  (void)::unlink((path + ".1").c_str());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return Error::from_errno(errno, fmt_path("create", path));
  return CappedLog(std::move(path), max_bytes / 2, std::move(fd));
}

Result<void> CappedLog::append(std::string_view data) {
  // Of more than the whole cap, only the last half-and-then-some could survive anyway.
  if (data.size() > 2 * half_) data.remove_prefix(data.size() - 2 * half_);
  while (!data.empty()) {
    if (size_ >= half_) KATA_TRY(rotate());
    size_t n = std::min<uint64_t>(data.size(), half_ - size_);
    KATA_TRY(write_full(fd_.get(), data.substr(0, n), path_));
    size_ += n;
    data.remove_prefix(n);
  }
  return {};
}

// path -> path.1 by copy, then path truncated in place (see the header for why).
Result<void> CappedLog::rotate() {
  const std::string old = path_ + ".1";
  const std::string tmp = path_ + ".1.tmp";
  UniqueFd in(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Error::from_errno(errno, fmt_path("open", path_));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!out) return Error::from_errno(errno, fmt_path("create", tmp));
  off_t offset = 0;
  while (static_cast<uint64_t>(offset) < size_) {
    ssize_t n = ::sendfile(out.get(), in.get(), &offset, size_ - offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, fmt_path("copy", path_));
    if (n == 0) break;  // shorter than we thought: someone truncated it
  }
  if (::rename(tmp.c_str(), old.c_str()) != 0) {
    return Error::from_errno(errno, fmt_path("rename", tmp));
  }
  if (::ftruncate(fd_.get(), 0) != 0) return Error::from_errno(errno, fmt_path("truncate", path_));
  size_ = 0;
  return {};
}

Result<std::unique_ptr<ConsoleRelay>> ConsoleRelay::start(UniqueFd read_end, CappedLog log) {
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return Error::from_errno(errno, "eventfd");
  int flags = ::fcntl(read_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return Error::from_errno(errno, "console pipe: set O_NONBLOCK");
  }
  std::unique_ptr<ConsoleRelay> relay(
      new ConsoleRelay(std::move(read_end), std::move(wake), std::move(log)));
  relay->thread_ = std::thread([r = relay.get()] { r->run(); });
  return relay;
}

void ConsoleRelay::run() {
  std::string buf(kReadChunk, '\0');
  bool stopping = false;
  for (;;) {
    ssize_t n = ::read(pipe_.get(), buf.data(), buf.size());
    if (n > 0) {
      Result<void> written = log_.append(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (!written) {
        // The guest's output is dropped, not QEMU blocked on a full pipe.
        log::warn("guest console: {}", written.error().message());
      }
      continue;
    }
    if (n == 0) return;  // QEMU, the only writer, is gone
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      log::warn("guest console: read: {}", std::strerror(errno));
      return;
    }
    if (stopping) return;  // drained
    pollfd fds[2] = {{pipe_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    stopping = (fds[1].revents & POLLIN) != 0;
  }
}

void ConsoleRelay::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t unused = ::write(wake_.get(), &one, sizeof one);
  (void)unused;
  thread_.join();
}

std::string console_log_tail(const std::string& path, size_t n_lines) {
  // Raw bytes of both, joined before splitting: a rotation may have cut a line in two.
  std::string text = read_end(path + ".1") + read_end(path);
  return sys::last_lines(text, n_lines);
}

}  // namespace kata::hypervisor::qemu
