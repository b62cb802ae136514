#pragma once

// What bench/boot and bench/start share: the bare-QEMU baseline boot and the median.

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

}  // namespace kata::bench
