#include "shim/convert.h"

#include <google/protobuf/util/time_util.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "shim/events.h"

namespace kata::shim {
namespace {

namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

uint64_t stat(const grpc::MemoryStats& memory, const char* key) {
  auto it = memory.stats().find(key);
  return it == memory.stats().end() ? 0 : it->second;
}

void convert_memory(const grpc::MemoryStats& in, v2::Metrics& out) {
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

void set_entry(const grpc::MemoryData& in, v1::MemoryEntry* out) {
  out->set_limit(in.limit());
  out->set_usage(in.usage());
  out->set_max(in.max_usage());
  out->set_failcnt(in.failcnt());
}

// The guest is cgroup v2: its memory.stat keys under their v1 names, as
// cAdvisor maps them (rss is anon). v2 counts are hierarchical already, so the
// total_* fields, which CRI reads, equal the local ones.
struct V1StatKey {
  const char* v2_key;
  void (v1::MemoryStat::*set)(uint64_t);
  void (v1::MemoryStat::*set_total)(uint64_t);
};
constexpr V1StatKey kV1StatKeys[] = {
    {"anon", &v1::MemoryStat::set_rss, &v1::MemoryStat::set_total_rss},
    {"anon_thp", &v1::MemoryStat::set_rss_huge, &v1::MemoryStat::set_total_rss_huge},
    {"file_mapped", &v1::MemoryStat::set_mapped_file, &v1::MemoryStat::set_total_mapped_file},
    {"file_dirty", &v1::MemoryStat::set_dirty, &v1::MemoryStat::set_total_dirty},
    {"file_writeback", &v1::MemoryStat::set_writeback, &v1::MemoryStat::set_total_writeback},
    {"pgfault", &v1::MemoryStat::set_pg_fault, &v1::MemoryStat::set_total_pg_fault},
    {"pgmajfault", &v1::MemoryStat::set_pg_maj_fault, &v1::MemoryStat::set_total_pg_maj_fault},
    {"inactive_anon", &v1::MemoryStat::set_inactive_anon, &v1::MemoryStat::set_total_inactive_anon},
    {"active_anon", &v1::MemoryStat::set_active_anon, &v1::MemoryStat::set_total_active_anon},
    {"inactive_file", &v1::MemoryStat::set_inactive_file, &v1::MemoryStat::set_total_inactive_file},
    {"active_file", &v1::MemoryStat::set_active_file, &v1::MemoryStat::set_total_active_file},
    {"unevictable", &v1::MemoryStat::set_unevictable, &v1::MemoryStat::set_total_unevictable},
};

void convert_memory(const grpc::MemoryStats& in, v1::Metrics& out) {
  v1::MemoryStat* m = out.mutable_memory();
  set_entry(in.usage(), m->mutable_usage());
  set_entry(in.swap_usage(), m->mutable_swap());
  set_entry(in.kernel_usage(), m->mutable_kernel());
  m->set_cache(in.cache());
  m->set_total_cache(in.cache());
  for (const V1StatKey& k : kV1StatKeys) {
    uint64_t value = stat(in, k.v2_key);
    (m->*k.set)(value);
    (m->*k.set_total)(value);
  }
}

void convert_network(const grpc::StatsContainerResponse& in, v1::Metrics& out) {
  for (const grpc::NetworkStats& n : in.network_stats()) {
    v1::NetworkStat* s = out.add_network();
    s->set_name(n.name());
    s->set_rx_bytes(n.rx_bytes());
    s->set_rx_packets(n.rx_packets());
    s->set_rx_errors(n.rx_errors());
    s->set_rx_dropped(n.rx_dropped());
    s->set_tx_bytes(n.tx_bytes());
    s->set_tx_packets(n.tx_packets());
    s->set_tx_errors(n.tx_errors());
    s->set_tx_dropped(n.tx_dropped());
  }
}

}  // namespace

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point when) {
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(nanos);
}

MetricsType metrics_type_for(int64_t fs_type) {
  return fs_type == CGROUP2_SUPER_MAGIC ? MetricsType::kCgroupsV2 : MetricsType::kCgroupsV1;
}

MetricsType host_metrics_type(const std::string& cgroup_root) {
  struct statfs fs {};
  if (::statfs(cgroup_root.c_str(), &fs) != 0) return MetricsType::kCgroupsV1;
  return metrics_type_for(static_cast<int64_t>(fs.f_type));
}

google::protobuf::Any to_metrics(const grpc::StatsContainerResponse& stats, MetricsType type) {
  if (type == MetricsType::kCgroupsV2) return to_any(to_metrics_v2(stats));
  return to_any(to_metrics_v1(stats));
}

v1::Metrics to_metrics_v1(const grpc::StatsContainerResponse& stats) {
  v1::Metrics out;
  const grpc::CgroupStats& in = stats.cgroup_stats();
  const grpc::CpuUsage& usage = in.cpu_stats().cpu_usage();
  v1::CPUUsage* cpu = out.mutable_cpu()->mutable_usage();
  cpu->set_total(usage.total_usage());
  cpu->set_kernel(usage.usage_in_kernelmode());
  cpu->set_user(usage.usage_in_usermode());
  for (uint64_t per_cpu : usage.percpu_usage()) cpu->add_per_cpu(per_cpu);
  const grpc::ThrottlingData& throttling = in.cpu_stats().throttling_data();
  v1::Throttle* thr = out.mutable_cpu()->mutable_throttling();
  thr->set_periods(throttling.periods());
  thr->set_throttled_periods(throttling.throttled_periods());
  thr->set_throttled_time(throttling.throttled_time());
  convert_memory(in.memory_stats(), out);
  out.mutable_pids()->set_current(in.pids_stats().current());
  out.mutable_pids()->set_limit(in.pids_stats().limit());
  convert_network(stats, out);
  return out;
}

v2::Metrics to_metrics_v2(const grpc::StatsContainerResponse& stats) {
  v2::Metrics out;
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
