#pragma once

// For tests: iproute2's `ip` and `tc` run inside a NetNs, to set a namespace up the way
// a CNI plugin would and to read back what the code under test did.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "resource/network/netns.h"
#include "sys/subprocess.h"

namespace kata::resource::network::testing {

// The command's stdout; its failure with stderr. Forked from the run_in thread, the
// child starts in `ns`.
inline Result<std::string> run_tool(const NetNs& ns, std::vector<std::string> argv) {
  return ns.run_in([&]() -> Result<std::string> {
    KATA_ASSIGN_OR_RETURN(sys::CapturedOutput out, sys::run_capture(sys::SpawnOptions{.argv = argv},
                                                                    std::chrono::seconds(30)));
    std::string cmd;
    for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    if (!out.status.success())
      return Error(Code::kInternal, "`" + cmd + "`: " + out.status.describe() + ": " + out.err);
    return out.out;
  });
}

// run_tool() whose failure fails the test; "" then.
inline std::string must(const NetNs& ns, std::vector<std::string> argv) {
  auto r = run_tool(ns, std::move(argv));
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : std::string();
}

}  // namespace kata::resource::network::testing

// run_tool() that ends the test on failure.
#define KATA_RUN_IN(ns, ...)                                                   \
  do {                                                                         \
    auto r_ = ::kata::resource::network::testing::run_tool(ns, {__VA_ARGS__}); \
    ASSERT_TRUE(r_) << r_.error().message();                                   \
  } while (0)
