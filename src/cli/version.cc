#include <cstdio>

#include "cli/cli.h"

namespace kata::cli {

int run_version(const GlobalOptions&, const std::vector<std::string>&) {
  std::printf("kata-runtime %s\n", KATA_VERSION);
  return 0;
}

}  // namespace kata::cli
