#include "sys/proc_scan.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::sys {
std::vector<ProcessMention> processes_mentioning(const std::string& needle) {
  std::vector<ProcessMention> found;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return found;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == ::getpid()) continue;
    std::string base = std::string("/proc/") + entry->d_name;
    Result<std::string> cmdline = fs::read_file(base + "/cmdline");
    if (!cmdline) continue;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (cmdline->find(needle) == std::string::npos) continue;
    found.push_back({static_cast<pid_t>(pid), std::string(trim(*cmdline))});
  }
  ::closedir(dir);
  return found;
}

}  // namespace kata::sys
