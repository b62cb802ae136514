#include "resource/virtiofsd.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "sys/file_tail.h"
#include "sys/unix_socket.h"

namespace kata::resource {
namespace {

// What virtiofsd prints once its setup (namespaces, sandbox, source dir) succeeded.
constexpr char kReadyLine[] = "Waiting for vhost-user socket connection";
constexpr std::chrono::milliseconds kPoll{10};
constexpr size_t kErrorTailLines = 5;

void remove_socket(const std::string& path) {
  if (!path.empty() && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    log::warn("remove `{}`: {}", path, std::strerror(errno));
  }
}

}  // namespace

Result<std::vector<std::string>> virtiofsd_argv(const VirtiofsdConfig& c) {
  if (c.shared_dir.empty() || c.shared_dir[0] != '/') {
    return Error(Code::kInvalidArgument,
                 fmt_path("virtiofsd: shared dir", c.shared_dir) + ": not an absolute path");
  }
  // virtiofsd splits -o values at ','.
  if (c.shared_dir.find(',') != std::string::npos) {
    return Error(Code::kInvalidArgument,
                 fmt_path("virtiofsd: shared dir", c.shared_dir) + ": ',' is not allowed");
  }
  std::string cache = c.cache == "never" ? "none" : c.cache;
  if (cache != "auto" && cache != "always" && cache != "none") {
    return Error(Code::kInvalidArgument,
                 "virtiofsd: cache `" + c.cache + "`: expected auto, always, none or never");
  }
  std::vector<std::string> argv = {c.daemon, "--fd=0",        "-o", "source=" + c.shared_dir,
                                   "-o",     "cache=" + cache};
  argv.insert(argv.end(), c.extra_args.begin(), c.extra_args.end());
  return argv;
}

Result<std::unique_ptr<Virtiofsd>> Virtiofsd::start(const VirtiofsdConfig& config) {
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<Virtiofsd> daemon, spawn(config));
  KATA_TRY(daemon->wait_ready());
  return daemon;
}

Result<std::unique_ptr<Virtiofsd>> Virtiofsd::spawn(const VirtiofsdConfig& config) {
  const std::string what = "start virtiofsd";
  KATA_ASSIGN_OR_RETURN(std::vector<std::string> argv, virtiofsd_argv(config).context(what));
  if (config.socket_path.size() > sys::kMaxUnixPathLength) {
    return Error::from_errno(ENAMETOOLONG, what + ": " + fmt_path("socket", config.socket_path));
  }
  KATA_ASSIGN_OR_RETURN(UniqueFd listener, sys::listen_unix(config.socket_path, 1).context(what));
  log::debug("{}: {}", what, fmt::join(argv, " "));
  sys::SpawnOptions options{.argv = argv,
                            .in = sys::Stdio::fd(listener.get()),
                            .out = sys::Stdio::file(config.log_path),
                            .err = sys::Stdio::file(config.log_path, /*append=*/true)};
  Result<sys::Process> process = sys::Process::spawn(options);
  listener.reset();  // the daemon holds its own copy
  if (!process) {
    remove_socket(config.socket_path);
    return std::move(process).error().context(what);
  }
  log::debug("virtiofsd pid {} sharing `{}`", process->pid(), config.shared_dir);
  return std::unique_ptr<Virtiofsd>(new Virtiofsd(std::move(*process), config));
}

Result<void> Virtiofsd::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + config_.start_timeout;
  for (;;) {
    Result<std::string> log = fs::read_file(config_.log_path);
    if (log && log->find(kReadyLine) != std::string::npos) return {};
    // Waiting on the pidfd is the pause, and it notices an early exit at once.
    Result<sys::ExitStatus> exited = process_.wait_for(kPoll);
    std::string message;
    if (exited) {
      message = fmt::format("virtiofsd exited during start ({})", exited->describe());
    } else if (std::chrono::steady_clock::now() >= deadline) {
      message =
          fmt::format("virtiofsd not ready within {} ms (killed)", config_.start_timeout.count());
    } else {
      continue;
    }
    kill_and_reap();
    return Error(Code::kFailedPrecondition, fmt::format("start virtiofsd: {}: {}", message,
                                                        one_line(log_tail(kErrorTailLines))));
  }
}

void Virtiofsd::kill_and_reap() {
  // Before reaping: while the leader is unreaped its group id cannot be reused, and
  // the group still reaches the pid-namespace child even when the leader is gone.
  if (!process_.reaped()) {
    (void)process_.kill_group(SIGKILL);
    (void)process_.wait_for(std::nullopt);
  }
  remove_socket(config_.socket_path);
  config_.socket_path.clear();
}

Result<sys::ExitStatus> Virtiofsd::stop() {
  kill_and_reap();
  return std::move(process_.wait_for(std::nullopt)).context("stop virtiofsd");
}

Virtiofsd::~Virtiofsd() { kill_and_reap(); }

std::string Virtiofsd::log_tail(size_t n_lines) const {
  Result<std::string> tail = sys::read_tail(config_.log_path, n_lines);
  return tail ? *tail : "";
}

}  // namespace kata::resource
