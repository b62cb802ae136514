#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kata::sys {

// Pids of the processes of user `uid` whose command line contains `needle`
// (arguments joined by spaces). Used to find what a crashed sandbox service
// left behind: QEMU and virtiofsd name the sandbox's run dir in their
// arguments. Processes that vanish while being read are skipped.
std::vector<pid_t> processes_mentioning(const std::string& needle, uid_t uid);

struct ProcessMention {
  pid_t pid;
  std::string cmdline;  // arguments joined by spaces, trimmed
};

// The same search over every user's processes, with their command lines: what tests use
// to prove that nothing of a sandbox is left (a leaked process may run as another user,
// and /proc shows a non-dumpable one as root's). Never lists the calling process.
std::vector<ProcessMention> processes_mentioning(const std::string& needle);

}  // namespace kata::sys
