#include "shim/stdio_uri.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"

namespace kata::shim {
namespace {

constexpr auto kLoggerStopTimeout = std::chrono::seconds(12);  // containerd's

Error invalid(std::string_view text, const std::string& why) {
  return Error(Code::kInvalidArgument, "stdio uri `" + std::string(text) + "`: " + why);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes; in a query '+' is a space too (Go's url.ParseQuery).
std::optional<std::string> decode(std::string_view s, bool query) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += query && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

Result<UniqueFd> open_log_file(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash > 0) KATA_TRY(fs::mkdir_all(path.substr(0, slash), 0755));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return Error::from_errno(errno, fmt_path("open log file", path));
  return fd;
}

Result<std::array<UniqueFd, 2>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  return std::array<UniqueFd, 2>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Blocks until the logger writes to fd 5 or closes it; false on timeout.
bool wait_ready(int fd, std::chrono::milliseconds timeout) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

Result<UriOutput> start_logger(const StdioUri& uri, const std::string& id, const std::string& ns,
                               std::chrono::milliseconds ready_timeout) {
  const std::string what = fmt_path("start logging binary", uri.path);
  KATA_ASSIGN_OR_RETURN(auto out, make_pipe());
  KATA_ASSIGN_OR_RETURN(auto err, make_pipe());
  KATA_ASSIGN_OR_RETURN(auto ready, make_pipe());
  sys::SpawnOptions o;
  o.argv = {uri.path};
  for (const auto& [k, v] : uri.query) {
    o.argv.push_back(k);
    if (!v.empty()) o.argv.push_back(v);
  }
  o.env = {{"CONTAINER_ID", id}, {"CONTAINER_NAMESPACE", ns}};
  o.clear_env = true;
  o.extra_fds = {out[0].get(), err[0].get(), ready[1].get()};
  KATA_ASSIGN_OR_RETURN(sys::Process process, sys::Process::spawn(o).context(what));
  auto logger = std::make_unique<Logger>(std::move(process));
  ready[1].reset();
  if (!wait_ready(ready[0].get(), ready_timeout)) {
    return Error(Code::kDeadlineExceeded, what + ": no ready signal on fd 5 within " +
                                              std::to_string(ready_timeout.count()) +
                                              " ms (killed)");
  }
  return UriOutput{std::move(logger), std::move(out[1]), std::move(err[1])};
}

}  // namespace

Result<std::optional<StdioUri>> parse_stdio_uri(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return std::optional<StdioUri>();
  StdioUri uri;
  uri.scheme = std::string(text.substr(0, sep));
  if (uri.scheme != "file" && uri.scheme != "binary") {
    return invalid(text,
                   "scheme `" + uri.scheme + "` is not supported (fifo paths, file://, binary://)");
  }
  std::string_view rest = text.substr(sep + 3);
  size_t q = rest.find('?');
  std::string_view raw_path = rest.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/') {
    return invalid(text, "expected an absolute path after `" + uri.scheme + "://` and no host");
  }
  std::optional<std::string> path = decode(raw_path, false);
  if (!path) return invalid(text, "bad % escape in the path");
  uri.path = std::move(*path);
  if (q != std::string_view::npos) {
    for (const std::string& pair : split(rest.substr(q + 1), '&')) {
      size_t eq = pair.find('=');
      std::optional<std::string> k = decode(std::string_view(pair).substr(0, eq), true);
      std::optional<std::string> v =
          decode(eq == std::string::npos ? "" : std::string_view(pair).substr(eq + 1), true);
      if (!k || !v) return invalid(text, "bad % escape in the query");
      uri.query.emplace_back(std::move(*k), std::move(*v));
    }
  }
  return std::optional<StdioUri>(std::move(uri));
}

Result<UriOutput> open_uri_output(const StdioUri& uri, const std::string& id, const std::string& ns,
                                  std::chrono::milliseconds ready_timeout) {
  if (uri.scheme == "binary") return start_logger(uri, id, ns, ready_timeout);
  UriOutput o;
  KATA_ASSIGN_OR_RETURN(o.out, open_log_file(uri.path));
  o.err.reset(::fcntl(o.out.get(), F_DUPFD_CLOEXEC, 3));
  if (!o.err) return Error::from_errno(errno, fmt_path("dup log file", uri.path));
  return o;
}

Logger::~Logger() {
  (void)process_.kill(SIGTERM);
  if (process_.wait_for(kLoggerStopTimeout)) return;
  log::warn("logging binary pid {} did not exit within {} s of SIGTERM, killing it", pid(),
            kLoggerStopTimeout.count());
  (void)process_.kill_group(SIGKILL);
  (void)process_.wait_for(std::nullopt);
}

}  // namespace kata::shim
