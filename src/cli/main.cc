// kata-runtime: the OCI runtime command line (runc 1.1's contract, for podman,
// Docker, conmon and containerd's runc shim) plus Kata's own check, env and
// version. Flags are parsed by CLI11; each verb is an action in a verbs_*.cc.
#include <fcntl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/cli.h"
#include "cli/container_record.h"
#include "cli/verbs.h"
#include "common/log.h"

namespace kata::cli {
namespace {

// runc's exit code for a command it does not know.
constexpr int kUnknownCommand = 3;

void add_global_options(CLI::App& app, GlobalOptions& g) {
  g.root = kDefaultRoot;
  app.add_option("--root", g.root, "where containers' state is kept (a tmpfs)")
      ->capture_default_str();
  app.add_option("--log", g.log, "a file for the log (default: stderr)");
  app.add_option("--log-format", g.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup,
               "accepted: a slice:prefix:name cgroupsPath is not joined (docs/oci-cli.md)");
  app.add_option("--rootless", "accepted: true, false or auto; the VM is what isolates");
  app.add_option("--criu", "accepted: checkpoint is not implemented");
  app.add_option("--config,--kata-config", g.config_path, "Kata++'s configuration.toml");
}

// Kata's verbs keep their own argument handling: everything after the verb is theirs.
void add_kata_verbs(CLI::App& app, Verbs& verbs) {
  using Run = int (*)(const GlobalOptions&, const std::vector<std::string>&);
  struct KataVerb {
    const char* name;
    const char* alias;
    const char* description;
    Run run;
  };
  for (const KataVerb& v : {
           KataVerb{"check", "kata-check", "check the host, boot a VM and ask its agent",
                    run_check},
           KataVerb{"env", "kata-env", "print the resolved configuration (--json for JSON)",
                    run_env},
           KataVerb{"version", nullptr, "print the version", run_version},
       }) {
    auto sub = std::make_shared<CLI::App*>();
    Run run = v.run;
    *sub = verbs.add(app, v.name, v.description,
                     [&verbs, sub, run] { return run(verbs.globals, (*sub)->remaining()); });
    (*sub)->allow_extras();
    if (v.alias != nullptr) (*sub)->alias(v.alias);
  }
}

// runc's log goes to --log (appended), in --log-format.
void set_up_logging(const GlobalOptions& g) {
  log::set_component("kata-runtime");
  log::set_format(g.log_format == "json" ? log::Format::kJson : log::Format::kText);
  if (g.debug) log::set_level(log::Level::kDebug);
  if (!g.log.empty()) {
    int fd = ::open(g.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) log::set_fd(fd);  // kept open for the life of the process
  }
}

}  // namespace

int fail(const std::string& verb, const std::string& message) {
  std::fprintf(stderr, "kata-runtime %s: %s\n", verb.c_str(), message.c_str());
  return 1;
}

int report(const GlobalOptions& opts, const Error& error, int exit_code) {
  log::error("{}", error.message());
  if (!opts.log.empty()) std::fprintf(stderr, "%s\n", error.message().c_str());
  return exit_code;
}

}  // namespace kata::cli

int main(int argc, char** argv) {
  using namespace kata::cli;
  CLI::App app("kata-runtime: OCI containers, each in its own lightweight VM (Kata++)",
               "kata-runtime");
  app.require_subcommand(1);
  app.set_version_flag("-v,--version",
                       std::string("kata-runtime ") + KATA_VERSION + "\nspec: 1.0.2-dev");
  Verbs verbs;
  add_global_options(app, verbs.globals);
  add_lifecycle_verbs(app, verbs);
  add_inspect_verbs(app, verbs);
  add_events_verb(app, verbs);
  add_exec_verb(app, verbs);
  add_control_verbs(app, verbs);
  add_info_verbs(app, verbs);
  add_kata_verbs(app, verbs);
  add_hidden_verbs(app, verbs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    set_up_logging(verbs.globals);
    // A word where the verb goes that names none: runc's words and exit code.
    std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty() && rest.front()[0] != '-') {
      report(verbs.globals,
             kata::Error(kata::Code::kInvalidArgument, "No help topic for '" + rest.front() + "'"));
      return kUnknownCommand;
    }
    report(verbs.globals, kata::Error(kata::Code::kInvalidArgument, e.what()));
    return 1;
  }
  set_up_logging(verbs.globals);
  return verbs.actions.at(app.get_subcommands().front())();
}
