#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent_client/agent.h"
#include "common/unique_fd.h"

namespace kata::runtime::service {

// Where the caller keeps a process's stdio, as it named it (containerd: fifo
// paths or a file:// or binary:// URI). The service only reports these back.
struct StdioPaths {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

// Whatever consumes a process's output behind its descriptors and must end
// only after they are closed (containerd's binary:// logger reads them to EOF).
class OutputSink {
 public:
  virtual ~OutputSink() = default;
};

// The host's ends of a process's stdio, opened by the front door (the shim
// opens containerd's fifos) and handed to the service at Create or Exec.
struct StdioFiles {
  std::unique_ptr<OutputSink> sink;  // first: it outlives the descriptors
  UniqueFd in;                       // readable, non-blocking; none: no stdin
  UniqueFd out;                      // writable
  UniqueFd err;                      // writable
  bool terminal = false;             // a pty merges stderr into stdout: nothing to read from stderr
};

// Copies one process's stdio between the host's files and the guest: stdin →
// WriteStdin (EOF → CloseStdin); ReadStdout/ReadStderr → files until the
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
  // CloseIO: copies what is already in the stdin file, then closes the
  // process's stdin, even if the caller keeps its writer open (CRI's
  // StdinOnce). ctr sends it as soon as its own stdin ended, which may be
  // before we copied everything it wrote: that data must still arrive.
  void close_stdin();
  // The process exited: stop reading stdin.
  void stop_stdin();

 private:
  void pump_stdin(UniqueFd in);
  // Copies stdin to the guest; true at EOF or after CloseIO's drain, false
  // when stopped or the process is gone.
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
  // Ended only after the destructor joined the threads, whose exit closed the
  // descriptors it reads.
  std::unique_ptr<OutputSink> sink_;
};

}  // namespace kata::runtime::service
