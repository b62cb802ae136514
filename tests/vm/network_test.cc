// The sandbox's network end to end: a veth in the namespace the caller prepared
// (as CNI leaves it), carried into a real guest through a tap and tc redirects,
// answering pings from the veth's far end in another namespace. Also the late
// case of `ctr run --cni`: the veth appears in QEMU's namespace after boot and is
// attached at Start. Every test ends with nothing of the sandbox left, and the
// caller's veth without our qdiscs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "common/fs.h"
#include "resource/network/netns.h"
#include "resource/network/testing/run_tool.h"
#include "resource/shared_dir.h"
#include "runtime/sandbox.h"
#include "sys/subprocess.h"
#include "vm/vm_test_util.h"

namespace kata::runtime {
namespace {

using resource::network::NetNs;
using resource::network::testing::run_tool;
using vm_test::guest_dir;

// A path another process can open for `ns`: through our fd table.
std::string path_of(const NetNs& ns) {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns.fd());
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(guest_dir() + "/kata-initrd.img"))
        << "no guest image in " << guest_dir() << " (set KATA_TEST_GUEST_DIR)";
    char tmpl[] = "/tmp/kata-nettest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_root_ = tmpl;
    config_ = vm_test::tcg_guest_config();
    options_.id = "nettest-" + std::to_string(::getpid());
    options_.run_root = run_root_;
    options_.shared_root = run_root_ + "/shared";
    auto outside = NetNs::create();
    ASSERT_TRUE(outside) << outside.error().message();
    outside_.emplace(std::move(*outside));
  }

  void TearDown() override {
    vm_test::expect_nothing_left(run_root_, options_.id);
    (void)fs::remove_all(run_root_);
  }

  // As a CNI bridge plugin leaves it: eth0 in `ns` with 10.99.7.2/24 and a default
  // route via 10.99.7.1, its peer in outside_ with 10.99.7.1/24.
  void add_veth(const NetNs& ns) {
    ASSERT_TRUE(
        run_tool(ns, {"ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"}));
    ASSERT_TRUE(run_tool(ns, {"ip", "link", "set", "peer0", "netns", path_of(*outside_)}));
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"ip", "addr", "add", "10.99.7.2/24", "dev", "eth0"},
          {"ip", "link", "set", "eth0", "up"},
          {"ip", "route", "add", "default", "via", "10.99.7.1"}}) {
      auto done = run_tool(ns, cmd);
      ASSERT_TRUE(done) << done.error().message();
    }
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"ip", "addr", "add", "10.99.7.1/24", "dev", "peer0"},
          {"ip", "link", "set", "peer0", "up"}}) {
      auto done = run_tool(*outside_, cmd);
      ASSERT_TRUE(done) << done.error().message();
    }
  }

  void expect_guest_answers_pings() {
    auto ping = run_tool(*outside_, {"busybox", "ping", "-c", "3", "-W", "10", "10.99.7.2"});
    ASSERT_TRUE(ping) << ping.error().message();
    EXPECT_NE(ping->find("3 packets received"), std::string::npos) << *ping;
  }

  // The guest's eth0 carries the veth's MAC, address and route.
  void expect_guest_has_the_veth_config(Sandbox& sandbox, const NetNs& ns) {
    // Not /sys/class/net: sysfs shows the namespace of whoever mounted it.
    auto link = run_tool(ns, {"ip", "-o", "link", "show", "eth0"});
    ASSERT_TRUE(link);
    size_t at = link->find("link/ether ");
    ASSERT_NE(at, std::string::npos) << *link;
    std::string mac = link->substr(at + 11, 17);
    auto ifaces = sandbox.agent()->list_interfaces();
    ASSERT_TRUE(ifaces) << ifaces.error().message();
    bool found = false;
    for (const types::Interface& i : ifaces->interfaces()) {
      if (i.name() != "eth0") continue;
      found = true;
      EXPECT_EQ(i.hwaddr(), mac);
      ASSERT_GE(i.ipaddresses_size(), 1);
      EXPECT_EQ(i.ipaddresses(0).address(), "10.99.7.2");
      EXPECT_EQ(i.ipaddresses(0).mask(), "24");
    }
    EXPECT_TRUE(found) << ifaces->DebugString();
    auto routes = sandbox.agent()->list_routes();
    ASSERT_TRUE(routes) << routes.error().message();
    bool default_route = false;
    for (const types::Route& r : routes->routes())
      default_route = default_route || (r.dest().empty() && r.gateway() == "10.99.7.1");
    EXPECT_TRUE(default_route) << routes->DebugString();
  }

  config::Config config_;
  SandboxOptions options_;
  std::string run_root_;
  std::optional<NetNs> outside_;  // the veth's far end: the "host" of the test
};

TEST_F(NetworkTest, VethPreparedBeforeBootReachesTheGuest) {
  auto ns = NetNs::create();
  ASSERT_TRUE(ns) << ns.error().message();
  add_veth(*ns);
  if (HasFatalFailure()) return;
  options_.network_namespace = path_of(*ns);
  auto sandbox = start_sandbox(config_, options_);
  ASSERT_TRUE(sandbox) << sandbox.error().message();
  // QEMU runs in the sandbox's namespace: the task pid containerd reports names it.
  struct stat qemu_ns {};
  ASSERT_EQ(
      ::stat(("/proc/" + std::to_string((*sandbox)->vmm_pid()) + "/ns/net").c_str(), &qemu_ns), 0);
  EXPECT_EQ(qemu_ns.st_ino, ns->inode());
  expect_guest_has_the_veth_config(**sandbox, *ns);
  expect_guest_answers_pings();
  ASSERT_TRUE((*sandbox)->shutdown());
  auto qdiscs = run_tool(*ns, {"tc", "qdisc", "show", "dev", "eth0", "ingress"});
  ASSERT_TRUE(qdiscs);
  EXPECT_EQ(*qdiscs, "") << "the caller's veth keeps nothing of ours";
  auto links = run_tool(*ns, {"ip", "-o", "link", "show"});
  ASSERT_TRUE(links);
  EXPECT_EQ(links->find("kata"), std::string::npos) << "a tap is left: " << *links;
}

// `ctr run --cni`: the namespace is QEMU's own, and CNI adds the veth after boot.
TEST_F(NetworkTest, VethAddedAfterBootIsAttachedAtStart) {
  auto sandbox = start_sandbox(config_, options_);
  ASSERT_TRUE(sandbox) << sandbox.error().message();
  auto ns = NetNs::open("/proc/" + std::to_string((*sandbox)->vmm_pid()) + "/ns/net");
  ASSERT_TRUE(ns) << ns.error().message();
  auto self = NetNs::current();
  ASSERT_TRUE(self);
  EXPECT_NE(ns->inode(), self->inode()) << "QEMU must never be in the caller's namespace";
  add_veth(*ns);
  if (HasFatalFailure()) return;
  ASSERT_TRUE((*sandbox)->attach_late_network());
  expect_guest_has_the_veth_config(**sandbox, *ns);
  expect_guest_answers_pings();
  ASSERT_TRUE((*sandbox)->attach_late_network()) << "again: nothing new, nothing done";
  ASSERT_TRUE((*sandbox)->shutdown());
}

}  // namespace
}  // namespace kata::runtime
