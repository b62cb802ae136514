#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/container/spec.h"
#include "common/result.h"

// Capabilities by name, and their application through prctl/capset (no libcap).
namespace kata::agent::container {

// "CAP_CHOWN" -> 0; nullopt for a name this kernel ABI does not know.
std::optional<int> capability_number(std::string_view name);
// Names -> bit mask; INVALID_ARGUMENT names the unknown capability.
Result<uint64_t> capability_mask(const std::vector<std::string>& names);

// Before the uid change: drops from the bounding set what `caps.bounding`
// lacks and keeps the permitted set across setuid.
Result<void> prepare_capabilities(const Capabilities& caps);
// After the uid change: sets effective, permitted, inheritable and ambient.
Result<void> apply_capabilities(const Capabilities& caps);

}  // namespace kata::agent::container
