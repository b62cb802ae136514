#pragma once

#include "agent.pb.h"
#include "agent/container/cgroup.h"
#include "agent/container/spec.h"
#include "agent/network/link_stats.h"
#include "common/result.h"

// Protocol <-> domain mapping for the container RPCs. What the engine cannot
// honour yet (user namespaces, namespaces to join by path, guest hooks,
// devices, container storages) is refused here with UNIMPLEMENTED rather than
// silently ignored.
namespace kata::agent {

Result<container::ContainerSpec> to_container_spec(const grpc::CreateContainerRequest& req);
container::ProcessSpec to_process_spec(const grpc::Process& process, const grpc::StringUser& user);
container::Resources to_resources(const grpc::LinuxResources& r);
// The cgroup stats (v1-shaped, as upstream) and one NetworkStats per interface.
grpc::StatsContainerResponse to_stats_response(const container::CgroupStats& stats,
                                               const std::vector<network::LinkStats>& links);

}  // namespace kata::agent
