#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/container/launcher.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "ttrpc/cancel.h"

// A container process's stdio as the agent holds it: three pipes, or one pty
// whose master carries both directions (stdout then has the terminal output
// and stderr is empty). The pty comes from the container's own devpts: its
// init opens it and sends the master back (set_terminal_master). Reads and
// writes block until they can make progress, and give up when `cancel` fires.
namespace kata::agent::container {

class ProcessIo {
 public:
  static Result<std::unique_ptr<ProcessIo>> pipes();
  // The child's stdio is /dev/null until its init attaches the pty.
  static Result<std::unique_ptr<ProcessIo>> terminal();

  ChildStdio child_stdio() const;
  // The master the init sent, before the process is visible to any reader.
  Result<void> set_terminal_master(UniqueFd master);
  // After the child started: only then does EOF reach readers once it exits.
  void close_child_side();

  // At least 1 and at most `max` bytes; "" = EOF (every writer closed).
  Result<std::string> read_stdout(uint32_t max, const ttrpc::CancelToken* cancel);
  Result<std::string> read_stderr(uint32_t max, const ttrpc::CancelToken* cancel);
  // How many bytes went in (at least 1 unless `data` is empty).
  Result<uint32_t> write_stdin(std::string_view data, const ttrpc::CancelToken* cancel);
  Result<void> close_stdin();
  Result<void> resize(uint32_t rows, uint32_t columns);

 private:
  ProcessIo() = default;
  Result<std::string> read_from(int fd, uint32_t max, const ttrpc::CancelToken* cancel);

  bool tty_ = false;
  UniqueFd master_;                         // tty: the pty master, from the init
  UniqueFd stdin_w_, stdout_r_, stderr_r_;  // pipes: the agent's ends
  UniqueFd child_in_, child_out_, child_err_;
  std::mutex stdin_mu_;  // guards stdin_w_ / the tty stdin side against close_stdin
};

}  // namespace kata::agent::container
