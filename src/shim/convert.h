#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>

#include "agent.pb.h"
#include "containerd/metrics.pb.h"

namespace kata::shim {

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point when);

// The agent's cgroup stats as the cgroups v2 Metrics that `ctr task metrics`
// prints: cpu (ns → µs), memory usage/limit and the v2 stat keys, pids.
io::containerd::cgroups::v2::Metrics to_metrics(const grpc::StatsContainerResponse& stats);

}  // namespace kata::shim
