// SandboxNetwork against real namespaces, veths and tc: needs root (label `root`). Each test
// makes a "pod" namespace standing in for CNI's and a "host" namespace for the veths' other
// ends; the host's own namespace is never touched.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "agent_client/testing/fake_agent.h"
#include "resource/network/netns.h"
#include "resource/network/scan.h"
#include "resource/network/testing/run_tool.h"
#include "runtime/network_leftovers.h"
#include "runtime/sandbox_network.h"
#include "sys/subprocess.h"

namespace kata::runtime {
namespace {

namespace net = resource::network;
using agent_client::testing::FakeAgent;
using Calls = std::vector<std::string>;

using resource::network::testing::must;
using resource::network::testing::run_tool;

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Through our pid, not /proc/self: `ip` (another process) opens it too.
std::string fd_path(const net::NetNs& ns) {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns.fd());
}

std::optional<net::Interface> find(const net::NetNs& ns, const std::string& name) {
  auto ifs = net::scan(ns);
  EXPECT_TRUE(ifs) << ifs.error().message();
  if (!ifs) return std::nullopt;
  auto it = std::find_if(ifs->begin(), ifs->end(), [&](auto& i) { return i.name == name; });
  if (it == ifs->end()) return std::nullopt;
  return *it;
}

class SandboxNetworkRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    fds_before_ = open_fds();
    auto pod = net::NetNs::create();
    ASSERT_TRUE(pod) << pod.error().message();
    pod_.emplace(std::move(*pod));
    auto host = net::NetNs::create();
    ASSERT_TRUE(host) << host.error().message();
    host_.emplace(std::move(*host));
  }
  void TearDown() override {
    if (!pod_) return;
    pod_.reset();
    host_.reset();
    EXPECT_EQ(open_fds(), fds_before_) << "a tap, namespace or netlink fd leaked";
  }
  static size_t open_fds() {
    std::error_code ec;
    auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
    return static_cast<size_t>(std::distance(it, std::filesystem::directory_iterator()));
  }
  // `name` in the pod, as a CNI plugin leaves it; its peer `peer` in the host namespace.
  void add_veth(const std::string& name, const std::string& peer, const std::string& mtu) {
    KATA_RUN_IN(pod(), "ip", "link", "add", name, "mtu", mtu, "type", "veth", "peer", "name", peer,
                "netns", fd_path(host()));
    KATA_RUN_IN(host(), "ip", "link", "set", peer, "up");
    KATA_RUN_IN(pod(), "ip", "link", "set", name, "up");
  }
  // tc (and links) of the pod namespace, to compare before and after.
  std::string tc_state(const std::vector<std::string>& devs, bool with_links = true) {
    std::string out = with_links ? must(pod(), {"ip", "-o", "link"}) : "";
    for (const std::string& dev : devs) {
      out += must(pod(), {"tc", "qdisc", "show", "dev", dev});
      out += must(pod(), {"tc", "filter", "show", "dev", dev, "ingress"});
    }
    return out;
  }
  const net::NetNs& pod() const { return *pod_; }
  const net::NetNs& host() const { return *host_; }

  std::optional<net::NetNs> pod_, host_;
  size_t fds_before_ = 0;
};

TEST_F(SandboxNetworkRootTest, ConnectsEachVethAndConfiguresTheGuest) {
  add_veth("eth0", "host0", "1450");
  add_veth("eth1", "host1", "1500");
  KATA_RUN_IN(pod(), "ip", "addr", "add", "10.88.0.2/16", "dev", "eth0");
  KATA_RUN_IN(pod(), "ip", "addr", "add", "fd00::2/64", "dev", "eth0", "nodad");
  KATA_RUN_IN(pod(), "ip", "addr", "add", "192.168.7.2/24", "dev", "eth1");
  KATA_RUN_IN(pod(), "ip", "route", "add", "default", "via", "10.88.0.1");
  KATA_RUN_IN(pod(), "ip", "-6", "route", "add", "default", "via", "fd00::1", "dev", "eth0");
  KATA_RUN_IN(pod(), "ip", "neigh", "add", "10.88.0.1", "lladdr", "02:00:00:00:00:01", "dev",
              "eth0", "nud", "permanent");
  KATA_RUN_IN(pod(), "ip", "tuntap", "add", "tunx", "mode", "tun");  // not carried: no Ethernet
  std::optional<net::Interface> eth0 = find(pod(), "eth0");
  std::optional<net::Interface> eth1 = find(pod(), "eth1");
  ASSERT_TRUE(eth0 && eth1);
  std::string before = tc_state({"eth0", "eth1"});

  auto opened = SandboxNetwork::open({fd_path(pod())});
  ASSERT_TRUE(opened) << opened.error().message();
  SandboxNetwork& network = **opened;

  struct stat ns_stat {};
  ASSERT_EQ(::fstat(network.netns_fd(), &ns_stat), 0);
  EXPECT_EQ(ns_stat.st_ino, pod().inode()) << "QEMU goes into the pod's namespace";

  auto nics = network.nics();
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(nics[0].mac, eth0->mac);
  EXPECT_EQ(nics[0].mtu, 1450u);
  EXPECT_EQ(nics[1].mac, eth1->mac);
  EXPECT_EQ(nics[1].mtu, 1500u);
  for (const auto& nic : nics) EXPECT_GE(::fcntl(nic.tap_fd, F_GETFD), 0) << nic.mac;
  std::optional<net::Interface> tap0 = find(pod(), "tap0_kata");
  ASSERT_TRUE(tap0);
  EXPECT_EQ(tap0->mtu, 1450u);
  EXPECT_TRUE(find(pod(), "tap1_kata"));
  EXPECT_FALSE(find(pod(), "tap2_kata")) << "the tun gets no NIC, and there is no spare";
  EXPECT_TRUE(contains(must(pod(), {"tc", "filter", "show", "dev", "eth0", "ingress"}),
                       "Egress Redirect to device tap0_kata"));
  EXPECT_TRUE(contains(must(pod(), {"tc", "filter", "show", "dev", "eth1", "ingress"}),
                       "Egress Redirect to device tap1_kata"));

  FakeAgent agent;
  ASSERT_TRUE(network.configure_guest(agent));
  EXPECT_EQ(agent.calls(), (Calls{"update_interface eth0", "update_interface eth1",
                                  "update_routes 2", "add_arp_neighbors 1"}));
  auto ifaces = agent.interface_updates();
  ASSERT_EQ(ifaces.size(), 2u);
  EXPECT_EQ(ifaces[0].name(), "eth0");
  EXPECT_EQ(ifaces[0].hwaddr(), eth0->mac);
  EXPECT_EQ(ifaces[0].mtu(), 1450u);
  EXPECT_EQ(ifaces[0].device(), "");
  std::vector<std::string> addrs;
  for (const auto& a : ifaces[0].ipaddresses()) addrs.push_back(a.address() + "/" + a.mask());
  std::sort(addrs.begin(), addrs.end());
  EXPECT_EQ(addrs, (std::vector<std::string>{"10.88.0.2/16", "fd00::2/64"})) << "no fe80:: address";
  EXPECT_EQ(ifaces[1].name(), "eth1");
  ASSERT_EQ(ifaces[1].ipaddresses_size(), 1);
  EXPECT_EQ(ifaces[1].ipaddresses(0).address(), "192.168.7.2");

  // Only the two defaults: the subnet routes are the kernel's, made again in the guest.
  auto route_updates = agent.route_updates();
  ASSERT_EQ(route_updates.size(), 1u);
  std::vector<std::string> routes;
  for (const auto& r : route_updates[0].routes()) {
    routes.push_back(fmt::format("{}|{}|{}|{}", r.dest(), r.gateway(), r.device(),
                                 r.family() == types::v4 ? 4 : 6));
  }
  std::sort(routes.begin(), routes.end());
  EXPECT_EQ(routes, (std::vector<std::string>{"|10.88.0.1|eth0|4", "|fd00::1|eth0|6"}));
  auto neighbor_adds = agent.neighbor_adds();
  ASSERT_EQ(neighbor_adds.size(), 1u);
  ASSERT_EQ(neighbor_adds[0].arpneighbors_size(), 1);
  const auto& neigh = neighbor_adds[0].arpneighbors(0);
  EXPECT_EQ(neigh.toipaddress().address(), "10.88.0.1");
  EXPECT_EQ(neigh.lladdr(), "02:00:00:00:00:01");
  EXPECT_EQ(neigh.device(), "eth0");

  Status down = network.teardown();
  ASSERT_TRUE(down) << down.error().message();
  EXPECT_EQ(tc_state({"eth0", "eth1"}), before) << "the pod's namespace is left as CNI left it";
  EXPECT_EQ(network.netns_fd(), -1);
  EXPECT_TRUE(network.nics().empty());
  EXPECT_TRUE(network.teardown()) << "a second teardown does nothing";
}

TEST_F(SandboxNetworkRootTest, WithoutAPathAFreshNamespaceGetsASpareTap) {
  auto opened = SandboxNetwork::open({""});
  ASSERT_TRUE(opened) << opened.error().message();
  auto mine = net::NetNs::current();
  ASSERT_TRUE(mine);
  struct stat ns_stat {};
  ASSERT_EQ(::fstat((*opened)->netns_fd(), &ns_stat), 0);
  EXPECT_NE(ns_stat.st_ino, mine->inode());
  EXPECT_NE(ns_stat.st_ino, pod().inode());

  auto nics = (*opened)->nics();
  ASSERT_EQ(nics.size(), 1u);
  EXPECT_EQ(nics[0].mac.substr(0, 3), "02:") << nics[0].mac;
  EXPECT_EQ(nics[0].mtu, 0u) << "no host_mtu: the late interface's MTU decides";
  auto inside = net::NetNs::open("/proc/self/fd/" + std::to_string((*opened)->netns_fd()));
  ASSERT_TRUE(inside) << inside.error().message();
  std::optional<net::Interface> spare = find(*inside, "tap0_kata");
  ASSERT_TRUE(spare);
  EXPECT_EQ(spare->kind, net::LinkKind::kTap);
  EXPECT_EQ(spare->mtu, kSpareTapMtu);

  FakeAgent agent;
  ASSERT_TRUE((*opened)->configure_guest(agent));
  EXPECT_TRUE(agent.calls().empty());
  ASSERT_TRUE((*opened)->teardown());
}

TEST_F(SandboxNetworkRootTest, TheHostsOwnNamespaceByPathIsRefused) {
  // Docker's --net=host: the path names the namespace the shim itself runs in.
  auto opened = SandboxNetwork::open({"/proc/self/ns/net"});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(opened.error().message().find("/proc/self/ns/net is the host's own"), std::string::npos)
      << opened.error().message();
  auto mine = net::NetNs::current();
  ASSERT_TRUE(mine);
  EXPECT_FALSE(find(*mine, "tap0_kata")) << "a tap was made in the host's namespace";
}

TEST_F(SandboxNetworkRootTest, ModelNoneHoldsTheNamespaceAndAttachesNothing) {
  add_veth("eth0", "host0", "1500");
  std::string before = tc_state({"eth0"});
  auto opened = SandboxNetwork::open({fd_path(pod()), config::InterNetworkingModel::kNone});
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_GE((*opened)->netns_fd(), 0);
  EXPECT_TRUE((*opened)->nics().empty());
  EXPECT_EQ(tc_state({"eth0"}), before);
  FakeAgent agent;
  ASSERT_TRUE((*opened)->configure_guest(agent));
  ASSERT_TRUE((*opened)->attach_late(agent));
  EXPECT_TRUE(agent.calls().empty());
}

TEST_F(SandboxNetworkRootTest, AttachLateGivesTheSpareToAVethAddedAfterBoot) {
  auto opened = SandboxNetwork::open({fd_path(pod())});
  ASSERT_TRUE(opened) << opened.error().message();
  SandboxNetwork& network = **opened;
  auto nics = network.nics();
  ASSERT_EQ(nics.size(), 1u);
  EXPECT_TRUE(nics[0].parked) << "the guest must keep the spare from the containers";
  const std::string placeholder = nics[0].mac;

  FakeAgent agent;
  grpc::Interfaces guest;
  types::Interface* nic = guest.add_interfaces();
  nic->set_name("eth0");
  nic->set_hwaddr(placeholder);
  agent.set_guest_interfaces(guest);
  ASSERT_TRUE(network.attach_late(agent));
  EXPECT_TRUE(agent.calls().empty()) << "nothing new yet";

  add_veth("net0", "host0", "1400");  // as `ctr run --cni` does, after the task is created
  KATA_RUN_IN(pod(), "ip", "addr", "add", "10.1.0.2/24", "dev", "net0");
  KATA_RUN_IN(pod(), "ip", "route", "add", "default", "via", "10.1.0.1");
  std::optional<net::Interface> net0 = find(pod(), "net0");
  ASSERT_TRUE(net0);
  std::string before = tc_state({"net0"}, false);  // the spare tap is there already

  Status attached = network.attach_late(agent);
  ASSERT_TRUE(attached) << attached.error().message();
  EXPECT_EQ(agent.calls(), (Calls{"list_interfaces", "update_interface net0", "update_routes 1"}));
  auto updates = agent.interface_updates();
  ASSERT_EQ(updates.size(), 1u);
  const types::Interface& req = updates[0];
  EXPECT_EQ(req.device(), "eth0") << "the spare NIC, by its guest name";
  EXPECT_EQ(req.hwaddr(), net0->mac);
  EXPECT_EQ(req.name(), "net0");
  EXPECT_EQ(req.mtu(), 1400u);
  ASSERT_EQ(req.ipaddresses_size(), 1);
  EXPECT_EQ(req.ipaddresses(0).address(), "10.1.0.2");
  EXPECT_TRUE(contains(must(pod(), {"tc", "filter", "show", "dev", "net0", "ingress"}),
                       "Egress Redirect to device tap0_kata"));
  EXPECT_EQ(network.nics()[0].mac, placeholder) << "QEMU's NIC keeps its boot MAC";

  ASSERT_TRUE(network.attach_late(agent));
  EXPECT_EQ(agent.calls().size(), 3u) << "idempotent";

  ASSERT_TRUE(network.teardown());
  EXPECT_EQ(tc_state({"net0"}, false), before);
  EXPECT_FALSE(find(pod(), "tap0_kata"));
}

TEST_F(SandboxNetworkRootTest, AttachLateRetriesTheGuestAfterItFailed) {
  auto opened = SandboxNetwork::open({fd_path(pod())});
  ASSERT_TRUE(opened) << opened.error().message();
  add_veth("eth0", "host0", "1500");
  FakeAgent agent;  // its guest has no NIC with the placeholder MAC
  Status failed = (*opened)->attach_late(agent);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kNotFound);
  EXPECT_TRUE(contains(failed.error().message(), "attach interface `eth0`"))
      << failed.error().message();

  grpc::Interfaces guest;
  guest.add_interfaces()->set_name("eth0");
  guest.mutable_interfaces(0)->set_hwaddr((*opened)->nics()[0].mac);
  agent.set_guest_interfaces(guest);
  Status again = (*opened)->attach_late(agent);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(agent.interface_updates().size(), 1u);
  // The destructor tears down.
}

TEST_F(SandboxNetworkRootTest, ATunnelTheCallerConfiguredIsRefusedAndNothingIsAdded) {
  add_veth("eth0", "host0", "1500");
  // vxlan: the tunnel every kernel here has (ipip, sit and gre are modules not always
  // present); an address makes it the caller's network, not a leftover device.
  KATA_RUN_IN(pod(), "ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789");
  KATA_RUN_IN(pod(), "ip", "addr", "add", "10.77.0.2/24", "dev", "vx0");
  std::string before = tc_state({"eth0", "vx0"});
  auto opened = SandboxNetwork::open({fd_path(pod())});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(contains(opened.error().message(), "interface `vx0` (kind `vxlan`"))
      << opened.error().message();
  EXPECT_EQ(tc_state({"eth0", "vx0"}), before) << "eth0 was connected before the refusal";

  // Unconfigured, as the kernel's own fallback tunnels are: skipped, eth0 carried.
  KATA_RUN_IN(pod(), "ip", "addr", "flush", "dev", "vx0");
  auto skipped = SandboxNetwork::open({fd_path(pod())});
  ASSERT_TRUE(skipped) << skipped.error().message();
  EXPECT_EQ((*skipped)->nics().size(), 1u);
}

TEST_F(SandboxNetworkRootTest, PersistedStateNamesOnlyACallersNamespace) {
  auto own = SandboxNetwork::open({""});
  ASSERT_TRUE(own) << own.error().message();
  EXPECT_FALSE((*own)->persisted_state()) << "a namespace we created dies with QEMU";

  add_veth("eth0", "host0", "1500");
  auto opened = SandboxNetwork::open({fd_path(pod())});
  ASSERT_TRUE(opened) << opened.error().message();
  std::optional<NetworkState> state = (*opened)->persisted_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->netns_path, fd_path(pod()));
  EXPECT_EQ(state->netns_inode, pod().inode());
  ASSERT_EQ(state->redirects.size(), 1u);
  EXPECT_EQ(state->redirects[0].veth_name, "eth0");
  EXPECT_EQ(state->redirects[0].tap_name, "tap0_kata");
  EXPECT_TRUE(state->redirects[0].veth_ingress_added);
  ASSERT_TRUE((*opened)->teardown());
  EXPECT_FALSE((*opened)->persisted_state()) << "nothing left to undo";
}

// The shim killed with -9: its SandboxNetwork never tore down. A child process stands in
// for it, and dies by SIGKILL once it wrote down its state as the sandbox does.
TEST_F(SandboxNetworkRootTest, WhatACrashLeftIsRemovedFromTheStateAndOnlyThat) {
  add_veth("eth0", "host0", "1500");
  add_veth("net1", "host1", "1500");
  // Without links: the veths' carrier comes up a moment after they were made.
  std::string before = tc_state({"eth0", "net1"}, false);
  const std::string path = fd_path(pod());  // ours: the child's fds die with it
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = SandboxNetwork::open({path});
    SandboxState s;
    s.id = "crash";
    s.run_dir = "/r";
    if (opened) s.network = (*opened)->persisted_state();
    std::string text = to_json(s);
    (void)!::write(pipe_fds[1], text.data(), text.size());
    ::raise(SIGKILL);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto state = sandbox_state_from_json(text);
  ASSERT_TRUE(state) << state.error().message() << "\n" << text;
  ASSERT_TRUE(state->network);
  ASSERT_EQ(state->network->redirects.size(), 2u);
  EXPECT_NE(tc_state({"eth0", "net1"}, false), before) << "the crash left the redirects";

  // Another namespace at the recorded path now: nothing there is ours.
  NetworkState elsewhere = *state->network;
  elsewhere.netns_inode += 1;
  std::string left = tc_state({"eth0", "net1"}, false);
  auto skipped = remove_network_leftovers(elsewhere);
  ASSERT_TRUE(skipped) << skipped.error().message();
  ASSERT_EQ(skipped->lines.size(), 1u);
  EXPECT_TRUE(contains(skipped->lines[0], "another namespace")) << skipped->lines[0];
  EXPECT_EQ(tc_state({"eth0", "net1"}, false), left);

  auto removed = remove_network_leftovers(*state->network);
  ASSERT_TRUE(removed) << removed.error().message();
  ASSERT_EQ(removed->lines.size(), 2u);
  EXPECT_TRUE(contains(removed->lines[0], "filter removed; ingress qdisc removed"))
      << removed->lines[0];
  EXPECT_EQ(tc_state({"eth0", "net1"}, false), before);
  EXPECT_FALSE(contains(must(pod(), {"ip", "-o", "link"}), "_kata")) << "the taps died with it";

  NetworkState gone = *state->network;
  gone.netns_path = "/nonexistent/kata-netns";
  auto nothing = remove_network_leftovers(gone);
  ASSERT_TRUE(nothing) << nothing.error().message();
  EXPECT_TRUE(contains(nothing->lines.at(0), "`/nonexistent/kata-netns` not opened"));
}

}  // namespace
}  // namespace kata::runtime
