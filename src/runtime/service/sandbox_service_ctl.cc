// Calls that act on the whole container through the agent: Pause, Resume,
// Update and Stats.
#include "runtime/service/sandbox_service.h"

namespace kata::runtime::service {

Result<std::shared_ptr<agent_client::Agent>> SandboxService::container_agent(
    const std::string& id) {
  std::lock_guard lock(mu_);
  KATA_TRY(find_locked(id, ""));
  return agent_locked();
}

Result<void> SandboxService::pause(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(id));
  KATA_TRY(agent->pause_container(id).context("pause " + id));
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return {};  // deleted meanwhile
  it->second.paused = true;
  persist_locked(it->second);
  emit_locked(ServiceEvent(EventKind::kPaused, id));
  return {};
}

Result<void> SandboxService::resume(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(id));
  KATA_TRY(agent->resume_container(id).context("resume " + id));
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return {};
  it->second.paused = false;
  persist_locked(it->second);
  emit_locked(ServiceEvent(EventKind::kResumed, id));
  return {};
}

Result<void> SandboxService::update(const std::string& id, const grpc::LinuxResources& resources) {
  // With Create and Delete: each changes the sandbox's host limits (runtime/host_limits.h).
  std::lock_guard lifecycle(lifecycle_mu_);
  KATA_TRY(container_agent(id));  // the container exists and its VM runs
  return sandbox_->update_container(id, resources).context("update " + id);
}

Result<grpc::StatsContainerResponse> SandboxService::stats(const std::string& id) {
  KATA_ASSIGN_OR_RETURN(std::shared_ptr<agent_client::Agent> agent, container_agent(id));
  return agent->stats_container(id);
}

}  // namespace kata::runtime::service
