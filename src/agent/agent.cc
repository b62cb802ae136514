#include "agent/agent.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>

#include "agent/channel.h"
#include "agent/container/cgroup.h"
#include "agent/container/engine.h"
#include "agent/guest_os.h"
#include "agent/init/cmdline.h"
#include "agent/init/module_loader.h"
#include "agent/init/modules.h"
#include "agent/init/mounts.h"
#include "agent/init/power.h"
#include "agent/init/reaper.h"
#include "agent/network/interfaces.h"
#include "agent/network/netlink_network.h"
#include "agent/network/parking.h"
#include "agent/rpc/agent_service.h"
#include "agent/rpc/container_service.h"
#include "agent/rpc/health_service.h"
#include "agent/rpc/network_service.h"
#include "agent/sandbox.h"
#include "agent/serial_relay.h"
#include "common/fs.h"
#include "common/log.h"
#include "ttrpc/server.h"

namespace kata::agent {
namespace {

constexpr char kModuleList[] = "/etc/kata/modules";
// virtio-net probes before init runs; the wait only covers a slow PCI probe.
constexpr std::chrono::milliseconds kParkWait{2000};

// The sandbox's part that lives in the container engine (Sandbox calls it).
class EngineScope final : public SandboxScope {
 public:
  explicit EngineScope(container::Engine& engine) : engine_(engine) {}
  Result<void> open(const std::string& sandbox_id, const std::string& hostname) override {
    return engine_.open_sandbox(sandbox_id, hostname);
  }
  Result<void> close() override { return engine_.close_sandbox(); }

 private:
  container::Engine& engine_;
};

[[noreturn]] void fatal(const Error& error) {
  log::error("fatal: {}", error.message());
  power_off();
}

// An exception escaping any thread ends up here; PID 1 exiting would panic the
// kernel, so go down the orderly way.
[[noreturn]] void on_terminate() {
  std::string what = "unknown exception";
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
  }
  log::error("fatal: uncaught exception: {}", what);
  power_off();
}

// The kernel gives init no stdio when the initrd has no /dev/console; the
// devtmpfs one serves for the log and for anything else that writes to 0-2.
void use_console() {
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int target = 0; target <= 2; ++target) {
    if (fd != target) ::dup2(fd, target);
  }
  if (fd > 2) ::close(fd);
  log::set_fd(STDERR_FILENO);
}

std::string seconds_since_boot() {
  Result<std::string> text = fs::read_file("/proc/uptime");
  std::optional<double> up = text ? parse_uptime(*text) : std::nullopt;
  return up ? fmt::format("boot+{:.2f}s", *up) : "boot+?";
}

Result<void> serve(const Channel& channel, ttrpc::Server& server) {
  log::info("serving on {} ({})", channel.describe(), seconds_since_boot());
  if (channel.kind == Channel::Kind::kVsock) {
    KATA_ASSIGN_OR_RETURN(UniqueFd listener, listen_vsock());
    return server.serve_listener(std::move(listener)).context("serve vsock");
  }
  return serve_serial_port(channel.path, [&server](UniqueFd fd) {
    Result<void> served = server.serve_connection(std::move(fd));
    if (!served) log::warn("connection ended: {}", served.error().message());
  });
}

// Loads the drivers that serving needs now and starts the rest in the
// background. An image whose kernel has every driver built in lists no
// modules: then nothing is scanned, read or loaded.
Result<std::unique_ptr<BackgroundModuleLoad>> load_boot_modules(ChannelKind channel) {
  KATA_ASSIGN_OR_RETURN(std::vector<std::string> listed, read_module_list(kModuleList));
  if (listed.empty()) return std::unique_ptr<BackgroundModuleLoad>();
  KATA_ASSIGN_OR_RETURN(std::string modules_dir, running_modules_dir());
  // The host names the channel and the VM shows its buses before any driver
  // loads: boot loads only what serving needs (under TCG each module costs
  // 10-40 ms).
  bool pci = has_pci_devices("/sys"), mmio = has_virtio_mmio_devices("/sys");
  BootNeeds needs{.serial = channel != ChannelKind::kVsock,
                  .vsock = channel != ChannelKind::kSerial,
                  .pci_bus = pci || !mmio,  // neither seen: load both rather than guess
                  .mmio_bus = mmio || !pci};
  BootModules modules = split_boot_modules(listed, needs);
  for (const std::string& m : modules.skipped) log::debug("module {} skipped: no such bus", m);
  // A driver that fails to load is not fatal by itself: the channel decides.
  Result<void> loaded = load_modules(modules_dir, modules.channel);
  if (!loaded) log::warn("{}", loaded.error().message());
  // The transport's driver has found the VM's devices by now.
  DeviceModules later = drop_absent_device_drivers(modules.later, virtio_device_ids("/sys"));
  for (const std::string& m : later.absent) log::debug("module {} skipped: no such device", m);
  return std::make_unique<BackgroundModuleLoad>(modules_dir, later.load);
}

Result<void> boot_and_serve() {
  KATA_ASSIGN_OR_RETURN(std::vector<std::string> mounted, mount_early().context("early mounts"));
  use_console();

  KATA_ASSIGN_OR_RETURN(std::string cmdline, fs::read_file("/proc/cmdline"));
  AgentOptions opts = parse_agent_options(cmdline);
  log::set_level(opts.log_level);
  for (const std::string& w : opts.warnings) log::warn("kernel command line: {}", w);
  log::info("kata-agent {} starting as pid {}", KATA_VERSION, ::getpid());

  // Before any thread starts: every thread must inherit SIGCHLD blocked.
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<Reaper> reaper, Reaper::start());
  // A vanished host must not kill us through a write. Children inherit
  // SIG_IGN across exec, so whoever starts processes resets it.
  ::signal(SIGPIPE, SIG_IGN);

  KATA_ASSIGN_OR_RETURN(std::vector<std::string> rest,
                        mount_base_filesystems().context("mount base file systems"));
  mounted.insert(mounted.end(), rest.begin(), rest.end());
  for (const std::string& target : mounted) log::debug("mounted {}", target);
  // Containers get their cgroups below the root (Cgroup::create enables the
  // controllers there on first use: not on the boot path); the root is exempt
  // from the no-internal-processes rule, so the agent itself stays there.

  // Held until the agent ends: its thread may still be loading.
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<BackgroundModuleLoad> later_modules,
                        load_boot_modules(opts.channel));

  RealGuestOs os;
  container::Engine engine(*reaper);
  EngineScope scope(engine);
  Sandbox sandbox(os, &scope);
  // Before the server, which must not outlive it. Without a netlink socket the
  // network RPCs stay UNIMPLEMENTED: containers without a network still run.
  Result<std::unique_ptr<network::NetlinkGuestNetwork>> net = network::NetlinkGuestNetwork::open();
  if (!net) log::warn("network RPCs unavailable: {}", net.error().message());
  // Before the server: no container may see a spare NIC.
  if (net && !opts.park_nics.empty()) {
    Result<void> parked = network::park_nics(**net, opts.park_nics, kParkWait);
    if (!parked) log::warn("{}", parked.error().message());
  }
  if (net) {
    Result<void> lo = network::bring_lo_up(**net);
    if (!lo) log::warn("{}", lo.error().message());
  }
  ttrpc::Server server;
  register_health_service(server);
  register_agent_service(server, sandbox);
  register_container_service(server, engine, [&sandbox](const std::vector<StorageSpec>& specs) {
    return sandbox.add_container_storages(specs);
  });
  if (net) register_network_service(server, **net);
  // Last: the serial port appears only once the host has answered the console
  // driver, and the setup above runs meanwhile.
  KATA_ASSIGN_OR_RETURN(Channel channel, choose_channel(opts.channel));
  return serve(channel, server);
}

}  // namespace

std::optional<double> parse_uptime(std::string_view text) {
  std::string first(text.substr(0, text.find(' ')));
  char* end = nullptr;
  double v = std::strtod(first.c_str(), &end);
  if (first.empty() || end == first.c_str() || v < 0) return std::nullopt;
  return v;
}

void run() {
  log::set_component("kata-agent");
  std::set_terminate(on_terminate);
  try {
    Result<void> served = boot_and_serve();
    if (!served) fatal(std::move(served).error());
    fatal(Error(Code::kInternal, "agent server stopped"));
  } catch (const std::exception& e) {
    fatal(Error(Code::kInternal, std::string("uncaught exception: ") + e.what()));
  } catch (...) {
    fatal(Error(Code::kInternal, "uncaught exception"));
  }
}

}  // namespace kata::agent
