#include "sys/proc_scan.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::sys {
namespace {

// Every process but ourselves (of user `uid`, if given) whose command line contains `needle`.
std::vector<ProcessMention> scan(const std::string& needle, std::optional<uid_t> uid) {
  std::vector<ProcessMention> found;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return found;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == ::getpid()) continue;
    std::string base = std::string("/proc/") + entry->d_name;
    struct stat st {};
    if (uid && (::stat(base.c_str(), &st) != 0 || st.st_uid != *uid)) continue;
    Result<std::string> cmdline = fs::read_file(base + "/cmdline");
    if (!cmdline) continue;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (cmdline->find(needle) == std::string::npos) continue;
    found.push_back({static_cast<pid_t>(pid), std::string(trim(*cmdline))});
  }
  ::closedir(dir);
  return found;
}

}  // namespace

std::vector<pid_t> processes_mentioning(const std::string& needle, uid_t uid) {
  std::vector<pid_t> pids;
  for (const ProcessMention& p : scan(needle, uid)) pids.push_back(p.pid);
  return pids;
}

std::vector<ProcessMention> processes_mentioning(const std::string& needle) {
  return scan(needle, std::nullopt);
}

}  // namespace kata::sys
