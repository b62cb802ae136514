#include "agent/container/file_change_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace kata::agent::container {

Result<std::unique_ptr<FileChangeWatch>> FileChangeWatch::start(std::function<void()> on_change) {
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify) return Error::from_errno(errno, "inotify_init1");
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop) return Error::from_errno(errno, "eventfd");
  std::unique_ptr<FileChangeWatch> watch(
      new FileChangeWatch(std::move(inotify), std::move(stop), std::move(on_change)));
  try {
    watch->thread_ = std::thread([w = watch.get()] { w->run(); });
  } catch (const std::system_error& e) {
    return Error(Code::kResourceExhausted, std::string("start file watch thread: ") + e.what());
  }
  return watch;
}

FileChangeWatch::FileChangeWatch(UniqueFd inotify, UniqueFd stop, std::function<void()> on_change)
    : inotify_(std::move(inotify)), stop_(std::move(stop)), on_change_(std::move(on_change)) {}

FileChangeWatch::~FileChangeWatch() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

Result<void> FileChangeWatch::add(const std::string& path) {
  if (::inotify_add_watch(inotify_.get(), path.c_str(), IN_MODIFY) < 0) {
    return Error::from_errno(errno, "watch `" + path + "`");
  }
  return {};
}

void FileChangeWatch::run() {
  alignas(inotify_event) char buf[4096];
  for (;;) {
    pollfd p[2] = {{inotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::warn("file watch: poll: {}", std::strerror(errno));
      return;
    }
    if (p[1].revents) return;
    // Drain every queued event; what changed does not matter, only that something did.
    while (::read(inotify_.get(), buf, sizeof buf) > 0) {
    }
    on_change_();
  }
}

}  // namespace kata::agent::container
