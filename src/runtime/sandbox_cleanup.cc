// cleanup_sandbox: what `containerd-shim-kata-v2 delete` runs when the sandbox
// service is gone. The sandbox's state.json names its processes by pid and
// start time; only those are ended, and only while they are still the same
// processes. Nothing is looked for by what a command line mentions: another
// sandbox whose id this one prefixes, or a `tail -f` of a log, is not ours.
#include <unistd.h>

#include "common/fs.h"
#include "common/id.h"
#include "common/log.h"
#include "resource/host_cgroup.h"
#include "resource/shared_dir.h"
#include "runtime/network_leftovers.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_state.h"

namespace kata::runtime {
namespace {

constexpr std::chrono::seconds kDieTimeout{10};

Result<void> end_process(const char* name, const sys::ProcessIdentity& who, bool whole_group) {
  if (who.empty() || who.pid == ::getpid()) return {};
  KATA_ASSIGN_OR_RETURN(bool killed, sys::kill_identified(who, whole_group, kDieTimeout)
                                         .context(std::string("end the sandbox's ") + name));
  if (killed) log::info("killed leftover {} (pid {})", name, who.pid);
  return {};
}

// The service first, so that it cannot act on the end of the others.
Result<void> end_processes(const SandboxState& state) {
  KATA_TRY(end_process("sandbox service", state.service, false));
  KATA_TRY(end_process("QEMU", state.qemu, true));
  return end_process("virtiofsd", state.virtiofsd, true);
}

// After the processes: the taps die with QEMU and the service, which held their fds, and
// a tap still alive would keep a filter of ours pointing at it. Not fatal: the paths
// below are still ours to remove.
void remove_network(const std::string& what, const SandboxState& state) {
  if (!state.network) return;
  Result<LeftoverReport> report = remove_network_leftovers(*state.network);
  if (!report) {
    log::warn("{}: {}", what, report.error().message());
    return;
  }
  for (const std::string& line : report->lines) log::info("{}: {}", what, line);
}

}  // namespace

Result<void> cleanup_sandbox(const SandboxOptions& options) {
  const std::string what = "clean up sandbox " + options.id;
  KATA_TRY(validate_id(options.id).context(what));
  // The paths come from the id, never from the file: it only names processes.
  const std::string run_dir = options.run_root + "/" + options.id;
  const std::string shared_dir = resource::sandbox_shared_dir(options.id, options.shared_root);
  Result<SandboxState> state = read_sandbox_state(run_dir);
  if (state) {
    KATA_TRY(end_processes(*state).context(what));
    remove_network(what, *state);
    // Empty now that its processes are gone. Not fatal: the paths below are still ours.
    if (Result<void> removed = resource::remove_cgroup_dirs(state->cgroup_dirs); !removed) {
      log::warn("{}: {}", what, removed.error().message());
    }
  } else if (state.error().code() != Code::kNotFound) {
    // Unreadable: its processes cannot be told from anyone else's, so none is touched.
    log::warn("{}: {}; no process ended", what, state.error().message());
  }
  KATA_TRY(resource::release_shared_dir(shared_dir, true).context(what));
  return fs::remove_all(run_dir).context(what);
}

}  // namespace kata::runtime
