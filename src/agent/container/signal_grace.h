#pragma once

// A container's init is PID 1 of its pid namespace, and the kernel drops a
// signal that PID 1 neither catches nor has blocked its way out of: with no
// handler, SIGTERM to it is ignored. Right after start the workload has often
// not installed its handler yet (a shell's `trap` runs a few milliseconds after
// exec under KVM, tens under TCG), so a SIGTERM sent as soon as Start returns
// was lost here where runc's far shorter window loses none. For a short grace
// after start, a signal the init does not catch yet waits for its handler.
#include <sys/types.h>

#include <chrono>
#include <string_view>

namespace kata::agent::container {

// How long after start a signal waits for the init's handler.
constexpr std::chrono::milliseconds kSignalGrace{2000};

// Whether the /proc/PID/status text shows a handler for `sig` (SigCgt) or the
// signal explicitly ignored (SigIgn): either way, waiting changes nothing.
bool handler_decided(std::string_view proc_status, int sig);

// Waits (polling /proc/PID/status) until `pid` catches or ignores `sig`, or
// until `grace_end`. SIGKILL and SIGSTOP never wait: no handler can take them.
void wait_for_handler(pid_t pid, int sig, std::chrono::steady_clock::time_point grace_end);

}  // namespace kata::agent::container
