// `kata-runtime check`: unlike Kata's, which only inspects the host, ours
// proves that a VM runs: it boots the real guest and asks its agent.
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "cli/load_config.h"
#include "common/fs.h"
#include "common/strings.h"
#include "hypervisor/host_check.h"
#include "runtime/guest_vm.h"
#include "sys/subprocess.h"

namespace kata::cli {
namespace {

using hypervisor::CheckItem;
using hypervisor::Severity;

void print_item(const CheckItem& item) {
  const char* mark = item.severity == Severity::kOk        ? "ok"
                     : item.severity == Severity::kWarning ? "warning"
                                                           : "error";
  std::printf("  %-8s %-20s %s\n", mark, item.name.c_str(), item.detail.c_str());
}

CheckItem file_item(const std::string& name, const std::string& path, Severity if_missing) {
  if (path.empty()) return {name, if_missing, "not configured"};
  if (!fs::exists(path)) return {name, if_missing, fmt_path("missing", path)};
  return {name, Severity::kOk, path};
}

std::string qemu_version(const std::string& qemu) {
  sys::SpawnOptions o;
  o.argv = {qemu, "--version"};
  auto out = sys::run_capture(o, std::chrono::seconds(10));
  if (!out || !out->status.success()) return "";
  return std::string(trim(split(out->out, '\n').empty() ? "" : split(out->out, '\n')[0]));
}

std::vector<CheckItem> host_items(const config::Config& c) {
  const auto& hv = c.hypervisor;
  std::vector<CheckItem> items = hypervisor::check_host(hypervisor::gather_host_facts(hv.path));
  for (auto& item : items) {
    if (item.name == "QEMU" && item.severity == Severity::kOk) {
      if (std::string v = qemu_version(hv.path); !v.empty()) item.detail += " (" + v + ")";
    }
  }
  items.push_back(file_item("guest kernel", hv.kernel, Severity::kError));
  items.push_back(file_item("guest initrd", hv.initrd, Severity::kError));
  // virtio-fs is not used before containers run, so a missing daemon is not fatal yet.
  items.push_back(file_item("virtiofsd", hv.virtio_fs_daemon, Severity::kWarning));
  return items;
}

}  // namespace

int run_check(const GlobalOptions& opts, const std::vector<std::string>& args) {
  if (!args.empty()) return fail("check", "unexpected argument `" + args[0] + "`");
  Result<config::LoadedConfig> loaded = load_config(opts);
  if (!loaded) return fail("check", loaded.error().message());
  const config::Config& c = loaded->config;
  std::printf("configuration: %s\n", loaded->path.c_str());

  std::printf("host:\n");
  bool fatal = false;
  for (const CheckItem& item : host_items(c)) {
    print_item(item);
    fatal |= item.severity == Severity::kError;
  }
  if (fatal) return fail("check", "the host cannot run Kata++ VMs (see the errors above)");

  std::printf("guest:\n");
  std::fflush(stdout);
  runtime::BootOptions boot;
  boot.id = "kata-check-" + std::to_string(::getpid());
  Result<std::unique_ptr<runtime::GuestVm>> guest = runtime::GuestVm::boot(c, boot);
  if (!guest) return fail("check", guest.error().message());
  auto& g = **guest;
  Result<agent_client::GuestDetails> details = g.agent().guest_details();
  if (!details) {
    (void)g.shutdown(std::chrono::seconds(5));
    return fail("check", "GetGuestDetails: " + details.error().message());
  }
  std::printf("  %-8s %-20s %s/%s, agent over %s, QEMU pid %d\n", "ok", "VM",
              std::string(hypervisor::to_string(g.machine())).c_str(),
              std::string(hypervisor::to_string(g.accel().accel)).c_str(),
              std::string(hypervisor::to_string(g.channel())).c_str(), g.vm().pid());
  // The probe's reason, also when the verdict came from its cache and no
  // warning was logged this time.
  print_item({"accelerator",
              g.accel().accel == hypervisor::Accel::kKvm ? Severity::kOk : Severity::kWarning,
              std::string(hypervisor::to_string(g.accel().accel)) +
                  (g.accel().reason.empty() ? "" : ": " + g.accel().reason)});
  std::printf("  %-8s %-20s %s\n", "ok", "agent version", details->agent_version.c_str());
  std::printf(
      "  %-8s %-20s %s\n", "ok", "guest kernel",
      hypervisor::describe_guest_kernel(details->kernel_release, details->kernel_version).c_str());
  std::printf("  %-8s %-20s %.2f s\n", "ok", "boot to agent ready",
              static_cast<double>(g.boot_to_ready().count()) / 1000.0);
  if (Result<void> down = g.shutdown(std::chrono::seconds(10)); !down) {
    return fail("check", down.error().message());
  }
  std::printf("  %-8s %-20s %s\n", "ok", "shutdown", "the guest powered off; nothing left behind");
  std::printf("kata-runtime check: this host runs Kata++ VMs\n");
  return 0;
}

}  // namespace kata::cli
