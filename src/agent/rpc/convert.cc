#include "agent/rpc/convert.h"

namespace kata::agent {

StorageSpec to_storage_spec(const grpc::Storage& s) {
  return StorageSpec{.driver = s.driver(),
                     .driver_options = {s.driver_options().begin(), s.driver_options().end()},
                     .source = s.source(),
                     .fstype = s.fstype(),
                     .options = {s.options().begin(), s.options().end()},
                     .mount_point = s.mount_point()};
}

SandboxSpec to_sandbox_spec(const grpc::CreateSandboxRequest& req) {
  SandboxSpec spec;
  spec.id = req.sandbox_id();
  spec.hostname = req.hostname();
  spec.dns.assign(req.dns().begin(), req.dns().end());
  for (const grpc::KernelModule& m : req.kernel_modules()) {
    spec.kernel_modules.push_back({m.name(), {m.parameters().begin(), m.parameters().end()}});
  }
  for (const grpc::Storage& s : req.storages()) spec.storages.push_back(to_storage_spec(s));
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
  agent->set_kernel_version(details.kernel_version);
  for (const std::string& d : StorageRegistry::builtin().drivers()) agent->add_storage_handlers(d);
  // No device handlers yet. The container engine loads OCI seccomp profiles
  // (container/seccomp.h).
  agent->set_supports_seccomp(true);
  return resp;
}

}  // namespace kata::agent
