// kata-agent: the guest's PID 1. Everything lives in agent.cc.
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "agent/agent.h"
#include "agent/container/init.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("kata-agent %s\n", KATA_VERSION);
    return 0;
  }
  // The container init: the agent re-execs itself as `kata-agent init` in a
  // container's new namespaces (it is PID 1 there too, or not at all for an
  // exec), so this comes before the PID 1 check.
  if (argc > 1 && std::strcmp(argv[1], "init") == 0) return kata::agent::container::init_main();
  // As PID 1 it mounts, loads modules and powers the machine off on a fatal
  // error: run by mistake on a host, it must touch nothing.
  if (::getpid() != 1) {
    std::fprintf(stderr, "kata-agent: refusing to run: not PID 1 (this is the guest VM's init)\n");
    return 2;
  }
  kata::agent::run();
}
