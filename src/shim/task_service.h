#pragma once

#include <google/protobuf/empty.pb.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "common/result.h"
#include "containerd/shim.pb.h"
#include "runtime/service/sandbox_service.h"
#include "shim/bundle.h"
#include "shim/convert.h"
#include "shim/events.h"

namespace kata::shim {

namespace task = containerd::task::v2;
using Empty = google::protobuf::Empty;
using runtime::service::SandboxFactory;

struct TaskServiceDeps {
  SandboxFactory start_sandbox;
  SpecParsers parsers;
  EventSink* events = nullptr;  // not owned; outlives the service
  pid_t shim_pid = 0;
  // containerd's namespace (-namespace): a binary:// logger's CONTAINER_NAMESPACE.
  std::string containerd_namespace;
  // Called once Shutdown was accepted (no container left): the daemon stops serving.
  std::function<void()> on_shutdown;
  std::string run_root = runtime::kDefaultRunRoot;  // the sandbox service's
  // The Metrics type Stats answers with: the host's, as containerd expects (convert.h).
  MetricsType metrics_type = host_metrics_type();
};

// containerd's task API (shim v2) over the sandbox service: each call converts
// containerd's request into the service's terms and the answer back, opens the
// stdio containerd names, and forwards the service's events as containerd's.
// The task pid is the VMM's. Thread safe: ttRPC runs each call on its own thread.
class TaskService {
 public:
  explicit TaskService(TaskServiceDeps deps);
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  Result<task::CreateTaskResponse> create(const task::CreateTaskRequest& req);
  Result<task::StartResponse> start(const task::StartRequest& req);
  Result<task::DeleteResponse> remove(const task::DeleteRequest& req);
  Result<Empty> exec(const task::ExecProcessRequest& req);
  Result<task::StateResponse> state(const task::StateRequest& req);
  // Blocks until the process exited. `cancelled` is asked now and then, so
  // that a caller who went away (containerd restarted) frees the thread.
  Result<task::WaitResponse> wait(const task::WaitRequest& req,
                                  const std::function<bool()>& cancelled = {});
  Result<Empty> kill(const task::KillRequest& req);
  Result<Empty> resize_pty(const task::ResizePtyRequest& req);
  Result<Empty> close_io(const task::CloseIORequest& req);
  Result<task::PidsResponse> pids(const task::PidsRequest& req);
  Result<Empty> pause(const task::PauseRequest& req);
  Result<Empty> resume(const task::ResumeRequest& req);
  Result<Empty> update(const task::UpdateTaskRequest& req);
  Result<task::StatsResponse> stats(const task::StatsRequest& req);
  Result<task::ConnectResponse> connect(const task::ConnectRequest& req);
  Result<Empty> shutdown(const task::ShutdownRequest& req);

  // How many containers are left (for tests and the daemon).
  size_t container_count() { return service_.container_count(); }

 private:
  void forward(const runtime::service::ServiceEvent& event);

  TaskServiceDeps deps_;
  // Last: destroyed first, it joins every thread that may still emit events.
  runtime::service::SandboxService service_;
};

}  // namespace kata::shim
