#pragma once

// The relay: one small host process per container process started through
// the CLI (the seed's "shim"). Its pid is the one `create` and `exec` write to
// --pid-file, so callers that wait on a pid (conmon, containerd's runc shim,
// `kata-runtime run` itself) wait on it as they would on runc's container
// init: it holds the process's stdio (the caller's descriptors, which the
// sandbox service opens through /proc, or the slave of the pty whose master
// went to --console-socket), forwards every signal it gets to the process in
// the VM, and exits with the process's exit status (128+n after signal n).
// docs/oci-cli.md.
#include <sys/types.h>

#include <string>

#include "cli/cli.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "sys/subprocess.h"

namespace kata::cli {

struct RelayTarget {
  std::string socket;          // the sandbox service's
  std::string id;              // the container
  std::string exec_id;         // empty for the init
  std::string console_socket;  // a terminal: where the pty master goes
};

// A relay started, waiting for go() before it waits on its process.
class Relay {
 public:
  Relay(sys::Process process, UniqueFd sync, std::string tty);
  pid_t pid() const { return process_.pid(); }
  // The stdio paths the service opens for the process: the pty slave, or the
  // relay's own descriptors 0, 1 and 2 through /proc ("" for a closed one).
  std::string stdin_path() const;
  std::string stdout_path() const;
  std::string stderr_path() const;
  bool terminal() const { return !tty_.empty(); }
  // Sets these in a Create or Exec request of the task API.
  template <typename Request>
  void fill_stdio(Request& req) const {
    req.set_terminal(terminal());
    req.set_stdin(stdin_path());
    req.set_stdout(stdout_path());
    req.set_stderr(stderr_path());
  }

  // The process exists in the service: the relay waits on it from now on.
  Result<void> go();
  // Lets it outlive us (create, exec -d).
  pid_t release() { return process_.release(); }
  // Foreground (run, exec): waits for it while forwarding the signals we get
  // to it; its exit code, 128+n if it was killed by signal n.
  int wait_forwarding_signals(const sigset_t& forwarded);

 private:
  std::string own_fd(int fd) const;

  sys::Process process_;
  UniqueFd sync_;
  std::string tty_;
  bool std_open_[3] = {true, true, true};
  friend Result<Relay> launch_relay(const GlobalOptions&, const RelayTarget&);
};

// Starts `kata-runtime relay` with our stdio and waits until it is ready
// (its pty made and sent, its capabilities dropped).
Result<Relay> launch_relay(const GlobalOptions& globals, const RelayTarget& target);

// The hidden verb: the relay itself. The sync socket is fd 3.
int run_relay(const RelayTarget& target);

// The argv prefix that gives a re-executed kata-runtime our global options.
std::vector<std::string> global_args(const GlobalOptions& globals);

}  // namespace kata::cli
