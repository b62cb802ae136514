#pragma once

// Calls one function whenever any of the watched files changes, from a thread
// of its own that sleeps in the kernel in between (inotify). The container
// engine watches each container's cgroup memory.events with it: cgroup v2
// notifies a change of that file, so an OOM kill is seen at once and an idle
// guest is not woken to look.
#include <functional>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent::container {

class FileChangeWatch {
 public:
  // `on_change` runs on the watch's thread; it must not call back into the watch.
  static Result<std::unique_ptr<FileChangeWatch>> start(std::function<void()> on_change);
  ~FileChangeWatch();
  FileChangeWatch(const FileChangeWatch&) = delete;
  FileChangeWatch& operator=(const FileChangeWatch&) = delete;

  // Watches `path` until it is removed (a removed cgroup drops its watch).
  Result<void> add(const std::string& path);

 private:
  FileChangeWatch(UniqueFd inotify, UniqueFd stop, std::function<void()> on_change);
  void run();

  UniqueFd inotify_;
  UniqueFd stop_;  // eventfd: readable when the destructor wants the thread gone
  std::function<void()> on_change_;
  std::thread thread_;
};

}  // namespace kata::agent::container
