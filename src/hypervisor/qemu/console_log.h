#pragma once

// The guest console on the host. QEMU writes the guest's ttyS0 into a pipe and a relay
// thread here appends it to <run dir>/console.log, which never grows past a cap: QEMU's
// own file chardev has none, and the guest decides how much it writes (a flood filled
// 21.5 MB in 106 s). The cap is split between console.log and console.log.1: when
// console.log holds half of it, its content moves to console.log.1 (replacing the older
// half) and console.log is truncated in place. In place, not renamed: `tail -f` and any
// reader holding the file keep following it, and the last lines (what a boot error
// quotes) are always on disk, across the two files.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
#include "config/config.h"

namespace kata::hypervisor::qemu {

// An append-only log of at most `max_bytes` on disk, `path` and `path`.1 together.
class CappedLog {
 public:
  // Creates (or truncates) `path`; a `path`.1 left from before is removed. `max_bytes`
  // is at least config::kMinConsoleLogMaxBytes.
  static Result<CappedLog> create(std::string path, uint64_t max_bytes);

  // Appends `data`, rotating as often as needed; of a chunk larger than the whole cap
  // only its end survives, as it would have with smaller chunks.
  Result<void> append(std::string_view data);
  const std::string& path() const { return path_; }

 private:
  CappedLog(std::string path, uint64_t half, UniqueFd fd)
      : path_(std::move(path)), half_(half), fd_(std::move(fd)) {}
  Result<void> rotate();

  std::string path_;
  uint64_t half_;
  uint64_t size_ = 0;
  UniqueFd fd_;
};

// A thread copying everything read from a pipe into a CappedLog until the pipe's last
// writer closes it (QEMU exited) or stop().
class ConsoleRelay {
 public:
  static Result<std::unique_ptr<ConsoleRelay>> start(UniqueFd read_end, CappedLog log);
  ConsoleRelay(const ConsoleRelay&) = delete;
  ConsoleRelay& operator=(const ConsoleRelay&) = delete;
  ~ConsoleRelay() { stop(); }
  // Copies what the pipe still holds, then ends the thread. Call it once the writer
  // (QEMU) is gone, else later output is lost.
  void stop();

 private:
  ConsoleRelay(UniqueFd pipe, UniqueFd wake, CappedLog log)
      : pipe_(std::move(pipe)), wake_(std::move(wake)), log_(std::move(log)) {}
  void run();

  UniqueFd pipe_;
  UniqueFd wake_;  // eventfd: stop() asks the thread to drain and end
  CappedLog log_;
  std::thread thread_;
};

// The last `n_lines` of the log at `path`, across `path`.1 and `path` ("" if unreadable).
std::string console_log_tail(const std::string& path, size_t n_lines);

}  // namespace kata::hypervisor::qemu
