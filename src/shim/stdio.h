#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent_client/agent.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "shim/stdio_uri.h"

namespace kata::shim {

// What containerd passes for a process's stdio: fifo paths, each may be
// empty (no stdin; a terminal has no stderr), or for the output a file:// or
// binary:// URI (stdio_uri.h).
struct StdioPaths {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

// The shim's ends of those fifos (or of the log file, or the logger's pipes).
struct StdioFiles {
  std::unique_ptr<Logger> logger;  // binary://; first: it outlives the descriptors
  UniqueFd in;                     // read side of the stdin fifo, non-blocking
  UniqueFd out;                    // write side of the stdout fifo
  UniqueFd err;                    // write side of the stderr fifo
  bool terminal = false;           // a pty merges stderr into stdout: nothing to read from stderr
};

// Opens the fifos without blocking: containerd may open its ends only later.
// A URI for stdout (containerd then gives the same for stderr) sends both
// streams to a file or to a logging binary started for process `id` of
// namespace `ns`; any other URI is INVALID_ARGUMENT.
Result<StdioFiles> open_stdio(const StdioPaths& paths, const std::string& id,
                              const std::string& ns);

// Copies one process's stdio between the fifos and the guest: stdin fifo →
// WriteStdin (EOF → CloseStdin); ReadStdout/ReadStderr → fifos until the
// guest reports EOF. One thread per stream.
class StdioPumps {
 public:
  StdioPumps(std::shared_ptr<agent_client::Agent> agent, std::string container_id,
             std::string exec_id, StdioFiles files);
  ~StdioPumps();  // stops the stdin pump and joins everything
  StdioPumps(const StdioPumps&) = delete;
  StdioPumps& operator=(const StdioPumps&) = delete;

  // Blocks until stdout and stderr reached EOF (or the guest is gone).
  void wait_output_drained();
  // CloseIO: copies what is already in the stdin fifo, then closes the
  // process's stdin, even if containerd keeps its writer open (CRI's
  // StdinOnce). ctr sends it as soon as its own stdin ended, which may be
  // before we copied everything it wrote: that data must still arrive.
  void close_stdin();
  // The process exited: stop reading the stdin fifo.
  void stop_stdin();

 private:
  void pump_stdin(UniqueFd in);
  // Copies the fifo to the guest; true at EOF or after CloseIO's drain,
  // false when stopped or the process is gone.
  bool copy_stdin(int in);
  // Writes all of `data` to the process's stdin; false if it is gone.
  bool forward_stdin(std::string_view data);
  void pump_output(UniqueFd out, bool is_stderr);
  void wake_stdin();

  std::shared_ptr<agent_client::Agent> agent_;
  std::string container_id_;
  std::string exec_id_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::atomic<bool> close_requested_{false};
  std::atomic<bool> stopped_{false};
  std::thread stdin_thread_;
  std::thread stdout_thread_;
  std::thread stderr_thread_;
  // binary://: ended (see Logger) only after the destructor joined the threads,
  // whose exit closed the pipes it reads.
  std::unique_ptr<Logger> logger_;
};

}  // namespace kata::shim
