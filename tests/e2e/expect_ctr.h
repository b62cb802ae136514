#pragma once

// The suites' way to run ctr: a harness failure (ctr did not run, or timed out)
// is a failed expectation with containerd's log, and the test goes on with an
// empty result, whose exit code 0 and empty output its own checks then judge.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "e2e/containerd_env.h"

namespace kata::e2e {

inline CtrResult expect_ctr(const ContainerdEnv& env, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  Result<CtrResult> r = env.ctr(args, timeout);
  EXPECT_TRUE(r) << r.error().message() << "\ncontainerd log:\n" << env.log_tail();
  return r ? *r : CtrResult{};
}

}  // namespace kata::e2e
