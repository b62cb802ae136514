// create, run, start, delete, kill.
#include <csignal>

#include "cli/container_ops.h"
#include "cli/create.h"
#include "cli/verbs.h"

namespace kata::cli {
namespace {

void add_create_options(CLI::App* sub, CreateOptions& o) {
  sub->add_option("-b,--bundle", o.bundle, "path to the root of the bundle directory");
  sub->add_option("--pid-file", o.pid_file, "file to write the process id to");
  sub->add_option("--console-socket", o.console_socket,
                  "unix socket to receive the pty master of a terminal");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass N additional descriptors (refused)");
  sub->add_flag("--no-pivot")->description("accepted: the rootfs is the guest's own");
  sub->add_flag("--no-new-keyring")->description("accepted: the keyring is the guest's own");
  sub->add_flag("--no-subreaper")->description("accepted");
  sub->add_option("--notify-socket", "accepted, unused");
  sub->add_option("id", o.id, "the container id")->required();
}

int run_foreground(const GlobalOptions& g, Created& created) {
  sigset_t all;
  sigfillset(&all);
  int code = created.relay.wait_forwarding_signals(all);
  // runc run removes the container once its process exited.
  if (Result<void> deleted = delete_container(g, created.record, true); !deleted) {
    report(g, deleted.error());
  }
  return code;
}

// create, and run (create + start, then wait unless -d).
void add_create_and_run(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;

  auto create = std::make_shared<CreateOptions>();
  add_create_options(verbs.add(app, "create", "create a container",
                               [&g, create] {
                                 Result<Created> created = create_container(g, *create);
                                 if (!created) return report(g, created.error());
                                 created->relay.release();
                                 return 0;
                               }),
                     *create);

  auto run = std::make_shared<CreateOptions>();
  CLI::App* run_cmd = verbs.add(app, "run", "create and run a container", [&g, run] {
    sigset_t all;
    sigfillset(&all);
    // Blocked before any thread starts, so that each waits for run_foreground.
    if (!run->detach) ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    Result<Created> created = create_container(g, *run);
    if (!created) return report(g, created.error());
    if (Result<void> started = start_container(created->record); !started) {
      report(g, started.error());
      (void)delete_container(g, created->record, true);
      return 1;
    }
    if (run->detach) {
      created->relay.release();
      return 0;
    }
    return run_foreground(g, *created);
  });
  add_create_options(run_cmd, *run);
  run->detach = false;
  run_cmd->add_flag("-d,--detach", run->detach, "detach from the container's process");
  run_cmd->add_flag("--keep")->description("accepted: the record is removed with the container");
}

// start and delete.
void add_start_and_delete(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;

  auto start_id = std::make_shared<std::string>();
  verbs
      .add(app, "start", "start a created container",
           [&g, start_id] {
             Result<ContainerRecord> record = find_container(g, *start_id);
             if (!record) return report(g, record.error());
             Result<void> started = start_container(*record);
             return started ? 0 : report(g, started.error());
           })
      ->add_option("id", *start_id, "the container id")
      ->required();

  struct DeleteArgs {
    std::vector<std::string> ids;
    bool force = false;
  };
  auto del = std::make_shared<DeleteArgs>();
  CLI::App* del_cmd = verbs.add(app, "delete", "delete a container and what it holds", [&g, del] {
    int code = 0;
    for (const std::string& id : del->ids) {
      Result<ContainerRecord> record = find_container(g, id);
      // runc --force: deleting what does not exist is no error.
      if (!record && del->force && record.error().code() == Code::kNotFound) continue;
      Result<void> deleted =
          record ? delete_container(g, *record, del->force) : Result<void>(record.error());
      if (!deleted) code = report(g, deleted.error());
    }
    return code;
  });
  del_cmd->add_flag("-f,--force", del->force, "kill the container first if it runs");
  del_cmd->add_option("id", del->ids, "the container ids")->required();
}

// kill.
void add_kill(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;

  struct KillArgs {
    std::string id;
    std::string signal = "SIGTERM";
    bool all = false;
  };
  auto kill = std::make_shared<KillArgs>();
  CLI::App* kill_cmd =
      verbs.add(app, "kill", "send a signal to the container's init process", [&g, kill] {
        Result<ContainerRecord> record = find_container(g, kill->id);
        if (!record) return report(g, record.error());
        Result<int> sig = parse_signal(kill->signal);
        if (!sig) return report(g, sig.error());
        ContainerStatus status = query_status(*record);
        if (status.status == kStopped) {
          return report(g, Error(Code::kFailedPrecondition, "container not running"));
        }
        Result<void> sent = send_signal(*record, *sig, kill->all);
        return sent ? 0 : report(g, sent.error());
      });
  kill_cmd->add_flag("-a,--all", kill->all, "signal every process of the container");
  kill_cmd->add_option("id", kill->id, "the container id")->required();
  kill_cmd->add_option("signal", kill->signal, "a signal name or number (default SIGTERM)");
}

}  // namespace

void add_lifecycle_verbs(CLI::App& app, Verbs& verbs) {
  add_create_and_run(app, verbs);
  add_start_and_delete(app, verbs);
  add_kill(app, verbs);
}

}  // namespace kata::cli
