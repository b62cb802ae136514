#pragma once

#include "shim/task_service.h"
#include "ttrpc/server.h"

namespace kata::shim {

inline constexpr char kTaskServiceName[] = "containerd.task.v2.Task";

// Registers containerd.task.v2.Task on `server`: each method a one-line
// adapter to `service`, whose errors carry containerd's gRPC codes already.
void register_task_service(ttrpc::Server& server, TaskService& service);

}  // namespace kata::shim
