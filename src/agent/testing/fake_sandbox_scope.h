#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/sandbox.h"

namespace kata::agent::testing {

// A SandboxScope that records its calls, with a failure knob.
class FakeSandboxScope final : public SandboxScope {
 public:
  // Knob: open() fails with this.
  std::optional<Error> open_error;

  // Observations: (sandbox id, hostname) of each open, and the number of closes.
  std::vector<std::pair<std::string, std::string>> opened;
  int close_calls = 0;

  Result<void> open(const std::string& sandbox_id, const std::string& hostname) override {
    if (open_error) return *open_error;
    opened.emplace_back(sandbox_id, hostname);
    return {};
  }
  Result<void> close() override {
    ++close_calls;
    return {};
  }
};

}  // namespace kata::agent::testing
