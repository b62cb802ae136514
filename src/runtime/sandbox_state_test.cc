#include "runtime/sandbox_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"

namespace kata::runtime {
namespace {

SandboxState sample(const std::string& run_dir) {
  SandboxState s;
  s.id = "abc";
  s.status = SandboxStatus::kRunning;
  s.run_dir = run_dir;
  s.shared_dir = "/run/kata-containers/shared/sandboxes/abc";
  s.service = {100, 5000};
  s.qemu = {102, 5010};
  s.virtiofsd = {101, 5005};
  return s;
}

void expect_same(const SandboxState& a, const SandboxState& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.run_dir, b.run_dir);
  EXPECT_EQ(a.shared_dir, b.shared_dir);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.qemu, b.qemu);
  EXPECT_EQ(a.virtiofsd, b.virtiofsd);
}

TEST(SandboxStateTest, WrittenStateReadsBackTheSame) {
  char tmpl[] = "/tmp/kata-state-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  SandboxState s = sample(dir);
  ASSERT_TRUE(write_sandbox_state(s));
  s.status = SandboxStatus::kBooting;
  s.qemu = {};                          // a process not started (or gone) is left out
  ASSERT_TRUE(write_sandbox_state(s));  // replaces the first
  auto read = read_sandbox_state(dir);
  ASSERT_TRUE(read) << read.error().message();
  expect_same(*read, s);
  EXPECT_TRUE(read->qemu.empty());
  ASSERT_TRUE(fs::remove_all(dir));
}

TEST(SandboxStateTest, NoStateIsNotFound) {
  auto read = read_sandbox_state("/nonexistent-kata-run-dir");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kNotFound);
}

TEST(SandboxStateTest, MalformedStateNamesTheField) {
  std::string good = to_json(sample("/run/kata-containers/abc"));
  ASSERT_TRUE(sandbox_state_from_json(good));
  struct Case {
    std::string text, field;
  };
  std::vector<Case> cases = {
      {"{", "not valid JSON"},
      {"[]", "`.`"},
      {R"({"version":2})", "`version`"},
      {R"({"version":1,"id":3,"status":"running","run_dir":"/r","shared_dir":""})", "`id`"},
      {R"({"version":1,"id":"a","status":"odd","run_dir":"/r","shared_dir":""})", "`status`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"qemu":{"pid":"12","start_time":1}}})",
       "`processes.qemu`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"qemu":{"pid":-1,"start_time":1}}})",
       "`processes.qemu.pid`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"virtiofsd":{"pid":5}}})",
       "`processes.virtiofsd`"},
  };
  for (const Case& c : cases) {
    auto parsed = sandbox_state_from_json(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.field), std::string::npos)
        << parsed.error().message();
  }
}

NetworkState sample_network() {
  resource::network::Redirect first;
  first.tap_ifindex = 7;
  first.tap_name = "tap0_kata";
  first.veth_ifindex = 2;
  first.veth_name = "eth0";
  first.veth_ingress_added = true;
  first.veth_tx_queue_len = 0;  // as the CNI bridge plugin makes a veth
  resource::network::Redirect second = first;
  second.tap_ifindex = 8;
  second.tap_name = "tap1_kata";
  second.veth_ifindex = 3;
  second.veth_name = "net1";
  second.veth_ingress_added = false;  // it had somebody's clsact
  second.veth_tx_queue_len = 1000;
  second.priority = 49152;
  return NetworkState{"/var/run/netns/cni-1", 4026532890, {first, second}};
}

TEST(SandboxStateTest, NetworkOfACallersNamespaceReadsBackTheSame) {
  SandboxState s = sample("/run/kata-containers/abc");
  EXPECT_EQ(to_json(s).find("network"), std::string::npos) << "no section without a namespace";
  s.network = sample_network();
  auto read = sandbox_state_from_json(to_json(s));
  ASSERT_TRUE(read) << read.error().message();
  expect_same(*read, s);
  ASSERT_TRUE(read->network);
  EXPECT_EQ(*read->network, *s.network);
  // Without redirects (model none, or no interface yet): the namespace is still named.
  s.network->redirects.clear();
  read = sandbox_state_from_json(to_json(s));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(*read->network, *s.network);
}

TEST(SandboxStateTest, MalformedNetworkNamesTheField) {
  SandboxState s = sample("/run/kata-containers/abc");
  s.network = sample_network();
  const std::string good = to_json(s);
  // Each case replaces one piece of the good text.
  struct Case {
    std::string from, to, field;
  };
  std::vector<Case> cases = {
      {R"("netns": "/var/run/netns/cni-1")", R"("netns": "cni-1")", "`network.netns`"},
      {R"("netns_inode": 4026532890)", R"("netns_inode": -4)", "`network.netns_inode`"},
      {R"("tap_ifindex": 7)", R"("tap_ifindex": 0)", "`network.redirects[0].tap_ifindex`"},
      {R"("tap_name": "tap1_kata")", R"("tap_name": "../x/y")", "`network.redirects[1].tap_name`"},
      {R"("veth_name": "eth0")", R"("veth_name": "")", "`network.redirects[0].veth_name`"},
      {R"("veth_ingress_added": true)", R"("veth_ingress_added": 1)",
       "`network.redirects[0].veth_ingress_added`"},
      {R"("priority": 49152)", R"("priority": 70000)", "`network.redirects[1].priority`"},
      {R"("veth_tx_queue_len": 1000)", R"("veth_tx_queue_len": 4294967296)",
       "`network.redirects[1].veth_tx_queue_len`"},
      {R"("priority": 1)", R"("priority": 0)", "`network.redirects[0].priority`"},
  };
  for (const Case& c : cases) {
    std::string text = good;
    size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from << " in " << text;
    text.replace(at, c.from.size(), c.to);
    auto parsed = sandbox_state_from_json(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.field), std::string::npos)
        << parsed.error().message();
  }
  auto not_object = sandbox_state_from_json(
      R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"","network":[]})");
  ASSERT_FALSE(not_object);
  EXPECT_NE(not_object.error().message().find("`network`"), std::string::npos);
}

TEST(SandboxStateTest, HostCgroupDirectoriesReadBackAndMustBeAbsolute) {
  SandboxState s = sample("/run/kata-containers/abc");
  EXPECT_EQ(to_json(s).find("cgroups"), std::string::npos);
  s.cgroup_dirs = {"/sys/fs/cgroup/memory/k8s.io/abc", "/sys/fs/cgroup/cpu/k8s.io/abc"};
  auto read = sandbox_state_from_json(to_json(s));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->cgroup_dirs, s.cgroup_dirs);
  for (const char* bad :
       {R"("cgroups": "x")", R"("cgroups": ["k8s.io/abc"])", R"("cgroups": [1])"}) {
    std::string text =
        R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",)";
    auto parsed = sandbox_state_from_json(text + bad + "}");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message().find("`cgroups`"), std::string::npos);
  }
}

}  // namespace
}  // namespace kata::runtime
