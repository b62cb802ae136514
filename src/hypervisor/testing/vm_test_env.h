#pragma once

// Helpers for tests labelled `vm`, which boot real QEMU.
#include <string>
#include <vector>

namespace kata::hypervisor::testing {

// The guest kernel for VM tests: $KATA_TEST_KERNEL, else the build's KATA_TEST_KERNEL,
// else the installed default; "" when none exists (the test should skip).
std::string test_kernel(const char* build_default);

// Pids of live processes whose command line mentions `needle` (e.g. a test's temp dir):
// what a VM test checks is empty at its end.
std::vector<int> processes_mentioning(const std::string& needle);

}  // namespace kata::hypervisor::testing
