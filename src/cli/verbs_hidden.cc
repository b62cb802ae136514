// The two processes `create` leaves behind, as hidden verbs of kata-runtime
// itself (re-executed through /proc/self/exe): the sandbox service and a relay.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>

#include "cli/container_record.h"
#include "cli/relay.h"
#include "cli/verbs.h"
#include "common/log.h"
#include "shim/events.h"
#include "shim/task_server.h"

namespace kata::cli {
namespace {

// The sandbox service of `sandbox_id`: containerd's task API, the same code the
// shim daemon serves, on the socket `create` made (fd 3).
int run_sandbox_service(const GlobalOptions& g, const std::string& sandbox_id) {
  bool listening = shim::is_listening_socket(shim::kListenerFd);
  std::signal(SIGPIPE, SIG_IGN);  // a caller's pipe that closed is an EPIPE, not our death
  log::set_component("kata-runtime sandbox-service");
  shim::limit_daemon_capabilities();
  if (!listening) {
    log::error("no listening socket on fd {}: the service is started by `create`",
               shim::kListenerFd);
    return 1;
  }
  ::fcntl(shim::kListenerFd, F_SETFD, FD_CLOEXEC);
  // Nobody subscribes to the task events of a CLI sandbox: they are logged (debug).
  shim::QueuedPublisher publisher("kata-runtime", shim::log_forwarder());
  shim::TaskServiceDeps deps;
  deps.start_sandbox = shim::configured_sandbox_factory(g.config_path, g.debug);
  deps.parsers = shim::oci_spec_parsers();
  deps.events = &publisher;
  deps.shim_pid = ::getpid();
  Result<void> served = shim::serve_task_api(UniqueFd(shim::kListenerFd), std::move(deps));
  if (!served) log::error("serve: {}", served.error().message());
  publisher.flush();
  ::unlink(service_socket(g.root, sandbox_id).c_str());
  log::debug("sandbox service {} exits", sandbox_id);
  return served ? 0 : 1;
}

}  // namespace

void add_hidden_verbs(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;
  auto sandbox_id = std::make_shared<std::string>();
  CLI::App* service = verbs.add(app, "sandbox-service", "",
                                [&g, sandbox_id] { return run_sandbox_service(g, *sandbox_id); });
  service->add_option("--id", *sandbox_id)->required();
  service->group("");  // hidden from --help

  auto target = std::make_shared<RelayTarget>();
  CLI::App* relay = verbs.add(app, "relay", "", [target] { return run_relay(*target); });
  relay->add_option("--socket", target->socket)->required();
  relay->add_option("--id", target->id)->required();
  relay->add_option("--exec-id", target->exec_id);
  relay->add_option("--console-socket", target->console_socket);
  relay->group("");
}

}  // namespace kata::cli
