// containerd-shim-kata-v2: containerd's runtime v2 shim for Kata++.
#include <cstdio>
#include <string>
#include <vector>

#include "shim/flags.h"
#include "shim/verbs.h"

namespace {

constexpr int kUsageError = 2;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "containerd-shim-kata-v2: %s\n", message.c_str());
  std::fprintf(stderr,
               "usage: containerd-shim-kata-v2 -namespace NS -address ADDR -publish-binary BIN "
               "-id ID [-bundle DIR] [-debug] [start|delete]\n");
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kata::shim;
  kata::Result<ShimFlags> flags = parse_flags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags) return usage_error(flags.error().message());
  if (flags->version) {
    std::printf("containerd-shim-kata-v2:\n  Version: %s\n  Runtime: Kata++\n", KATA_VERSION);
    return 0;
  }
  if (flags->verb != "start" && flags->verb != "delete" && !flags->verb.empty()) {
    return usage_error("unknown command `" + flags->verb + "`");
  }
  if (flags->namespace_.empty()) return usage_error("shim namespace cannot be empty (-namespace)");
  if (flags->id.empty()) return usage_error("shim id cannot be empty (-id)");
  // Before any verb acts: the id names a VM, sockets and directories to create or remove.
  if (kata::Status id = validate_shim_id(flags->id); !id) return usage_error(id.error().message());
  if (flags->verb == "start") return run_start(*flags);
  if (flags->verb == "delete") return run_delete(*flags);
  return run_daemon(*flags);
}
