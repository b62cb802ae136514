#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::shim {

// The command line containerd gives a shim (runtime/v2/shim/shim.go's flags),
// parsed the way Go's `flag` package does: `-name value`, `-name=value`,
// `--name value`; booleans take no separate value; the first non-flag word
// is the verb and parsing stops there.
struct ShimFlags {
  std::string namespace_;
  std::string address;         // containerd's gRPC socket
  std::string publish_binary;  // `containerd`, for `publish` (we forward over ttRPC instead)
  std::string id;
  std::string bundle;  // `delete` gets it; otherwise the cwd is the bundle
  std::string socket;  // accepted for compatibility, unused
  bool debug = false;
  bool version = false;
  std::string verb;               // "", "start" or "delete"
  std::vector<std::string> rest;  // words after the verb
};

// INVALID_ARGUMENT for an unknown flag, a missing value or a bad boolean. Unlike Go, a
// flag-looking word after a flag that takes a value (`-id -debug`) is not taken as its value.
Result<ShimFlags> parse_flags(const std::vector<std::string>& args);

// common/id.h's validate_id, and not starting with '-': checked for every verb before anything
// is done with the id.
Status validate_shim_id(std::string_view id);

}  // namespace kata::shim
