// create, start and delete: the verbs that make and end a container, and
// with the first and last of a sandbox, its service.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/container_ops.h"
#include "cli/create.h"
#include "common/fs.h"
#include "common/id.h"
#include "common/log.h"
#include "runtime/sandbox.h"
#include "runtime/service/bundle_info.h"
#include "shim/task_server.h"
#include "sys/process_identity.h"
#include "sys/unix_socket.h"

namespace kata::cli {
namespace {

using namespace std::chrono_literals;

// What create reads of config.json itself; the service reads the rest.
struct BundleSpec {
  std::string rootfs;
  bool terminal = false;
  std::map<std::string, std::string> annotations;
  runtime::service::BundleInfo info;
};

Result<BundleSpec> read_bundle_spec(const std::string& bundle) {
  struct stat st {};
  if (::stat(bundle.c_str(), &st) != 0) return Error::from_errno(errno, "bundle `" + bundle + "`");
  std::string path = bundle + "/config.json";
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  nlohmann::json spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return Error(Code::kInvalidArgument, "parse `" + path + "`: not a JSON object");
  }
  BundleSpec out;
  try {
    std::string root = spec.at("root").at("path").get<std::string>();
    out.rootfs = !root.empty() && root[0] == '/' ? root : bundle + "/" + root;
    out.terminal = spec.at("process").value("terminal", false);
    out.annotations = spec.value("annotations", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalidArgument, "parse `" + path + "`: " + e.what());
  }
  KATA_ASSIGN_OR_RETURN(out.info, runtime::service::read_bundle_info(bundle));
  return out;
}

Result<std::string> absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return Error::from_errno(errno, "getcwd");
  return path.empty() || path == "." ? std::string(cwd) : std::string(cwd) + "/" + path;
}

// Starts the service of a new sandbox: its socket listening before it runs, so
// that we can call it at once.
Result<sys::ProcessIdentity> start_service(const GlobalOptions& g, const std::string& sandbox_id,
                                           const std::string& bundle) {
  KATA_TRY(fs::mkdir_all(kServiceSocketDir, 0711));
  KATA_ASSIGN_OR_RETURN(UniqueFd listener, sys::listen_unix(service_socket(g.root, sandbox_id)));
  std::vector<std::string> args = global_args(g);
  args.insert(args.end(), {"sandbox-service", "--id", sandbox_id});
  KATA_ASSIGN_OR_RETURN(pid_t pid, shim::spawn_daemon(args, bundle, listener.get()));
  return sys::identify_process(pid);
}

// Waits until `who` exited, up to `timeout`; false if it still runs.
bool wait_gone(const sys::ProcessIdentity& who, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (sys::still_running(who)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Ends a sandbox service that has no container left: Shutdown, and if it does
// not go, its process (by identity). Then whatever a service that died (or was
// killed) left behind: QEMU, virtiofsd, mounts, cgroups, as its state.json
// names them, the way `containerd-shim-kata-v2 delete` cleans up after a shim.
// After a clean exit there is nothing left to find.
void end_service(const std::string& socket, const sys::ProcessIdentity& service,
                 const std::string& sandbox_id) {
  if (Result<ServiceClient> client = ServiceClient::connect(socket)) {
    (void)client->call<google::protobuf::Empty>("Shutdown", task::ShutdownRequest(), 30s);
  }
  if (!wait_gone(service, 30s)) {
    log::warn("sandbox service of {} did not exit: killing it", sandbox_id);
    (void)sys::kill_identified(service, /*whole_group=*/false, 10s);
  }
  ::unlink(socket.c_str());  // a killed service could not remove it
  runtime::SandboxOptions options;
  options.id = sandbox_id;
  if (Result<void> cleaned = runtime::cleanup_sandbox(options); !cleaned) {
    log::warn("clean up sandbox {}: {}", sandbox_id, cleaned.error().message());
  }
}

bool other_container_of(const GlobalOptions& g, const ContainerRecord& record) {
  for (const ContainerRecord& other : list_records(g.root)) {
    if (other.id != record.id && other.sandbox_id == record.sandbox_id) return true;
  }
  return false;
}

// Undoes a create that failed half way, in reverse order.
struct CreateUndo {
  std::string dir;
  std::string socket;
  std::string sandbox_id;
  sys::ProcessIdentity service;  // set when this create started it
  bool done = false;

  ~CreateUndo() {
    if (done) return;
    if (!service.empty()) end_service(socket, service, sandbox_id);
    (void)fs::remove_all(dir);
  }
};

// The sandbox the new container `record` belongs to: its own, whose service it
// starts (and `undo` ends on failure), or its pod's, whose service it joins.
Result<void> attach_sandbox(const GlobalOptions& g, const std::string& bundle,
                            const runtime::service::BundleInfo& info, ContainerRecord& record,
                            CreateUndo& undo) {
  if (info.kind == runtime::service::ContainerKind::kPodContainer) {
    record.sandbox_id = info.sandbox_id;
    KATA_ASSIGN_OR_RETURN(
        ContainerRecord sandbox,
        read_record(g.root, record.sandbox_id).context("sandbox " + record.sandbox_id));
    record.socket = sandbox.socket;
    record.service = sandbox.service;
    return {};
  }
  record.sandbox_id = record.id;
  record.socket = service_socket(g.root, record.id);
  KATA_ASSIGN_OR_RETURN(record.service, start_service(g, record.id, bundle));
  undo.socket = record.socket;
  undo.sandbox_id = record.id;
  undo.service = record.service;
  return {};
}

}  // namespace

Result<Created> create_container(const GlobalOptions& g, const CreateOptions& o) {
  if (Result<void> valid = validate_id(o.id); !valid) {
    return Error(Code::kInvalidArgument, "invalid container ID format: " + valid.error().message());
  }
  KATA_ASSIGN_OR_RETURN(std::string bundle, absolute(o.bundle));
  KATA_ASSIGN_OR_RETURN(BundleSpec spec, read_bundle_spec(bundle));
  KATA_TRY(check_stdio_options(spec.terminal, o.console_socket, o.detach, o.preserve_fds));
  KATA_TRY(fs::mkdir_all(g.root, 0711));
  CreateUndo undo;
  undo.dir = container_dir(g.root, o.id);
  if (::mkdir(undo.dir.c_str(), 0711) != 0) {
    undo.done = true;  // not ours to remove
    if (errno == EEXIST)
      return Error(Code::kAlreadyExists, "container with given ID already exists");
    return Error::from_errno(errno, "mkdir `" + undo.dir + "`");
  }
  ContainerRecord record;
  record.id = o.id;
  record.bundle = bundle;
  record.rootfs = spec.rootfs;
  record.annotations = spec.annotations;
  record.created = std::chrono::system_clock::now();
  KATA_TRY(attach_sandbox(g, bundle, spec.info, record, undo));
  KATA_ASSIGN_OR_RETURN(Relay relay,
                        launch_relay(g, RelayTarget{record.socket, o.id, "", o.console_socket}));
  KATA_ASSIGN_OR_RETURN(record.relay, sys::identify_process(relay.pid()));

  KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
  task::CreateTaskRequest req;
  req.set_id(o.id);
  req.set_bundle(bundle);
  relay.fill_stdio(req);
  KATA_TRY(client.call<task::CreateTaskResponse>("Create", req));
  Result<void> kept = write_record(g.root, record);
  if (kept && !o.pid_file.empty()) {
    kept = fs::write_file_atomic(o.pid_file, std::to_string(relay.pid()));
  }
  if (!kept) {
    task::DeleteRequest remove;
    remove.set_id(o.id);
    (void)client.call<task::DeleteResponse>("Delete", remove, 60s);
    return std::move(kept).error();
  }
  KATA_TRY(relay.go());
  undo.done = true;
  return Created{std::move(record), std::move(relay)};
}

Result<void> start_container(const ContainerRecord& record) {
  ContainerStatus status = query_status(record);
  if (status.status == kStopped) {
    return Error(Code::kFailedPrecondition, "cannot start a container that has stopped");
  }
  if (status.status != kCreated) {
    return Error(Code::kFailedPrecondition, "cannot start an already running container");
  }
  KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
  task::StartRequest req;
  req.set_id(record.id);
  KATA_TRY(client.call<task::StartResponse>("Start", req, 120s));
  return {};
}

Result<void> delete_container(const GlobalOptions& g, const ContainerRecord& record, bool force) {
  ContainerStatus status = query_status(record);
  bool last = !other_container_of(g, record);
  if (status.service_alive) {
    if (status.status == kRunning || status.status == kPaused) {
      if (!force) {
        return Error(Code::kFailedPrecondition, "cannot delete container " + record.id +
                                                    " that is not stopped: " + status.status);
      }
    }
    KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
    if (status.status == kPaused) {
      task::ResumeRequest resume;
      resume.set_id(record.id);
      (void)client.call<google::protobuf::Empty>("Resume", resume, 60s);
    }
    task::DeleteRequest req;
    req.set_id(record.id);
    // The service kills what still runs of the container, paused or not.
    Result<task::DeleteResponse> deleted = client.call<task::DeleteResponse>("Delete", req, 120s);
    if (!deleted && deleted.error().code() != Code::kNotFound) return std::move(deleted).error();
  }
  // The relay ends once its process is gone; one whose service died may not have yet.
  (void)sys::kill_identified(record.relay, /*whole_group=*/false, 10s);
  // The service ends with its sandbox's last container, whichever goes last.
  if (last) end_service(record.socket, record.service, record.sandbox_id);
  return fs::remove_all(container_dir(g.root, record.id));
}

}  // namespace kata::cli
