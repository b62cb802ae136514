#include "shim/task_service.h"

#include "containerd/events.pb.h"
#include "shim/convert.h"
#include "shim/stdio_open.h"

namespace kata::shim {
namespace {

namespace events = containerd::events;
namespace service = runtime::service;
using containerd::v1::types::Status;

runtime::ContainerConfig container_config(const task::CreateTaskRequest& req) {
  runtime::ContainerConfig config;
  config.id = req.id();
  config.bundle = req.bundle();
  for (const auto& mount : req.rootfs()) {
    config.rootfs.push_back(runtime::RootfsMount{
        mount.type(), mount.source(), {mount.options().begin(), mount.options().end()}});
  }
  return config;
}

Status task_status(const service::ProcessState& state) {
  if (state.paused) return containerd::v1::types::PAUSED;
  switch (state.status) {
    case service::ProcessStatus::kCreated:
      return containerd::v1::types::CREATED;
    case service::ProcessStatus::kRunning:
      return containerd::v1::types::RUNNING;
    case service::ProcessStatus::kStopped:
      return containerd::v1::types::STOPPED;
  }
  return containerd::v1::types::UNKNOWN;
}

events::TaskCreate create_event(const service::ServiceEvent& event) {
  const service::Container& container = *event.container;
  events::TaskCreate out;
  out.set_container_id(event.container_id);
  out.set_bundle(container.config.bundle);
  for (const runtime::RootfsMount& m : container.config.rootfs) {
    containerd::types::Mount* mount = out.add_rootfs();
    mount->set_type(m.type);
    mount->set_source(m.source);
    for (const std::string& option : m.options) mount->add_options(option);
  }
  const service::StdioPaths& stdio = container.init->stdio;
  out.mutable_io()->set_stdin(stdio.stdin_path);
  out.mutable_io()->set_stdout(stdio.stdout_path);
  out.mutable_io()->set_stderr(stdio.stderr_path);
  out.mutable_io()->set_terminal(stdio.terminal);
  out.set_pid(event.pid);
  return out;
}

// A containerd task event other than TaskCreate: each field the message has,
// from the service's event. `id` is the exec id for an exec, else the container id.
template <typename Event>
Event task_event(const service::ServiceEvent& event) {
  Event out;
  out.set_container_id(event.container_id);
  if constexpr (requires { out.set_exec_id(""); }) out.set_exec_id(event.exec_id);
  if constexpr (requires { out.set_pid(0u); }) out.set_pid(event.pid);
  if constexpr (requires { out.set_exit_status(0u); }) {
    out.set_id(event.exec_id.empty() ? event.container_id : event.exec_id);
    out.set_exit_status(event.exit_status);
    *out.mutable_exited_at() = to_timestamp(event.exited_at);
  }
  return out;
}

}  // namespace

TaskService::TaskService(TaskServiceDeps deps)
    : deps_(std::move(deps)),
      service_(service::ServiceDeps{
          deps_.start_sandbox,
          [this](const service::ServiceEvent& event) { forward(event); },
          deps_.run_root,
      }) {}

// containerd's topics and messages for the service's events (runtime/v2/README.md).
void TaskService::forward(const service::ServiceEvent& event) {
  EventSink& sink = *deps_.events;
  using K = service::EventKind;
  switch (event.kind) {
    case K::kCreated:
      return sink.publish(kTopicCreate, create_event(event));
    case K::kStarted:
      return sink.publish(kTopicStart, task_event<events::TaskStart>(event));
    case K::kExecAdded:
      return sink.publish(kTopicExecAdded, task_event<events::TaskExecAdded>(event));
    case K::kExecStarted:
      return sink.publish(kTopicExecStarted, task_event<events::TaskExecStarted>(event));
    case K::kExited:
      return sink.publish(kTopicExit, task_event<events::TaskExit>(event));
    case K::kDeleted:
      return sink.publish(kTopicDelete, task_event<events::TaskDelete>(event));
    case K::kOom:
      return sink.publish(kTopicOom, task_event<events::TaskOOM>(event));
    case K::kPaused:
      return sink.publish(kTopicPaused, task_event<events::TaskPaused>(event));
    case K::kResumed:
      return sink.publish(kTopicResumed, task_event<events::TaskResumed>(event));
  }
}

Result<task::CreateTaskResponse> TaskService::create(const task::CreateTaskRequest& req) {
  // Checked before the stdio is opened: a duplicate must not start a logger.
  if (service_.has_container(req.id())) {
    return Error(Code::kAlreadyExists, "container " + req.id() + ": already exists");
  }
  if (!req.checkpoint().empty()) {
    return Error(Code::kUnimplemented, "create " + req.id() + " from a checkpoint");
  }
  StdioPaths stdio{req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  KATA_ASSIGN_OR_RETURN(StdioFiles files, open_stdio(stdio, req.id(), deps_.containerd_namespace));
  KATA_ASSIGN_OR_RETURN(uint32_t pid,
                        service_.create(container_config(req), stdio, std::move(files)));
  task::CreateTaskResponse resp;
  resp.set_pid(pid);
  return resp;
}

Result<task::StartResponse> TaskService::start(const task::StartRequest& req) {
  KATA_ASSIGN_OR_RETURN(uint32_t pid, service_.start(req.id(), req.exec_id()));
  task::StartResponse resp;
  resp.set_pid(pid);
  return resp;
}

Result<task::DeleteResponse> TaskService::remove(const task::DeleteRequest& req) {
  KATA_ASSIGN_OR_RETURN(service::ExitInfo exit, service_.remove(req.id(), req.exec_id()));
  task::DeleteResponse resp;
  resp.set_pid(exit.pid);
  resp.set_exit_status(exit.exit_status);
  *resp.mutable_exited_at() = to_timestamp(exit.exited_at);
  return resp;
}

Result<Empty> TaskService::exec(const task::ExecProcessRequest& req) {
  if (req.exec_id().empty()) return Error(Code::kInvalidArgument, "exec: empty exec id");
  if (!service_.has_container(req.id())) {
    return Error(Code::kNotFound, "container " + req.id() + ": not found");
  }
  KATA_ASSIGN_OR_RETURN(grpc::Process spec, deps_.parsers.parse_process(req.spec().value()));
  StdioPaths stdio{req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  KATA_ASSIGN_OR_RETURN(StdioFiles files,
                        open_stdio(stdio, req.exec_id(), deps_.containerd_namespace));
  KATA_TRY(service_.exec(req.id(), req.exec_id(), std::move(spec), stdio, std::move(files)));
  return Empty();
}

Result<task::StateResponse> TaskService::state(const task::StateRequest& req) {
  KATA_ASSIGN_OR_RETURN(service::ProcessState state, service_.state(req.id(), req.exec_id()));
  task::StateResponse resp;
  resp.set_id(req.exec_id().empty() ? req.id() : req.exec_id());  // as runc's shim
  resp.set_exec_id(req.exec_id());
  resp.set_bundle(state.bundle);
  resp.set_pid(state.pid);
  resp.set_status(task_status(state));
  resp.set_stdin(state.stdio.stdin_path);
  resp.set_stdout(state.stdio.stdout_path);
  resp.set_stderr(state.stdio.stderr_path);
  resp.set_terminal(state.stdio.terminal);
  resp.set_exit_status(state.exit_status);
  if (state.status == service::ProcessStatus::kStopped) {
    *resp.mutable_exited_at() = to_timestamp(state.exited_at);
  }
  return resp;
}

Result<task::WaitResponse> TaskService::wait(const task::WaitRequest& req,
                                             const std::function<bool()>& cancelled) {
  KATA_ASSIGN_OR_RETURN(service::ExitInfo exit, service_.wait(req.id(), req.exec_id(), cancelled));
  task::WaitResponse resp;
  resp.set_exit_status(exit.exit_status);
  *resp.mutable_exited_at() = to_timestamp(exit.exited_at);
  return resp;
}

Result<Empty> TaskService::kill(const task::KillRequest& req) {
  KATA_TRY(service_.kill(req.id(), req.exec_id(), req.signal(), req.all()));
  return Empty();
}

Result<Empty> TaskService::resize_pty(const task::ResizePtyRequest& req) {
  KATA_TRY(service_.resize_pty(req.id(), req.exec_id(), req.height(), req.width()));
  return Empty();
}

Result<Empty> TaskService::close_io(const task::CloseIORequest& req) {
  if (!req.stdin()) {
    KATA_TRY(service_.state(req.id(), req.exec_id()));  // still NOT_FOUND for an unknown one
    return Empty();
  }
  KATA_TRY(service_.close_stdin(req.id(), req.exec_id()));
  return Empty();
}

Result<task::PidsResponse> TaskService::pids(const task::PidsRequest& req) {
  KATA_ASSIGN_OR_RETURN(service::ProcessState state, service_.state(req.id(), ""));
  task::PidsResponse resp;
  resp.add_processes()->set_pid(state.pid);  // guest pids are not visible here
  return resp;
}

Result<Empty> TaskService::pause(const task::PauseRequest& req) {
  KATA_TRY(service_.pause(req.id()));
  return Empty();
}

Result<Empty> TaskService::resume(const task::ResumeRequest& req) {
  KATA_TRY(service_.resume(req.id()));
  return Empty();
}

Result<Empty> TaskService::update(const task::UpdateTaskRequest& req) {
  if (!service_.has_container(req.id())) {
    return Error(Code::kNotFound, "container " + req.id() + ": not found");
  }
  // containerd marshals runtime-spec LinuxResources as JSON into the Any.
  KATA_ASSIGN_OR_RETURN(grpc::LinuxResources resources,
                        deps_.parsers.parse_resources(req.resources().value()));
  KATA_TRY(service_.update(req.id(), resources));
  return Empty();
}

Result<task::StatsResponse> TaskService::stats(const task::StatsRequest& req) {
  KATA_ASSIGN_OR_RETURN(grpc::StatsContainerResponse stats, service_.stats(req.id()));
  task::StatsResponse resp;
  *resp.mutable_stats() = to_metrics(stats, deps_.metrics_type);
  return resp;
}

Result<task::ConnectResponse> TaskService::connect(const task::ConnectRequest&) {
  task::ConnectResponse resp;
  resp.set_shim_pid(static_cast<uint32_t>(deps_.shim_pid));
  resp.set_task_pid(service_.task_pid());
  resp.set_version(KATA_VERSION);
  return resp;
}

// Kata's rule: a shim with containers stays, whatever `now` says.
Result<Empty> TaskService::shutdown(const task::ShutdownRequest&) {
  if (service_.shutdown() && deps_.on_shutdown) deps_.on_shutdown();
  return Empty();
}

}  // namespace kata::shim
