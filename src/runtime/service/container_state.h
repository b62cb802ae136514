#pragma once

// What the sandbox service writes down about each container, in
// <run dir>/containers/<id>.json, atomically at each change (create, start,
// pause, resume, the init's exit) and removed at delete: so that a front door
// whose service is gone (the OCI CLI's `state`, a restarted shim) can still say
// what the container was. Layout: docs/sandbox-state.md.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace kata::runtime::service {

enum class ContainerStatus { kCreated, kRunning, kPaused, kStopped };

struct ContainerState {
  std::string id;
  std::string sandbox_id;
  std::string bundle;
  ContainerStatus status = ContainerStatus::kCreated;
  uint32_t pid = 0;          // the task pid (the VMM's)
  uint32_t exit_status = 0;  // of the init, once kStopped
  std::chrono::system_clock::time_point created_at{};
};

std::string container_state_path(const std::string& run_dir, const std::string& id);
std::string to_json(const ContainerState& state);
// INVALID_ARGUMENT naming the field for anything but what to_json writes.
Result<ContainerState> container_state_from_json(const std::string& text);

Result<void> write_container_state(const std::string& run_dir, const ContainerState& state);
// NOT_FOUND when the container has none (never created, or deleted).
Result<ContainerState> read_container_state(const std::string& run_dir, const std::string& id);
// Removing a state that is not there is not an error.
Result<void> remove_container_state(const std::string& run_dir, const std::string& id);

}  // namespace kata::runtime::service
