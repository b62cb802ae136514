#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "agent.pb.h"
#include "containerd/metrics.pb.h"
#include "containerd/metrics_v1.pb.h"

namespace kata::shim {

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point when);

// Which cgroups Metrics message the task's Stats answer carries.
//
// ctr (`ctr task metrics`) and the CRI plugin (ContainerStats) of containerd
// 1.6 decode both io.containerd.cgroups.v1.Metrics and .v2.Metrics by type
// URL. containerd's own task monitor (the `cgroups` plugin behind its
// Prometheus endpoint) does not: it picks a v1 or a v2 collector from the
// host's cgroup layout (v2 only when /sys/fs/cgroup itself is cgroup2, as
// cgroups.Mode() == Unified) and drops every other type with "invalid metric
// type". runc's shim answers by the same rule, and so does upstream Kata's
// since it learned v2 (containerd-shim-v2/metrics.go). So do we.
//
// Only v1 has interface counters (`repeated NetworkStat network = 7`); v2's
// Metrics has no network field in containerd 1.6's cgroups nor in cgroups v3's
// cgroup2/stats. On a v1 or hybrid host (this project's CI) the guest's
// interface counters therefore reach `ctr task metrics`; on a unified host
// they cannot be carried without breaking containerd's monitor, and are left out.
enum class MetricsType { kCgroupsV1, kCgroupsV2 };

// The type for a host whose /sys/fs/cgroup has filesystem magic `fs_type`
// (statfs f_type). Pure.
MetricsType metrics_type_for(int64_t fs_type);
// The type for this host: statfs of `cgroup_root`; v1 if that fails, as containerd does.
MetricsType host_metrics_type(const std::string& cgroup_root = "/sys/fs/cgroup");

// The agent's stats as the Metrics of `type`, packed with containerd's type URL.
google::protobuf::Any to_metrics(const grpc::StatsContainerResponse& stats, MetricsType type);

// The agent's cgroup stats as cgroups v1 Metrics: cpu (ns, as the agent sends
// it), memory usage/limit/swap and the v1 names of the guest's cgroup v2
// memory.stat keys (the total_* ones too: CRI computes the working set from
// total_inactive_file), pids, and one NetworkStat per guest interface.
io::containerd::cgroups::v1::Metrics to_metrics_v1(const grpc::StatsContainerResponse& stats);

// The agent's cgroup stats as cgroups v2 Metrics: cpu (ns → µs), memory
// usage/limit and the v2 stat keys, pids. No interface counters: v2 has no field for them.
io::containerd::cgroups::v2::Metrics to_metrics_v2(const grpc::StatsContainerResponse& stats);

}  // namespace kata::shim
