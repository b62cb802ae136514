// Calls that act on the whole container through the agent: Pause, Resume,
// Update, Stats, and Connect.
#include "containerd/events.pb.h"
#include "shim/convert.h"
#include "shim/task_service.h"

namespace kata::shim {

Result<std::shared_ptr<agent_client::Agent>> TaskService::container_agent(const std::string& id) {
  std::lock_guard lock(mu_);
  KATA_TRY(find_locked(id, ""));
  return agent_locked();
}

Result<Empty> TaskService::pause(const task::PauseRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(req.id()));
  KATA_TRY(agent->pause_container(req.id()).context("pause " + req.id()));
  std::lock_guard lock(mu_);
  auto it = containers_.find(req.id());
  if (it != containers_.end()) it->second.paused = true;  // unless deleted meanwhile
  containerd::events::TaskPaused event;
  event.set_container_id(req.id());
  deps_.events->publish(kTopicPaused, event);
  return Empty();
}

Result<Empty> TaskService::resume(const task::ResumeRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(req.id()));
  KATA_TRY(agent->resume_container(req.id()).context("resume " + req.id()));
  std::lock_guard lock(mu_);
  auto it = containers_.find(req.id());
  if (it != containers_.end()) it->second.paused = false;
  containerd::events::TaskResumed event;
  event.set_container_id(req.id());
  deps_.events->publish(kTopicResumed, event);
  return Empty();
}

Result<Empty> TaskService::update(const task::UpdateTaskRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(req.id()));
  // containerd marshals runtime-spec LinuxResources as JSON into the Any.
  KATA_ASSIGN_OR_RETURN(grpc::LinuxResources resources,
                        deps_.parsers.parse_resources(req.resources().value()));
  grpc::UpdateContainerRequest update;
  update.set_container_id(req.id());
  *update.mutable_resources() = std::move(resources);
  KATA_TRY(agent->update_container(update).context("update " + req.id()));
  return Empty();
}

Result<task::StatsResponse> TaskService::stats(const task::StatsRequest& req) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(req.id()));
  KATA_ASSIGN_OR_RETURN(grpc::StatsContainerResponse stats, agent->stats_container(req.id()));
  task::StatsResponse resp;
  *resp.mutable_stats() = to_any(to_metrics(stats));
  return resp;
}

Result<task::ConnectResponse> TaskService::connect(const task::ConnectRequest& req) {
  std::lock_guard lock(mu_);
  task::ConnectResponse resp;
  resp.set_shim_pid(static_cast<uint32_t>(deps_.shim_pid));
  resp.set_task_pid(vmm_pid_);
  resp.set_version(KATA_VERSION);
  return resp;
}

}  // namespace kata::shim
