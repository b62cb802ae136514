#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace kata::runtime::service {

struct Container;

enum class EventKind {
  kCreated,
  kStarted,
  kExecAdded,
  kExecStarted,
  kExited,
  kDeleted,
  kOom,
  kPaused,
  kResumed,
};

// What happened to a container or one of its processes.
struct ServiceEvent {
  ServiceEvent(EventKind kind, std::string container_id, std::string exec_id = "")
      : kind(kind), container_id(std::move(container_id)), exec_id(std::move(exec_id)) {}

  EventKind kind;
  std::string container_id;
  std::string exec_id;       // an exec's events; empty for the init process
  uint32_t pid = 0;          // the task pid (the VMM's)
  uint32_t exit_status = 0;  // kExited, kDeleted
  std::chrono::system_clock::time_point exited_at{};  // kExited, kDeleted
  const Container* container = nullptr;  // kCreated: what was created, valid during the call
};

// Called in the order things happened, with the service's lock held: it must
// neither block nor call the service (the shim queues the event for containerd).
using EventListener = std::function<void(const ServiceEvent&)>;

}  // namespace kata::runtime::service
