#pragma once

// Running a client (ctr) the ways the e2e tests need: to completion with stdout
// and stderr captured, in the background with its stdin held open, and under a
// pseudo-terminal (ctr -t insists on a terminal on its own stdio).

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "sys/subprocess.h"

namespace kata::e2e {

using Env = std::vector<std::pair<std::string, std::string>>;

// What one client run did.
struct CtrResult {
  int exit_code = -1;  // a death by signal N reads 128 + N, as a shell shows it
  std::string out;
  std::string err;
  // "exit 3; stdout `...`; stderr `...`", for assertion messages.
  std::string describe() const;
};

CtrResult to_ctr_result(const sys::CapturedOutput& captured);

// Runs to completion with the output captured; the child's process group is killed when
// `timeout` passes (DEADLINE_EXCEEDED).
Result<CtrResult> run_captured(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                               Env env = {});

// Runs with stdin, stdout and stderr on the slave side of a fresh 80x24 pseudo-terminal;
// `out` holds what the terminal showed (both streams, with the tty's \r\n).
Result<CtrResult> run_on_pty(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                             Env env = {});

// A child running in the background with a pipe on its stdin and both outputs collected.
// Destroying it kills its process group.
class BackgroundProcess {
 public:
  static Result<BackgroundProcess> spawn(std::vector<std::string> argv, Env env = {});

  BackgroundProcess(BackgroundProcess&&) noexcept = default;
  BackgroundProcess& operator=(BackgroundProcess&&) noexcept = default;

  pid_t pid() const { return proc_.pid(); }
  Result<void> write_stdin(std::string_view data);
  void close_stdin() { in_.reset(); }
  // Collects output until stdout contains `text` (DEADLINE_EXCEEDED otherwise, with what
  // was seen so far in the message).
  Result<void> wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout);
  // Waits for the exit and returns everything the child wrote; on timeout its process
  // group is killed and the call fails.
  Result<CtrResult> wait(std::chrono::milliseconds timeout);
  const std::string& out() const { return out_buf_; }
  const std::string& err() const { return err_buf_; }

 private:
  BackgroundProcess(sys::Process proc, UniqueFd in, UniqueFd out, UniqueFd err)
      : proc_(std::move(proc)), in_(std::move(in)), out_(std::move(out)), err_(std::move(err)) {}
  // Moves what is readable now into the buffers, polling at most `timeout_ms`;
  // returns whether the child has exited.
  bool pump(int timeout_ms);

  sys::Process proc_;
  UniqueFd in_, out_, err_;
  std::string out_buf_, err_buf_;
};

}  // namespace kata::e2e
