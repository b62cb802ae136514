#pragma once

#include <functional>
#include <vector>

#include "agent/container/engine.h"
#include "agent/network/link_stats.h"
#include "agent/storage/storage.h"
#include "ttrpc/server.h"

namespace kata::agent {

// The container RPCs of grpc.AgentService (CreateContainer, StartContainer,
// ExecProcess, WaitProcess, ReadStdout, ...), as thin adapters over the
// container engine. Blocking calls (WaitProcess, ReadStdout/ReadStderr,
// WriteStdin, GetOOMEvent) end with CANCELLED when the call's context is
// cancelled.
//
// StatsContainer adds the interface counters `read_links` gives to the
// container's cgroup stats; when it fails the answer carries the cgroup stats
// alone (and a warning is logged): stats are polled, and the next poll may do better.
//
// CreateContainer's storages (the pod's guest tmpfs volumes) are set up by `storages`
// before the container; without one, a request that carries storages is UNIMPLEMENTED.
using LinkStatsReader = std::function<Result<std::vector<network::LinkStats>>()>;
using ContainerStorages = std::function<Result<void>(const std::vector<StorageSpec>&)>;
void register_container_service(
    ttrpc::Server& server, container::Engine& engine, ContainerStorages storages = nullptr,
    LinkStatsReader read_links = [] { return network::read_link_stats(); });

}  // namespace kata::agent
