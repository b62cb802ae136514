#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/log.h"

namespace kata::cli {
namespace {

using Verb = int (*)(const GlobalOptions&, const std::vector<std::string>&);

// The OCI runtime verbs that container engines call; they come with the shim
// and sandbox service of later issues.
constexpr const char* kNotYet[] = {"create", "start",  "run",  "kill",  "delete",
                                   "state",  "exec",   "ps",   "pause", "resume",
                                   "update", "events", "list", "spec"};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: kata-runtime [--config FILE] [--debug] COMMAND [ARGS]\n"
               "\n"
               "commands:\n"
               "  check          check the host, boot a VM and ask its agent\n"
               "  env [--json]   print the resolved configuration (TOML, or JSON)\n"
               "  version        print the version\n");
}

}  // namespace

int fail(const std::string& verb, const std::string& message) {
  std::fprintf(stderr, "kata-runtime %s: %s\n", verb.c_str(), message.c_str());
  return 1;
}

}  // namespace kata::cli

int main(int argc, char** argv) {
  using namespace kata::cli;
  GlobalOptions opts;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "--kata-config") && i + 1 < argc) {
      opts.config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      opts.config_path = a.substr(9);
    } else if (a == "--debug") {
      opts.debug = true;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--version" || a == "-v") {
      return run_version(opts, {});
    } else {
      std::fprintf(stderr, "kata-runtime: unknown option `%s`\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  if (opts.debug) kata::log::set_level(kata::log::Level::kDebug);
  kata::log::set_component("kata-runtime");

  const std::map<std::string, Verb> verbs = {{"check", run_check},
                                             {"kata-check", run_check},
                                             {"env", run_env},
                                             {"kata-env", run_env},
                                             {"version", run_version}};
  std::string verb = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  if (auto it = verbs.find(verb); it != verbs.end()) return it->second(opts, args);
  for (const char* v : kNotYet) {
    if (verb == v)
      return fail(verb, "not implemented yet (containers come with the shim, see README)");
  }
  std::fprintf(stderr, "kata-runtime: unknown command `%s`\n", verb.c_str());
  usage(stderr);
  return 2;
}
