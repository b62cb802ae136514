#pragma once

// A process named by pid *and* start time, so that a pid written down earlier
// (in a sandbox's state.json) is never mistaken for an unrelated process that
// got the same pid later. The start time is /proc/PID/stat's field 22, clock
// ticks since boot: fixed for a process's life, and never shared by two
// processes that held the same pid one after the other.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace kata::sys {

struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;

  bool empty() const { return pid <= 0; }
  bool operator==(const ProcessIdentity&) const = default;
};

// Numeric field `n` (1-based, n >= 3) of a /proc/PID/stat line. The command
// name (field 2) may hold spaces and parentheses: fields are counted after its
// last ')'.
Result<uint64_t> parse_stat_field(const std::string& stat_line, size_t n);
// Field 22: the start time.
Result<uint64_t> parse_stat_start_time(const std::string& stat_line);

// The identity of the live process `pid`; NOT_FOUND when there is none.
Result<ProcessIdentity> identify_process(pid_t pid);

// Whether `who` still runs: the same process, and neither a zombie nor exiting (a
// killed process waits as a zombie until its parent reaps it).
bool still_running(const ProcessIdentity& who);

// User + system CPU time the live process `pid` has used (fields 14 and 15).
Result<std::chrono::milliseconds> process_cpu_time(pid_t pid);

// SIGKILLs the process if it is still the one identified (and, with
// `whole_group`, every process of the group it leads), then waits until it has
// exited. Returns false, touching nothing, when that process is gone already
// or the pid now belongs to another one. DEADLINE_EXCEEDED if it outlives
// `timeout`.
Result<bool> kill_identified(const ProcessIdentity& who, bool whole_group,
                             std::chrono::milliseconds timeout);

}  // namespace kata::sys
