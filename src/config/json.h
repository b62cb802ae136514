#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace kata::config {

// The effective configuration for `kata-runtime env`, keyed like configuration.toml:
// {"hypervisor": {"qemu": {...}}, "agent": {"kata": {...}}, "runtime": {...}}.
nlohmann::json to_json(const Config& config);

}  // namespace kata::config
