#include "agent/rpc/container_convert.h"

#include <gtest/gtest.h>

namespace kata::agent {
namespace {

grpc::CreateContainerRequest minimal() {
  grpc::CreateContainerRequest req;
  req.set_container_id("c1");
  req.mutable_oci()->mutable_root()->set_path("/run/c1/rootfs");
  req.mutable_oci()->mutable_process()->add_args("sh");
  return req;
}

TEST(ContainerConvert, MapsTheSpec) {
  grpc::CreateContainerRequest req = minimal();
  grpc::Spec* s = req.mutable_oci();
  s->set_hostname("h");
  s->mutable_root()->set_readonly(true);
  grpc::Mount* m = s->add_mounts();
  m->set_destination("/proc");
  m->set_type("proc");
  m->add_options("nosuid");
  grpc::Process* p = s->mutable_process();
  p->set_terminal(true);
  p->mutable_consolesize()->set_height(24);
  p->mutable_consolesize()->set_width(80);
  p->mutable_user()->set_uid(1000);
  p->mutable_user()->add_additionalgids(5);
  p->add_env("A=b");
  p->mutable_capabilities()->add_bounding("CAP_KILL");
  p->set_oomscoreadj(-100);
  req.mutable_string_user()->set_uid("alice");
  grpc::Linux* l = s->mutable_linux();
  l->add_maskedpaths("/proc/kcore");
  (*l->mutable_sysctl())["net.ipv4.ip_forward"] = "1";
  l->mutable_resources()->mutable_memory()->set_limit(1 << 20);
  l->mutable_resources()->mutable_pids()->set_limit(10);
  grpc::LinuxSyscall* sc = l->mutable_seccomp()->add_syscalls();
  l->mutable_seccomp()->set_defaultaction("SCMP_ACT_ERRNO");
  sc->add_names("read");
  sc->set_action("SCMP_ACT_ALLOW");
  sc->add_args()->set_op("SCMP_CMP_EQ");

  auto spec = to_container_spec(req);
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->id, "c1");
  EXPECT_EQ(spec->root_path, "/run/c1/rootfs");
  EXPECT_TRUE(spec->root_readonly);
  EXPECT_EQ(spec->mounts.at(0).options, std::vector<std::string>{"nosuid"});
  EXPECT_TRUE(spec->process.terminal);
  EXPECT_EQ(spec->process.rows, 24u);
  EXPECT_EQ(spec->process.user.uid, 1000u);
  EXPECT_EQ(spec->process.user.username, "alice");
  EXPECT_EQ(spec->process.user.additional_gids, std::vector<uint32_t>{5});
  EXPECT_EQ(spec->process.cwd, "/");
  ASSERT_TRUE(spec->process.capabilities);
  EXPECT_EQ(spec->process.capabilities->bounding, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(spec->process.oom_score_adj, -100);
  EXPECT_EQ(spec->sysctls.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(spec->resources.memory_limit, 1 << 20);
  EXPECT_EQ(spec->resources.pids_limit, 10);
  EXPECT_FALSE(spec->resources.cpu_quota);
  ASSERT_TRUE(spec->seccomp);
  EXPECT_EQ(spec->seccomp->rules.at(0).names, std::vector<std::string>{"read"});
  EXPECT_FALSE(spec->seccomp->rules.at(0).errno_ret);
  EXPECT_EQ(spec->seccomp->rules.at(0).args.at(0).op, "SCMP_CMP_EQ");
}

// containerd's default deny has neither type nor access; -1 is "any" on the wire.
TEST(ContainerConvert, DeviceCgroupRules) {
  grpc::LinuxResources r;
  grpc::LinuxDeviceCgroup* deny = r.add_devices();
  deny->set_major(-1);
  deny->set_minor(-1);
  grpc::LinuxDeviceCgroup* pts = r.add_devices();
  pts->set_allow(true);
  pts->set_type("c");
  pts->set_major(136);
  pts->set_minor(-1);
  pts->set_access("rw");
  container::Resources out = to_resources(r);
  ASSERT_EQ(out.devices.size(), 2u);
  EXPECT_FALSE(out.devices[0].allow);
  EXPECT_EQ(out.devices[0].type, 'a');
  EXPECT_EQ(out.devices[0].access, "rwm");
  EXPECT_TRUE(out.devices[1].allow);
  EXPECT_EQ(out.devices[1].type, 'c');
  EXPECT_EQ(out.devices[1].major, 136);
  EXPECT_EQ(out.devices[1].minor, -1);
  EXPECT_EQ(out.devices[1].access, "rw");
}

TEST(ContainerConvert, RefusesBadInput) {
  grpc::CreateContainerRequest no_args = minimal();
  no_args.mutable_oci()->mutable_process()->clear_args();
  EXPECT_EQ(to_container_spec(no_args).error().code(), Code::kInvalidArgument);
  grpc::CreateContainerRequest relative = minimal();
  relative.mutable_oci()->mutable_root()->set_path("rootfs");
  EXPECT_EQ(to_container_spec(relative).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(to_container_spec(grpc::CreateContainerRequest()).error().code(),
            Code::kInvalidArgument);
}

TEST(ContainerConvert, WhatIsNotImplementedSaysSo) {
  std::vector<grpc::CreateContainerRequest> reqs(5, minimal());
  reqs[0].add_devices()->set_type("blk");
  reqs[1].mutable_oci()->mutable_linux()->add_namespaces()->set_type("user");
  reqs[2].mutable_oci()->mutable_hooks()->add_prestart()->set_path("/bin/true");
  grpc::LinuxNamespace* mnt = reqs[3].mutable_oci()->mutable_linux()->add_namespaces();
  mnt->set_type("mount");
  mnt->set_path("/proc/42/ns/mnt");
  grpc::LinuxNamespace* ipc = reqs[4].mutable_oci()->mutable_linux()->add_namespaces();
  ipc->set_type("ipc");
  ipc->set_path("/proc/42/ns/ipc");
  for (const auto& req : reqs) {
    auto spec = to_container_spec(req);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().code(), Code::kUnimplemented) << spec.error().message();
    EXPECT_NE(spec.error().message().find("not implemented"), std::string::npos);
  }
  EXPECT_EQ(to_container_spec(reqs[3]).error().message(),
            "joining the mount namespace at `/proc/42/ns/mnt` is not implemented by this agent");
}

TEST(ContainerConvert, NamespacesToShareAndSandboxPidns) {
  grpc::CreateContainerRequest req = minimal();
  auto plain = to_container_spec(req);
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_FALSE(plain->ipc_namespace);
  EXPECT_FALSE(plain->uts_namespace);
  EXPECT_FALSE(plain->sandbox_pidns);

  for (const char* type : {"pid", "mount", "ipc", "uts"})
    req.mutable_oci()->mutable_linux()->add_namespaces()->set_type(type);
  req.set_sandbox_pidns(true);
  auto pod = to_container_spec(req);
  ASSERT_TRUE(pod) << pod.error().message();
  EXPECT_TRUE(pod->ipc_namespace);
  EXPECT_TRUE(pod->uts_namespace);
  EXPECT_TRUE(pod->sandbox_pidns);
  EXPECT_FALSE(pod->cgroup_namespace);
}

TEST(ContainerConvert, StatsInNanoseconds) {
  container::CgroupStats s;
  s.cpu = {{"usage_usec", 5}, {"nr_throttled", 2}};
  s.memory = {{"file", 7}};
  s.memory_current = 100;
  s.memory_max = 200;
  s.pids_current = 3;
  grpc::StatsContainerResponse r = to_stats_response(s, {});
  EXPECT_EQ(r.cgroup_stats().cpu_stats().cpu_usage().total_usage(), 5000u);
  EXPECT_EQ(r.cgroup_stats().cpu_stats().throttling_data().throttled_periods(), 2u);
  EXPECT_EQ(r.cgroup_stats().memory_stats().cache(), 7u);
  EXPECT_EQ(r.cgroup_stats().memory_stats().usage().limit(), 200u);
  EXPECT_EQ(r.cgroup_stats().pids_stats().current(), 3u);
  EXPECT_EQ(r.network_stats_size(), 0);
}

TEST(ContainerConvert, StatsCarryEveryInterfaceInOrder) {
  network::LinkStats eth0{"eth0", 1, 2, 3, 4, 5, 6, 7, 8};
  network::LinkStats eth1{"eth1", 10, 20, 30, 40, 50, 60, 70, 80};
  grpc::StatsContainerResponse r = to_stats_response(container::CgroupStats{}, {eth0, eth1});
  ASSERT_EQ(r.network_stats_size(), 2);
  const grpc::NetworkStats& n = r.network_stats(0);
  EXPECT_EQ(n.name(), "eth0");
  EXPECT_EQ(n.rx_bytes(), 1u);
  EXPECT_EQ(n.rx_packets(), 2u);
  EXPECT_EQ(n.rx_errors(), 3u);
  EXPECT_EQ(n.rx_dropped(), 4u);
  EXPECT_EQ(n.tx_bytes(), 5u);
  EXPECT_EQ(n.tx_packets(), 6u);
  EXPECT_EQ(n.tx_errors(), 7u);
  EXPECT_EQ(n.tx_dropped(), 8u);
  EXPECT_EQ(r.network_stats(1).name(), "eth1");
  EXPECT_EQ(r.network_stats(1).tx_dropped(), 80u);
}

}  // namespace
}  // namespace kata::agent
