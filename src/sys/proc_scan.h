#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kata::sys {

struct ProcessMention {
  pid_t pid;
  std::string cmdline;  // arguments joined by spaces, trimmed
};

// Every process (of any user) whose command line contains `needle` (arguments joined by
// spaces), with its command line: what tests and benchmarks use to prove that nothing of
// a sandbox is left (a leaked process may run as another user, and /proc shows a
// non-dumpable one as root's). Never lists the calling process. Not for cleanup: a
// mention is no proof of ownership (runtime/sandbox_state.h names processes exactly).
std::vector<ProcessMention> processes_mentioning(const std::string& needle);

}  // namespace kata::sys
