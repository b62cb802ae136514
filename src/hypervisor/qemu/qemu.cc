#include "hypervisor/qemu/qemu.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "hypervisor/host_check.h"
#include "hypervisor/qemu/kernel_params.h"
#include "sys/file_tail.h"
#include "sys/unix_socket.h"

namespace kata::hypervisor::qemu {
namespace {

constexpr size_t kErrorTailLines = 5;
// How often start() looks for QMP's socket.
constexpr std::chrono::milliseconds kQmpRetry{10};

Result<void> check_socket_path(const std::string& path) {
  if (path.size() > sys::kMaxUnixPathLength) {
    return Error::from_errno(ENAMETOOLONG, fmt_path("socket path", path));
  }
  return {};
}

void remove_socket(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    log::warn("remove `{}`: {}", path, std::strerror(errno));
  }
}

}  // namespace

std::string guest_kernel_cmdline(const VmConfig& c) {
  uint64_t tsc = c.tsc_khz;
  if (tsc == 0 && c.machine == Machine::kMicrovm && c.accel == Accel::kTcg) {
    Result<uint64_t> detected = detect_host_tsc_khz();
    if (detected) {
      tsc = *detected;
    } else {
      log::warn("{}; the microvm guest may hang at boot", detected.error().message());
    }
  }
  std::vector<std::string> parked;
  for (const Device& d : c.devices) {
    const auto* nic = std::get_if<NetDevice>(&d);
    if (nic != nullptr && nic->parked) parked.push_back(nic->mac);
  }
  return build_kernel_params(KernelParamsSpec{.machine = c.machine,
                                              .accel = c.accel,
                                              .debug = c.debug,
                                              .agent_debug = c.agent_debug,
                                              .channel = c.agent_channel,
                                              .tsc_khz = tsc,
                                              .parked_nics = std::move(parked),
                                              .extra = c.kernel_params});
}

Result<std::unique_ptr<QemuVm>> QemuVm::start(const VmConfig& config) {
  if (config.run_dir.empty()) return Error(Code::kInvalidArgument, "start qemu: no run dir");
  RunPaths paths = RunPaths::in(config.run_dir);
  KATA_TRY(check_socket_path(paths.qmp_socket).context("start qemu"));
  KATA_TRY(check_socket_path(paths.agent_socket).context("start qemu"));
  KATA_TRY(check_socket_path(paths.virtiofs_socket).context("start qemu"));
  KATA_TRY(fs::mkdir_all(config.run_dir, 0750).context("start qemu"));
  // Left over from a QEMU that was killed: QEMU would refuse to bind them.
  remove_socket(paths.qmp_socket);
  remove_socket(paths.agent_socket);

  std::string cmdline = guest_kernel_cmdline(config);
  std::vector<std::string> argv = build_command_line(config, paths, cmdline).argv();
  log::debug("start qemu: {}", fmt::join(argv, " "));
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return Error::from_errno(errno, "start qemu: console pipe");
  UniqueFd console_in(ends[0]), console_out(ends[1]);
  KATA_ASSIGN_OR_RETURN(
      CappedLog log,
      CappedLog::create(paths.console_log, config.console_log_max).context("start qemu"));
  // Started first: if the spawn fails, closing our write end ends it.
  KATA_ASSIGN_OR_RETURN(
      std::unique_ptr<ConsoleRelay> console,
      ConsoleRelay::start(std::move(console_in), std::move(log)).context("start qemu"));
  std::vector<int> inherited{console_out.get()};  // kConsoleFd, then the taps
  for (int tap : inherited_tap_fds(config)) inherited.push_back(tap);
  sys::SpawnOptions options{.argv = argv,
                            .in = sys::Stdio::null(),
                            .out = sys::Stdio::file(paths.qemu_log),
                            .err = sys::Stdio::file(paths.qemu_log, /*append=*/true),
                            .extra_fds = std::move(inherited),
                            .drop_capabilities = config.drop_capabilities,
                            .network_namespace_fd = config.network_namespace_fd};
  Result<sys::Process> process = sys::Process::spawn(options);
  console_out.reset();  // QEMU holds the only write end now: its exit is the relay's EOF
  if (!process) return std::move(process).error().context("start qemu");
  std::unique_ptr<QemuVm> vm(new QemuVm(std::move(*process), std::move(console), std::move(paths),
                                        std::move(argv), std::move(cmdline)));
  KATA_TRY(vm->connect_qmp(config.start_timeout));
  log::debug("qemu pid {} up, QMP ready (QEMU {})", vm->pid(), vm->qmp_->qemu_version());
  return vm;
}

Result<void> QemuVm::connect_qmp(std::chrono::milliseconds timeout) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  for (;;) {
    Result<UniqueFd> fd = sys::connect_unix(paths_.qmp_socket);
    if (fd) {
      Result<QmpClient> client = QmpClient::handshake(std::move(*fd), deadline);
      // Typically QEMU dying after creating its sockets (bad kernel, bad device): give
      // it a moment to exit so that the error can say so.
      if (!client) return start_failure(client.error().message(), std::chrono::seconds(1));
      qmp_.emplace(std::move(*client));
      return {};
    }
    int err = fd.error().sys_errno();
    if (err != ENOENT && err != ECONNREFUSED) return start_failure(fd.error().message(), {});
    // Waiting on the pidfd is the retry pause, and it notices an early exit at once.
    if (process_.wait_for(kQmpRetry)) return start_failure("", {});
    if (sys::expired(deadline)) {
      return start_failure(fmt::format("QMP socket not ready within {} ms", timeout.count()), {});
    }
  }
}

// Reaps QEMU (killing it unless it exits within `grace`) and builds the error from its
// own last words: when QEMU dies, its message says why; ours would only say how.
Error QemuVm::start_failure(std::string_view what, std::chrono::milliseconds grace) {
  Result<sys::ExitStatus> status = process_.wait_for(grace);
  std::string message;
  if (status) {
    message = fmt::format("start qemu: QEMU exited during start ({})", status->describe());
  } else {
    (void)process_.kill_group(SIGKILL);
    (void)process_.wait_for(std::nullopt);
    message = fmt::format("start qemu: {} (QEMU killed)", what);
  }
  release_resources();
  return Error(Code::kFailedPrecondition,
               fmt::format("{}: {}", message, one_line(qemu_log_tail(kErrorTailLines))));
}

void QemuVm::release_resources() {
  qmp_.reset();
  if (console_ && process_.reaped()) console_->stop();
  remove_socket(paths_.qmp_socket);
  remove_socket(paths_.agent_socket);
}

Result<sys::ExitStatus> QemuVm::wait_for_exit(std::chrono::milliseconds timeout) {
  KATA_ASSIGN_OR_RETURN(sys::ExitStatus status,
                        std::move(process_.wait_for(timeout)).context("wait for qemu"));
  release_resources();
  return status;
}

Result<sys::ExitStatus> QemuVm::stop(std::chrono::milliseconds timeout) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  auto left = [&] {
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - sys::Clock::now());
  };
  if (!process_.reaped() && qmp_) {
    Result<void> quit = qmp_->quit(left());
    if (!quit) log::debug("stop qemu pid {}: {}", pid(), quit.error().message());
  }
  Result<sys::ExitStatus> status =
      process_.wait_for(std::max(left(), std::chrono::milliseconds(0)));
  if (!status) {
    log::warn("stop qemu pid {}: no exit within {} ms, killing it", pid(), timeout.count());
    (void)process_.kill_group(SIGKILL);
    status = process_.wait_for(std::nullopt);
  }
  release_resources();
  return std::move(status).context("stop qemu");
}

Result<sys::ExitStatus> QemuVm::kill() {
  if (!process_.reaped()) (void)process_.kill_group(SIGKILL);
  Result<sys::ExitStatus> status = process_.wait_for(std::nullopt);
  release_resources();
  return std::move(status).context("kill qemu");
}

QemuVm::~QemuVm() {
  if (!process_.reaped()) {
    log::warn("qemu pid {} still running at teardown, killing it", pid());
    (void)process_.kill_group(SIGKILL);
    (void)process_.wait_for(std::nullopt);
  }
  release_resources();
}

std::string QemuVm::console_log_tail(size_t n_lines) const {
  return qemu::console_log_tail(paths_.console_log, n_lines);
}

std::string QemuVm::qemu_log_tail(size_t n_lines) const {
  Result<std::string> tail = sys::read_tail(paths_.qemu_log, n_lines);
  return tail ? *tail : "";
}

}  // namespace kata::hypervisor::qemu
