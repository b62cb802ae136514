#pragma once

// What bench/boot and bench/start share: their arguments, the bare-QEMU baseline boot
// and the median.

#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kata::bench {

// Seconds from spawning QEMU to its exit, booting `kernel` with `baseline_initrd` (whose
// init powers off at once) on the machine, memory and devices of `c`, under TCG.
// `run_dir` is removed afterwards.
Result<double> bare_boot(const config::Config& c, const std::string& kernel,
                         const std::string& baseline_initrd, const std::string& run_dir);

double median(std::vector<double> v);

// `--runs N --kernel K --initrd I --baseline-initrd B --machine M`, as pairs in any order;
// unknown flags are ignored. Each bench checks the ones it needs.
struct Args {
  int runs = 5;
  std::string kernel, initrd, baseline_initrd, machine = "microvm";
};
Args parse_args(int argc, char** argv);

}  // namespace kata::bench
