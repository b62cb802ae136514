#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace kata::cli {

// Global options, before the verb, as runc takes them.
struct GlobalOptions {
  std::string config_path;          // --config / --kata-config
  bool debug = false;               // --debug
  std::string root;                 // --root: where containers' records live (container_record.h)
  std::string log;                  // --log: a file for our log lines ("" = stderr)
  std::string log_format = "text";  // --log-format: runc's text or json
  bool systemd_cgroup = false;      // --systemd-cgroup: accepted, see docs/oci-cli.md
};

// Kata's own verbs: each returns the process exit code and prints its own
// errors as one line on stderr.
int run_check(const GlobalOptions& opts, const std::vector<std::string>& args);
int run_env(const GlobalOptions& opts, const std::vector<std::string>& args);
int run_version(const GlobalOptions& opts, const std::vector<std::string>& args);

// Prints "kata-runtime VERB: MESSAGE" on stderr; returns 1 for `return fail(...)`.
int fail(const std::string& verb, const std::string& message);

// The OCI verbs report errors as runc does: the message as a log line at
// level error (in --log's file and format, else on stderr as logrus text),
// and, when --log names a file, the bare message on stderr too. Returns
// `exit_code` (runc's: 1, and 255 for exec).
int report(const GlobalOptions& opts, const Error& error, int exit_code = 1);

}  // namespace kata::cli
