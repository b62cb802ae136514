#include "shim/convert.h"

#include <google/protobuf/util/time_util.h>

namespace kata::shim {
namespace {

using Metrics = io::containerd::cgroups::v2::Metrics;

uint64_t stat(const grpc::MemoryStats& memory, const char* key) {
  auto it = memory.stats().find(key);
  return it == memory.stats().end() ? 0 : it->second;
}

void convert_memory(const grpc::MemoryStats& in, Metrics& out) {
  auto* memory = out.mutable_memory();
  memory->set_usage(in.usage().usage());
  memory->set_usage_limit(in.usage().limit());
  memory->set_swap_usage(in.swap_usage().usage());
  memory->set_swap_limit(in.swap_usage().limit());
  // cgroup v2's memory.stat keys, when the guest sent them.
  memory->set_anon(stat(in, "anon"));
  memory->set_file(stat(in, "file"));
  memory->set_kernel_stack(stat(in, "kernel_stack"));
  memory->set_slab(stat(in, "slab"));
  memory->set_sock(stat(in, "sock"));
  memory->set_shmem(stat(in, "shmem"));
  memory->set_file_mapped(stat(in, "file_mapped"));
  memory->set_file_dirty(stat(in, "file_dirty"));
  memory->set_inactive_anon(stat(in, "inactive_anon"));
  memory->set_active_anon(stat(in, "active_anon"));
  memory->set_inactive_file(stat(in, "inactive_file"));
  memory->set_active_file(stat(in, "active_file"));
  memory->set_unevictable(stat(in, "unevictable"));
  memory->set_pgfault(stat(in, "pgfault"));
  memory->set_pgmajfault(stat(in, "pgmajfault"));
}

}  // namespace

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point when) {
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(nanos);
}

Metrics to_metrics(const grpc::StatsContainerResponse& stats) {
  Metrics out;
  const grpc::CgroupStats& in = stats.cgroup_stats();
  auto* cpu = out.mutable_cpu();
  cpu->set_usage_usec(in.cpu_stats().cpu_usage().total_usage() / 1000);
  cpu->set_user_usec(in.cpu_stats().cpu_usage().usage_in_usermode() / 1000);
  cpu->set_system_usec(in.cpu_stats().cpu_usage().usage_in_kernelmode() / 1000);
  cpu->set_nr_periods(in.cpu_stats().throttling_data().periods());
  cpu->set_nr_throttled(in.cpu_stats().throttling_data().throttled_periods());
  cpu->set_throttled_usec(in.cpu_stats().throttling_data().throttled_time() / 1000);
  convert_memory(in.memory_stats(), out);
  out.mutable_pids()->set_current(in.pids_stats().current());
  out.mutable_pids()->set_limit(in.pids_stats().limit());
  return out;
}

}  // namespace kata::shim
