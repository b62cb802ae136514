#include "runtime/testing/fake_vmm.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "sys/file_tail.h"

namespace kata::runtime::testing {
namespace {

constexpr std::chrono::seconds kLifetime{3600};  // "for ever", for a test
// Between two tries to reach a silent agent, as TtrpcAgent::connect pauses.
constexpr std::chrono::milliseconds kDialRetry{10};

Result<std::shared_ptr<UniqueFd>> duplicate(int fd) {
  auto dup = std::make_shared<UniqueFd>(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!*dup) return Error::from_errno(errno, "start fake vmm: duplicate pidfd");
  return dup;
}

// The end of QEMU closes the agent connection: every pending and later call fails.
void disconnect_at_exit(std::shared_ptr<UniqueFd> pidfd, std::shared_ptr<FakeVmmControl> control) {
  pollfd p{pidfd->get(), POLLIN, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  control->agent->disconnect();
  control->ended();
}

}  // namespace

Result<std::unique_ptr<hypervisor::Vmm>> FakeVmm::launch(const hypervisor::qemu::VmConfig& config,
                                                         std::shared_ptr<FakeVmmControl> control) {
  ++control->launches;
  if (config.run_dir.empty()) return Error(Code::kInvalidArgument, "start fake vmm: no run dir");
  KATA_TRY(fs::mkdir_all(config.run_dir, 0750).context("start fake vmm"));
  if (control->fail_launch) {
    return Error(Code::kFailedPrecondition, "start fake vmm: launch fails (fail_launch)");
  }
  std::string console_log = hypervisor::qemu::RunPaths::in(config.run_dir).console_log;
  KATA_TRY(fs::write_file_atomic(console_log, "fake guest " + config.name + " up\n")
               .context("start fake vmm"));

  auto lifetime = control->die_after.value_or(kLifetime);
  sys::SpawnOptions options{.argv = {"sleep", fmt::format("{:.3f}", lifetime.count() / 1000.0)},
                            .out = sys::Stdio::null(),
                            .err = sys::Stdio::null()};
  KATA_ASSIGN_OR_RETURN(sys::Process process,
                        std::move(sys::Process::spawn(options)).context("start fake vmm"));
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<UniqueFd> pidfd, duplicate(process.pidfd()));
  control->launched(process.pid());

  control->agent->reconnect();
  if (control->guest_hangs) {
    control->agent->on_power_off(nullptr);
  } else {
    // Through a pidfd of its own: the hook may outlive this VMM, never reach another process.
    control->agent->on_power_off([pidfd] { (void)sys::signal_pidfd(pidfd->get(), SIGTERM); });
  }
  std::unique_ptr<FakeVmm> vm(new FakeVmm(std::move(process), control, std::move(console_log)));
  vm->watcher_ = std::thread(disconnect_at_exit, pidfd, control);
  return std::unique_ptr<hypervisor::Vmm>(std::move(vm));
}

FakeVmm::~FakeVmm() {
  if (!process_.reaped()) {
    (void)process_.kill_group(SIGKILL);
    (void)note(process_.wait_for(std::nullopt));
  }
  watcher_.join();  // returns: the process has exited
}

Result<sys::ExitStatus> FakeVmm::note(Result<sys::ExitStatus> status) {
  if (status) control_->reaped(*status);
  return status;
}

Result<sys::ExitStatus> FakeVmm::wait_for_exit(std::chrono::milliseconds timeout) {
  return note(std::move(process_.wait_for(timeout)).context("wait for fake vmm"));
}

Result<sys::ExitStatus> FakeVmm::stop(std::chrono::milliseconds timeout) {
  ++control_->stop_calls;
  if (!process_.reaped() && !control_->ignore_stop) (void)process_.kill(SIGTERM);
  Result<sys::ExitStatus> status = process_.wait_for(timeout);
  if (!status) {
    (void)process_.kill_group(SIGKILL);
    status = process_.wait_for(std::nullopt);
  }
  return note(std::move(status).context("stop fake vmm"));
}

Result<sys::ExitStatus> FakeVmm::kill() {
  ++control_->kill_calls;
  if (!process_.reaped()) (void)process_.kill_group(SIGKILL);
  return note(std::move(process_.wait_for(std::nullopt)).context("kill fake vmm"));
}

std::string FakeVmm::console_log_tail(size_t n_lines) const {
  Result<std::string> tail = sys::read_tail(console_log_, n_lines);
  return tail ? *tail : "";
}

VmmFactory fake_vmm_factory(std::shared_ptr<FakeVmmControl> control) {
  return [control](const hypervisor::qemu::VmConfig& config) {
    return FakeVmm::launch(config, control);
  };
}

AgentDialer fake_agent_dialer(std::shared_ptr<FakeVmmControl> control) {
  return [control](const agent_client::AgentAddress& address,
                   const AgentGiveUp& give_up) -> Result<std::shared_ptr<agent_client::Agent>> {
    ++control->dials;
    for (;;) {
      if (std::optional<Error> stop = give_up()) {
        return std::move(*stop).context("wait for agent at " + address.to_string());
      }
      if (!control->agent_silent && control->agent->check()) {
        return std::shared_ptr<agent_client::Agent>(control->agent);
      }
      std::this_thread::sleep_for(kDialRetry);
    }
  };
}

}  // namespace kata::runtime::testing
