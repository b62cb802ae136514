#include "shim/task_handlers.h"

namespace kata::shim {
namespace {

template <typename Req, typename Resp>
void add(ttrpc::Server& server, const char* method, TaskService& service,
         Result<Resp> (TaskService::*fn)(const Req&)) {
  server.register_typed<Req, Resp>(
      kTaskServiceName, method,
      [&service, fn](const ttrpc::CallContext&, const Req& req) { return (service.*fn)(req); });
}

}  // namespace

void register_task_service(ttrpc::Server& server, TaskService& service) {
  add(server, "State", service, &TaskService::state);
  add(server, "Create", service, &TaskService::create);
  add(server, "Start", service, &TaskService::start);
  add(server, "Delete", service, &TaskService::remove);
  add(server, "Pids", service, &TaskService::pids);
  add(server, "Pause", service, &TaskService::pause);
  add(server, "Resume", service, &TaskService::resume);
  add(server, "Kill", service, &TaskService::kill);
  add(server, "Exec", service, &TaskService::exec);
  add(server, "ResizePty", service, &TaskService::resize_pty);
  add(server, "CloseIO", service, &TaskService::close_io);
  add(server, "Update", service, &TaskService::update);
  server.register_typed<task::WaitRequest, task::WaitResponse>(
      kTaskServiceName, "Wait",
      [&service](const ttrpc::CallContext& ctx, const task::WaitRequest& req) {
        return service.wait(req, [&ctx] { return ctx.cancelled(); });
      });
  add(server, "Stats", service, &TaskService::stats);
  add(server, "Connect", service, &TaskService::connect);
  add(server, "Shutdown", service, &TaskService::shutdown);
  server.register_typed<task::CheckpointTaskRequest, Empty>(
      kTaskServiceName, "Checkpoint",
      [](const ttrpc::CallContext&, const task::CheckpointTaskRequest& req) -> Result<Empty> {
        return Error(Code::kUnimplemented, "checkpoint " + req.id() + ": not implemented");
      });
}

}  // namespace kata::shim
