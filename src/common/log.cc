#include "common/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>

namespace kata::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<int> g_fd{STDERR_FILENO};
std::mutex g_mu;
std::string g_component = "kata";  // guarded by g_mu

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }
void set_fd(int fd) { g_fd = fd; }

void set_component(std::string_view component) {
  std::lock_guard lock(g_mu);
  g_component = component;
}

std::optional<Level> parse_level(std::string_view name) {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error" || name == "critical" || name == "fatal" || name == "panic") {
    return Level::kError;
  }
  return std::nullopt;
}

void write(Level l, std::string_view message) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::string line;
  {
    std::lock_guard lock(g_mu);
    line = fmt::format("[{:5}.{:06}] {} {}: {}\n", ts.tv_sec, ts.tv_nsec / 1000, g_component,
                       level_name(l), message);
  }
  // One write() per line keeps lines whole when several threads log.
  ssize_t unused = ::write(g_fd, line.data(), line.size());
  (void)unused;
}

}  // namespace kata::log
