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

}  // namespace kata::sys
