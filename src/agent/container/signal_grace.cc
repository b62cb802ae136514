#include "agent/container/signal_grace.h"

#include <signal.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::agent::container {
namespace {

constexpr std::chrono::milliseconds kPoll{5};

// Bit `sig` of the hex mask on the status line starting with `key`.
bool mask_has(std::string_view status, std::string_view key, int sig) {
  for (const std::string& line : split(status, '\n')) {
    if (!starts_with(line, key)) continue;
    std::string hex(trim(std::string_view(line).substr(key.size())));
    char* end = nullptr;
    unsigned long long mask = std::strtoull(hex.c_str(), &end, 16);
    if (end == hex.c_str()) return false;
    return sig >= 1 && sig <= 64 && ((mask >> (sig - 1)) & 1ULL) != 0;
  }
  return false;
}

}  // namespace

bool handler_decided(std::string_view proc_status, int sig) {
  return mask_has(proc_status, "SigCgt:", sig) || mask_has(proc_status, "SigIgn:", sig);
}

void wait_for_handler(pid_t pid, int sig, std::chrono::steady_clock::time_point grace_end) {
  if (sig == SIGKILL || sig == SIGSTOP || sig == 0) return;
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  while (std::chrono::steady_clock::now() < grace_end) {
    Result<std::string> status = fs::read_file(path);
    if (!status || handler_decided(*status, sig)) return;  // gone, or ready for it
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace kata::agent::container
