#include "agent/rpc/convert.h"

namespace kata::agent {

SandboxSpec to_sandbox_spec(const grpc::CreateSandboxRequest& req) {
  SandboxSpec spec;
  spec.id = req.sandbox_id();
  spec.hostname = req.hostname();
  spec.dns.assign(req.dns().begin(), req.dns().end());
  for (const grpc::KernelModule& m : req.kernel_modules()) {
    spec.kernel_modules.push_back({m.name(), {m.parameters().begin(), m.parameters().end()}});
  }
  spec.storage_count = req.storages_size();
  return spec;
}

grpc::GuestDetailsResponse to_guest_details_response(const GuestDetails& details) {
  grpc::GuestDetailsResponse resp;
  resp.set_mem_block_size_bytes(details.mem_block_size_bytes);
  resp.set_support_mem_hotplug_probe(details.mem_hotplug_probe);
  grpc::AgentDetails* agent = resp.mutable_agent_details();
  agent->set_version(KATA_VERSION);
  agent->set_init_daemon(true);
  agent->set_kernel_release(details.kernel_release);
  // No storage or device handlers and no seccomp yet: the container engine
  // that brings them also announces them here.
  agent->set_supports_seccomp(false);
  return resp;
}

}  // namespace kata::agent
