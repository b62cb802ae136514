#pragma once

#include <string>
#include <vector>

namespace kata::cli {

// Global options, accepted before the verb as runc accepts them.
struct GlobalOptions {
  std::string config_path;  // --config / --kata-config
  bool debug = false;       // --debug
};

// Each verb is one function in its own file; it returns the process exit code
// and prints its own errors as one line on stderr.
int run_check(const GlobalOptions& opts, const std::vector<std::string>& args);
int run_env(const GlobalOptions& opts, const std::vector<std::string>& args);
int run_version(const GlobalOptions& opts, const std::vector<std::string>& args);

// Prints "kata-runtime VERB: MESSAGE" on stderr; returns 1 for `return fail(...)`.
int fail(const std::string& verb, const std::string& message);

}  // namespace kata::cli
