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
std::atomic<Format> g_format{Format::kKata};

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

// logrus's names: "warn" is "warning" there.
std::string_view logrus_level(Level l) { return l == Level::kWarn ? "warning" : level_name(l); }

std::string utc_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

// A string quoted for a logrus text value or a JSON string (the same escapes serve both).
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

void set_format(Format format) { g_format = format; }

std::string format_line(Format format, Level l, std::string_view message) {
  switch (format) {
    case Format::kText:
      return fmt::format("time=\"{}\" level={} msg={}\n", utc_now(), logrus_level(l),
                         quoted(message));
    case Format::kJson:
      return fmt::format("{{\"level\":\"{}\",\"msg\":{},\"time\":\"{}\"}}\n", logrus_level(l),
                         quoted(message), utc_now());
    case Format::kKata:
      break;
  }
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::lock_guard lock(g_mu);
  return fmt::format("[{:5}.{:06}] {} {}: {}\n", ts.tv_sec, ts.tv_nsec / 1000, g_component,
                     level_name(l), message);
}

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
  std::string line = format_line(g_format, l, message);
  // One write() per line keeps lines whole when several threads log.
  ssize_t unused = ::write(g_fd, line.data(), line.size());
  (void)unused;
}

}  // namespace kata::log
