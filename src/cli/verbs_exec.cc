// exec: a new process in a running container, with a relay of its own.
#include <csignal>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/container_ops.h"
#include "cli/relay.h"
#include "cli/verbs.h"
#include "common/fs.h"

namespace kata::cli {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct ExecArgs {
  std::string process_file;
  bool tty = false;
  bool detach = false;
  std::string console_socket;
  std::string pid_file;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;
  std::vector<std::string> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  std::string apparmor;
  std::string process_label;
  int preserve_fds = 0;
  bool ignore_paused = false;
  std::vector<std::string> command;  // ID, then the command
};

Result<json> read_json(const std::string& path, const std::string& what) {
  KATA_ASSIGN_OR_RETURN(std::string text, read_file_or_stdin(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(Code::kInvalidArgument, "parse " + what + " `" + path + "`: not a JSON object");
  }
  return j;
}

Result<uint32_t> parse_number(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 10) {
    return Error(Code::kInvalidArgument, "parsing " + what + " \"" + text + "\": invalid syntax");
  }
  return static_cast<uint32_t>(std::stoul(text));
}

// The exec's OCI process: --process as given, else the container's own process
// with the command and the flags applied, as runc builds it.
Result<json> exec_process(const ContainerRecord& record, const ExecArgs& a) {
  if (!a.process_file.empty()) {
    KATA_ASSIGN_OR_RETURN(json p, read_json(a.process_file, "process"));
    if (a.tty) p["terminal"] = true;
    return p;
  }
  if (a.command.size() < 2) {
    return Error(Code::kInvalidArgument, "exec: no command given (ID COMMAND [ARGS] or --process)");
  }
  KATA_ASSIGN_OR_RETURN(json spec, read_json(record.bundle + "/config.json", "spec"));
  json p = spec.value("process", json::object());
  p["args"] = std::vector<std::string>(a.command.begin() + 1, a.command.end());
  p["terminal"] = a.tty;
  if (!a.cwd.empty()) p["cwd"] = a.cwd;
  for (const std::string& e : a.env) p["env"].push_back(e);
  if (!a.user.empty()) {
    size_t colon = a.user.find(':');
    KATA_ASSIGN_OR_RETURN(uint32_t uid, parse_number(a.user.substr(0, colon), "uid"));
    p["user"]["uid"] = uid;
    if (colon != std::string::npos) {
      KATA_ASSIGN_OR_RETURN(uint32_t gid, parse_number(a.user.substr(colon + 1), "gid"));
      p["user"]["gid"] = gid;
    }
  }
  for (const std::string& g : a.additional_gids) {
    KATA_ASSIGN_OR_RETURN(uint32_t gid, parse_number(g, "additional gid"));
    p["user"]["additionalGids"].push_back(gid);
  }
  for (const std::string& cap : a.caps) {
    for (const char* set : {"bounding", "effective", "permitted"}) {
      p["capabilities"][set].push_back(cap);
    }
  }
  if (a.no_new_privs) p["noNewPrivileges"] = true;
  if (!a.apparmor.empty()) p["apparmorProfile"] = a.apparmor;
  if (!a.process_label.empty()) p["selinuxLabel"] = a.process_label;
  return p;
}

std::string new_exec_id() {
  std::random_device random;
  char id[20];
  std::snprintf(id, sizeof id, "exec-%08x%04x", random(), random() & 0xffff);
  return id;
}

// The container to exec in and the process to run there, once both are fit.
Result<std::pair<ContainerRecord, json>> exec_target(const GlobalOptions& g, const ExecArgs& a) {
  if (a.command.empty()) return Error(Code::kInvalidArgument, "exec requires at least 1 argument");
  KATA_ASSIGN_OR_RETURN(ContainerRecord record, find_container(g, a.command[0]));
  ContainerStatus status = query_status(record);
  if (status.status == kStopped) {
    return Error(Code::kFailedPrecondition, "cannot exec in a stopped container");
  }
  if (status.status == kPaused && !a.ignore_paused) {
    return Error(Code::kFailedPrecondition, "cannot exec in a paused container");
  }
  KATA_ASSIGN_OR_RETURN(json process, exec_process(record, a));
  KATA_TRY(check_stdio_options(process.value("terminal", false), a.console_socket, a.detach,
                               a.preserve_fds));
  return std::make_pair(std::move(record), std::move(process));
}

// The process's exit code (foreground), or 0 once it started (-d).
Result<int> exec(const GlobalOptions& g, const ExecArgs& a) {
  KATA_ASSIGN_OR_RETURN(auto target, exec_target(g, a));
  const ContainerRecord& record = target.first;
  sigset_t all;
  sigfillset(&all);
  if (!a.detach) ::pthread_sigmask(SIG_BLOCK, &all, nullptr);  // before any thread starts
  std::string exec_id = new_exec_id();
  KATA_ASSIGN_OR_RETURN(Relay relay, launch_relay(g, RelayTarget{record.socket, record.id, exec_id,
                                                                 a.console_socket}));
  KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
  task::ExecProcessRequest req;
  req.set_id(record.id);
  req.set_exec_id(exec_id);
  relay.fill_stdio(req);
  req.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  req.mutable_spec()->set_value(target.second.dump());
  KATA_TRY(client.call<google::protobuf::Empty>("Exec", req, 60s));
  task::StartRequest start;
  start.set_id(record.id);
  start.set_exec_id(exec_id);
  Result<task::StartResponse> started = client.call<task::StartResponse>("Start", start, 120s);
  Result<void> kept = started ? Result<void>() : Result<void>(started.error());
  if (kept && !a.pid_file.empty()) {
    kept = fs::write_file_atomic(a.pid_file, std::to_string(relay.pid()));
  }
  if (!kept) {
    task::DeleteRequest remove;
    remove.set_id(record.id);
    remove.set_exec_id(exec_id);
    (void)client.call<task::DeleteResponse>("Delete", remove, 60s);
    return std::move(kept).error();
  }
  KATA_TRY(relay.go());
  if (a.detach) {
    relay.release();
    return 0;
  }
  return relay.wait_forwarding_signals(all);
}

}  // namespace

void add_exec_verb(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;
  auto a = std::make_shared<ExecArgs>();
  auto cmd = std::make_shared<CLI::App*>();
  *cmd =
      verbs.add(app, "exec", "run a new process in a container: ID COMMAND [ARGS]", [&g, a, cmd] {
        a->command = (*cmd)->remaining();
        Result<int> code = exec(g, *a);
        // runc's words and exit code for an exec that could not run.
        return code ? *code : report(g, std::move(code).error().context("exec failed"), 255);
      });
  CLI::App* c = *cmd;
  c->add_option("-p,--process", a->process_file, "the process's JSON (runtime-spec Process)");
  c->add_flag("-t,--tty", a->tty, "allocate a pseudo-TTY");
  c->add_flag("-d,--detach", a->detach, "detach from the process");
  c->add_option("--console-socket", a->console_socket, "unix socket for the pty master");
  c->add_option("--pid-file", a->pid_file, "file to write the process id to");
  c->add_option("--cwd", a->cwd, "working directory in the container");
  c->add_option("-e,--env", a->env, "KEY=VALUE to add to the environment");
  c->add_option("-u,--user", a->user, "UID[:GID]");
  c->add_option("-g,--additional-gids", a->additional_gids, "supplementary group ids");
  c->add_option("-c,--cap", a->caps, "a capability to add");
  c->add_flag("--no-new-privs", a->no_new_privs, "set no_new_privs");
  c->add_option("--apparmor", a->apparmor, "the AppArmor profile");
  c->add_option("--process-label", a->process_label, "the SELinux label");
  c->add_option("--preserve-fds", a->preserve_fds, "pass N additional descriptors (refused)");
  c->add_flag("--ignore-paused", a->ignore_paused, "exec even in a paused container");
  c->add_option("--cgroup", "accepted: the process joins the container's cgroup in the guest");
  c->prefix_command();
}

}  // namespace kata::cli
