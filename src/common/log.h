#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace kata::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// One global threshold; lines below it are dropped before formatting.
void set_level(Level level);
Level level();
std::optional<Level> parse_level(std::string_view name);  // "debug", "info", "warn"/"warning", ...

// Where lines go (stderr by default): the agent points it at /dev/console.
void set_fd(int fd);
// Prefix for every line, e.g. "kata-agent".
void set_component(std::string_view component);

// How a line looks. kKata: "[uptime] component level: message". kText and
// kJson are runc's (logrus's) formats, which callers of an OCI runtime parse:
//   time="2026-12-04T22:36:56Z" level=error msg="container does not exist"
//   {"level":"error","msg":"container does not exist","time":"2026-12-04T22:36:56Z"}
enum class Format { kKata, kText, kJson };
void set_format(Format format);
// One line in `format`, as write() would emit it.
std::string format_line(Format format, Level level, std::string_view message);

void write(Level level, std::string_view message);

template <typename... Args>
void trace(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::kTrace) write(Level::kTrace, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::kDebug) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::kInfo) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::kWarn) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace kata::log
