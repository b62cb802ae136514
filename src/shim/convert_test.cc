#include "shim/convert.h"

#include <gtest/gtest.h>
#include <linux/magic.h>

#include "common/testing/temp_dir.h"

namespace kata::shim {
namespace {

namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

// What the agent answers for a container that used 5 ms of CPU, 1 KiB of its
// 2 KiB limit, runs 3 tasks and sees two interfaces.
grpc::StatsContainerResponse agent_stats() {
  grpc::StatsContainerResponse r;
  grpc::CgroupStats* cg = r.mutable_cgroup_stats();
  grpc::CpuUsage* cpu = cg->mutable_cpu_stats()->mutable_cpu_usage();
  cpu->set_total_usage(5'000'000);
  cpu->set_usage_in_usermode(3'000'000);
  cpu->set_usage_in_kernelmode(2'000'000);
  cpu->add_percpu_usage(4'000'000);
  cpu->add_percpu_usage(1'000'000);
  cg->mutable_cpu_stats()->mutable_throttling_data()->set_periods(9);
  cg->mutable_cpu_stats()->mutable_throttling_data()->set_throttled_time(7'000);
  grpc::MemoryStats* mem = cg->mutable_memory_stats();
  mem->mutable_usage()->set_usage(1024);
  mem->mutable_usage()->set_limit(2048);
  mem->mutable_usage()->set_failcnt(1);
  mem->set_cache(300);
  (*mem->mutable_stats())["anon"] = 600;
  (*mem->mutable_stats())["inactive_file"] = 200;
  (*mem->mutable_stats())["pgfault"] = 40;
  (*mem->mutable_stats())["pgmajfault"] = 2;
  cg->mutable_pids_stats()->set_current(3);
  cg->mutable_pids_stats()->set_limit(100);
  grpc::NetworkStats* eth0 = r.add_network_stats();
  eth0->set_name("eth0");
  eth0->set_rx_bytes(1500);
  eth0->set_rx_packets(10);
  eth0->set_rx_errors(1);
  eth0->set_rx_dropped(2);
  eth0->set_tx_bytes(900);
  eth0->set_tx_packets(8);
  eth0->set_tx_errors(3);
  eth0->set_tx_dropped(4);
  r.add_network_stats()->set_name("eth1");
  return r;
}

TEST(MetricsType, FollowsTheHostCgroupLayoutAsContainerdDoes) {
  EXPECT_EQ(metrics_type_for(CGROUP2_SUPER_MAGIC), MetricsType::kCgroupsV2) << "unified";
  EXPECT_EQ(metrics_type_for(TMPFS_MAGIC), MetricsType::kCgroupsV1) << "v1 or hybrid";
  EXPECT_EQ(metrics_type_for(CGROUP_SUPER_MAGIC), MetricsType::kCgroupsV1);
  kata::testing::TempDir dir;
  EXPECT_EQ(host_metrics_type(dir.path()), MetricsType::kCgroupsV1) << "not a cgroup2 mount";
  EXPECT_EQ(host_metrics_type(dir.path() + "/missing"), MetricsType::kCgroupsV1)
      << "containerd's Mode() is not Unified when statfs fails";
}

// The wire is what containerd decodes: field numbers from containerd/cgroups
// stats/v1/metrics.proto.
TEST(MetricsV1, FieldNumbersAreContainerds) {
  const google::protobuf::Descriptor* m = v1::Metrics::descriptor();
  EXPECT_EQ(m->full_name(), "io.containerd.cgroups.v1.Metrics");
  EXPECT_EQ(m->FindFieldByName("pids")->number(), 2);
  EXPECT_EQ(m->FindFieldByName("cpu")->number(), 3);
  EXPECT_EQ(m->FindFieldByName("memory")->number(), 4);
  EXPECT_EQ(m->FindFieldByName("network")->number(), 7);
  EXPECT_TRUE(m->FindFieldByName("network")->is_repeated());
  const google::protobuf::Descriptor* n = v1::NetworkStat::descriptor();
  const char* names[] = {"name",     "rx_bytes",   "rx_packets", "rx_errors", "rx_dropped",
                         "tx_bytes", "tx_packets", "tx_errors",  "tx_dropped"};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(n->FindFieldByName(names[i])->number(), i + 1) << names[i];
  const google::protobuf::Descriptor* mem = v1::MemoryStat::descriptor();
  EXPECT_EQ(mem->FindFieldByName("total_rss")->number(), 19);
  EXPECT_EQ(mem->FindFieldByName("total_inactive_file")->number(), 30);
  EXPECT_EQ(mem->FindFieldByName("usage")->number(), 33);
}

TEST(MetricsV1, CarriesCpuMemoryPidsAndEveryInterface) {
  v1::Metrics m = to_metrics_v1(agent_stats());
  EXPECT_EQ(m.cpu().usage().total(), 5'000'000u) << "v1 counts nanoseconds, as the agent";
  EXPECT_EQ(m.cpu().usage().user(), 3'000'000u);
  EXPECT_EQ(m.cpu().usage().kernel(), 2'000'000u);
  ASSERT_EQ(m.cpu().usage().per_cpu_size(), 2);
  EXPECT_EQ(m.cpu().usage().per_cpu(1), 1'000'000u);
  EXPECT_EQ(m.cpu().throttling().periods(), 9u);
  EXPECT_EQ(m.cpu().throttling().throttled_time(), 7'000u);

  EXPECT_EQ(m.memory().usage().usage(), 1024u);
  EXPECT_EQ(m.memory().usage().limit(), 2048u);
  EXPECT_EQ(m.memory().usage().failcnt(), 1u);
  EXPECT_EQ(m.memory().cache(), 300u);
  EXPECT_EQ(m.memory().total_cache(), 300u) << "ctr's table prints total_cache";
  EXPECT_EQ(m.memory().rss(), 600u) << "anon";
  EXPECT_EQ(m.memory().total_rss(), 600u) << "CRI's rss";
  EXPECT_EQ(m.memory().total_inactive_file(), 200u) << "CRI's working set: usage - this";
  EXPECT_EQ(m.memory().total_pg_fault(), 40u);
  EXPECT_EQ(m.memory().total_pg_maj_fault(), 2u);

  EXPECT_EQ(m.pids().current(), 3u);
  EXPECT_EQ(m.pids().limit(), 100u);

  ASSERT_EQ(m.network_size(), 2);
  const v1::NetworkStat& eth0 = m.network(0);
  EXPECT_EQ(eth0.name(), "eth0");
  EXPECT_EQ(eth0.rx_bytes(), 1500u);
  EXPECT_EQ(eth0.rx_packets(), 10u);
  EXPECT_EQ(eth0.rx_errors(), 1u);
  EXPECT_EQ(eth0.rx_dropped(), 2u);
  EXPECT_EQ(eth0.tx_bytes(), 900u);
  EXPECT_EQ(eth0.tx_packets(), 8u);
  EXPECT_EQ(eth0.tx_errors(), 3u);
  EXPECT_EQ(eth0.tx_dropped(), 4u);
  EXPECT_EQ(m.network(1).name(), "eth1");
}

TEST(MetricsV1, NoInterfacesNoNetwork) {
  grpc::StatsContainerResponse stats = agent_stats();
  stats.clear_network_stats();
  EXPECT_EQ(to_metrics_v1(stats).network_size(), 0);
}

TEST(MetricsV2, SameFiguresAsBefore) {
  v2::Metrics m = to_metrics_v2(agent_stats());
  EXPECT_EQ(m.cpu().usage_usec(), 5000u);
  EXPECT_EQ(m.cpu().user_usec(), 3000u);
  EXPECT_EQ(m.cpu().system_usec(), 2000u);
  EXPECT_EQ(m.cpu().nr_periods(), 9u);
  EXPECT_EQ(m.cpu().throttled_usec(), 7u);
  EXPECT_EQ(m.memory().usage(), 1024u);
  EXPECT_EQ(m.memory().usage_limit(), 2048u);
  EXPECT_EQ(m.memory().anon(), 600u);
  EXPECT_EQ(m.memory().inactive_file(), 200u);
  EXPECT_EQ(m.pids().current(), 3u);
  EXPECT_EQ(m.pids().limit(), 100u);
}

TEST(ToMetrics, PacksTheChosenTypeUnderContainerdsTypeUrl) {
  google::protobuf::Any any = to_metrics(agent_stats(), MetricsType::kCgroupsV1);
  EXPECT_EQ(any.type_url(), "io.containerd.cgroups.v1.Metrics");
  v1::Metrics m1;
  ASSERT_TRUE(m1.ParseFromString(any.value()));
  EXPECT_EQ(m1.network_size(), 2);
  EXPECT_EQ(m1.network(0).rx_bytes(), 1500u);

  any = to_metrics(agent_stats(), MetricsType::kCgroupsV2);
  EXPECT_EQ(any.type_url(), "io.containerd.cgroups.v2.Metrics");
  v2::Metrics m2;
  ASSERT_TRUE(m2.ParseFromString(any.value()));
  EXPECT_EQ(m2.cpu().usage_usec(), 5000u);
}

}  // namespace
}  // namespace kata::shim
