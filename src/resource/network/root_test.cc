// Real namespaces, veths, taps and tc: needs root (label `root`). Everything happens in
// namespaces the test creates; the host's own namespace is never touched.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "common/strings.h"
#include "resource/network/netns.h"
#include "resource/network/scan.h"
#include "resource/network/tap.h"
#include "resource/network/tc_filter.h"
#include "resource/network/testing/run_tool.h"
#include "sys/subprocess.h"

namespace kata::resource::network {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// An optional address or prefix as `ip route` prints it; "" for none.
template <typename T>
std::string text(const std::optional<T>& a) {
  return a ? net::to_string(*a) : "";
}

using resource::network::testing::must;
using resource::network::testing::run_tool;

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

const Interface* find(const std::vector<Interface>& ifs, const std::string& name) {
  auto it = std::find_if(ifs.begin(), ifs.end(), [&](auto& i) { return i.name == name; });
  return it == ifs.end() ? nullptr : &*it;
}

int ifindex_of(const NetNs& ns, const std::string& name) {
  auto ifs = scan(ns);
  EXPECT_TRUE(ifs) << ifs.error().message();
  const Interface* i = ifs ? find(*ifs, name) : nullptr;
  EXPECT_NE(i, nullptr) << name;
  return i ? i->ifindex : 0;
}

class NetworkRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    fds_before_ = open_fds();
    auto ns = NetNs::create();
    ASSERT_TRUE(ns) << ns.error().message();
    ns_.emplace(std::move(*ns));
  }
  // veth0 (the container side CNI would leave) and peer0 (standing in for the host side).
  // txqueuelen 1000 is the kernel's default; the CNI bridge plugin makes its veths with 0.
  void make_veth(const std::string& mtu = "1500", const std::string& txqueuelen = "1000") {
    KATA_RUN_IN(ns(), "ip", "link", "add", "veth0", "mtu", mtu, "txqueuelen", txqueuelen, "type",
                "veth", "peer", "name", "peer0");
    KATA_RUN_IN(ns(), "ip", "link", "set", "peer0", "up");
    KATA_RUN_IN(ns(), "ip", "link", "set", "veth0", "up");
  }
  void TearDown() override {
    if (!ns_) return;
    ns_.reset();
    EXPECT_EQ(open_fds(), fds_before_) << "a netlink socket, tap or namespace fd leaked";
  }
  static size_t open_fds() {
    std::error_code ec;
    auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
    return static_cast<size_t>(std::distance(it, std::filesystem::directory_iterator()));
  }
  const NetNs& ns() const { return *ns_; }
  std::optional<NetNs> ns_;
  size_t fds_before_ = 0;
};

TEST_F(NetworkRootTest, RunInEntersTheNamespaceAndLeavesTheCallerAlone) {
  auto before = NetNs::current();
  ASSERT_TRUE(before);
  EXPECT_NE(before->inode(), ns().inode());
  auto inside = ns().run_in([]() -> Result<ino_t> {
    KATA_ASSIGN_OR_RETURN(NetNs here, NetNs::current());
    return here.inode();
  });
  ASSERT_TRUE(inside);
  EXPECT_EQ(*inside, ns().inode());
  EXPECT_EQ(NetNs::current()->inode(), before->inode());
  auto reopened = NetNs::open("/proc/self/fd/" + std::to_string(ns().fd()));
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(reopened->inode(), ns().inode());
}

TEST_F(NetworkRootTest, ScanReportsWhatCniLeft) {
  auto empty = scan(ns());
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_TRUE(empty->empty()) << "a fresh namespace has only lo, which scan skips";

  make_veth("1450");
  KATA_RUN_IN(ns(), "ip", "addr", "add", "10.88.0.2/16", "dev", "veth0");
  KATA_RUN_IN(ns(), "ip", "addr", "add", "fd00::2/64", "dev", "veth0", "nodad");
  KATA_RUN_IN(ns(), "ip", "route", "add", "default", "via", "10.88.0.1", "metric", "50");
  KATA_RUN_IN(ns(), "ip", "route", "add", "192.168.5.0/24", "via", "10.88.0.3", "src", "10.88.0.2");
  KATA_RUN_IN(ns(), "ip", "-6", "route", "add", "default", "via", "fd00::1", "dev", "veth0");
  KATA_RUN_IN(ns(), "ip", "neigh", "add", "10.88.0.1", "lladdr", "02:00:00:00:00:01", "dev",
              "veth0", "nud", "permanent");
  KATA_RUN_IN(ns(), "ip", "neigh", "add", "10.88.0.9", "lladdr", "02:00:00:00:00:09", "dev",
              "veth0", "nud", "reachable");
  KATA_RUN_IN(ns(), "ip", "link", "add", "mv0", "link", "peer0", "type", "macvlan", "mode",
              "bridge");
  KATA_RUN_IN(ns(), "ip", "tuntap", "add", "tapx", "mode", "tap");
  KATA_RUN_IN(ns(), "ip", "tuntap", "add", "tunx", "mode", "tun");

  auto ifs = scan(ns());
  ASSERT_TRUE(ifs) << ifs.error().message();
  EXPECT_EQ(ifs->size(), 5u);
  EXPECT_TRUE(std::is_sorted(ifs->begin(), ifs->end(),
                             [](auto& a, auto& b) { return a.ifindex < b.ifindex; }));
  const Interface* veth = find(*ifs, "veth0");
  ASSERT_NE(veth, nullptr);
  EXPECT_EQ(veth->kind, LinkKind::kVeth);
  EXPECT_EQ(veth->kind_name, "veth");
  EXPECT_EQ(veth->mtu, 1450u);
  EXPECT_TRUE(veth->up);
  EXPECT_TRUE(net::parse_mac(veth->mac)) << veth->mac;
  EXPECT_TRUE(contains(must(ns(), {"ip", "link", "show", "veth0"}), veth->mac));

  const net::IpNet v4 = *net::parse_cidr("10.88.0.2/16"), v6 = *net::parse_cidr("fd00::2/64");
  auto has_addr = [&](const net::IpNet& want) {
    return std::find(veth->addresses.begin(), veth->addresses.end(), want) != veth->addresses.end();
  };
  EXPECT_TRUE(has_addr(v4));
  EXPECT_TRUE(has_addr(v6));
  // The kernel adds fe80:: once the link is operational, which may be after this scan.
  for (const net::IpNet& a : veth->addresses) {
    EXPECT_TRUE(a == v4 || a == v6 || net::is_link_local(a.address)) << net::to_string(a);
  }

  auto route = [&](net::Family f, const std::string& dst) -> const Route* {
    for (const Route& r : veth->routes) {
      if (r.family == f && text(r.destination) == dst) return &r;
    }
    return nullptr;
  };
  const Route* def4 = route(net::Family::kV4, "");
  ASSERT_NE(def4, nullptr);
  EXPECT_EQ(text(def4->gateway), "10.88.0.1");
  EXPECT_EQ(def4->metric, 50u);
  EXPECT_EQ(def4->device, "veth0");
  EXPECT_EQ(def4->ifindex, veth->ifindex);
  EXPECT_EQ(def4->scope, 0);
  const Route* via = route(net::Family::kV4, "192.168.5.0/24");
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(text(via->gateway), "10.88.0.3");
  EXPECT_EQ(text(via->source), "10.88.0.2");
  const Route* subnet = route(net::Family::kV4, "10.88.0.0/16");
  ASSERT_NE(subnet, nullptr);
  EXPECT_EQ(text(subnet->gateway), "");
  EXPECT_EQ(subnet->scope, 253);   // RT_SCOPE_LINK
  EXPECT_EQ(subnet->protocol, 2);  // RTPROT_KERNEL
  EXPECT_EQ(text(subnet->source), "10.88.0.2");
  const Route* def6 = route(net::Family::kV6, "");
  ASSERT_NE(def6, nullptr);
  EXPECT_EQ(text(def6->gateway), "fd00::1");
  EXPECT_NE(route(net::Family::kV6, "fd00::/64"), nullptr);

  ASSERT_EQ(veth->neighbours.size(), 1u) << "only the permanent entry";
  EXPECT_EQ(veth->neighbours[0],
            (Neighbour{*net::parse_ip("10.88.0.1"), "02:00:00:00:00:01", "veth0", veth->ifindex}));

  const Interface* peer = find(*ifs, "peer0");
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->kind, LinkKind::kVeth);
  EXPECT_TRUE(peer->routes.empty());
  ASSERT_NE(find(*ifs, "mv0"), nullptr);
  EXPECT_EQ(find(*ifs, "mv0")->kind, LinkKind::kMacvlan);
  ASSERT_NE(find(*ifs, "tapx"), nullptr);
  EXPECT_EQ(find(*ifs, "tapx")->kind, LinkKind::kTap);
  ASSERT_NE(find(*ifs, "tunx"), nullptr);
  EXPECT_EQ(find(*ifs, "tunx")->kind, LinkKind::kTun);
  EXPECT_EQ(find(*ifs, "tunx")->mac, "");
}

// ---- traffic through the redirect ----

constexpr uint16_t kTestEthertype = 0x88b5;  // IEEE "local experimental"

std::string frame(const std::string& payload) {
  std::string f(12, '\0');
  for (int i = 0; i < 6; ++i) f[i] = '\xff';  // broadcast: no MAC to learn
  f[6] = 0x02;
  f[11] = 0x05;
  f += static_cast<char>(kTestEthertype >> 8);
  f += static_cast<char>(kTestEthertype & 0xff);
  return f + payload;
}

// Reads frames from `fd` until one carries `payload` after `skip` bytes (the vnet header on
// a tap fd); IPv6 neighbour discovery and the like also show up and are ignored.
bool receive(int fd, size_t skip, const std::string& payload) {
  auto deadline = steady_clock::now() + std::chrono::seconds(5);
  std::string want = frame(payload);
  while (steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > static_cast<ssize_t>(skip) && std::string(buf + skip, n - skip) == want) return true;
  }
  return false;
}

Result<UniqueFd> packet_socket(const NetNs& ns, const std::string& dev) {
  return ns.run_in([&]() -> Result<UniqueFd> {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return Error::from_errno(errno, "packet socket");
    UniqueFd s(fd);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(::if_nametoindex(dev.c_str()));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      return Error::from_errno(errno, "bind packet socket");
    }
    return s;
  });
}

// peer0's packet socket: what the CNI's host side would see, and where it would send from.
void expect_traffic_both_ways(const NetNs& ns, int tap_fd) {
  auto peer = packet_socket(ns, "peer0");
  ASSERT_TRUE(peer) << peer.error().message();

  std::string out(kVnetHdrSize, '\0');  // GSO_NONE, no checksum offload
  out += frame("guest to peer");
  ASSERT_EQ(::write(tap_fd, out.data(), out.size()), static_cast<ssize_t>(out.size()));
  EXPECT_TRUE(receive(peer->get(), 0, "guest to peer"));

  std::string in = frame("peer to guest");
  ASSERT_EQ(::send(peer->get(), in.data(), in.size(), 0), static_cast<ssize_t>(in.size()));
  EXPECT_TRUE(receive(tap_fd, kVnetHdrSize, "peer to guest"));
}

TEST_F(NetworkRootTest, TcFilterCarriesTrafficAndDisconnectRemovesEverything) {
  make_veth("1400");
  int veth = ifindex_of(ns(), "veth0");
  std::string qdiscs_before = must(ns(), {"tc", "qdisc", "show", "dev", "veth0"});

  auto conn = connect(ns(), veth);
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_EQ(conn->tap.name, "tap0_kata");
  EXPECT_EQ(conn->redirect, (Redirect{conn->tap.ifindex, "tap0_kata", veth, "veth0", true, 1000u}));

  auto ifs = scan(ns());
  ASSERT_TRUE(ifs);
  const Interface* tap = find(*ifs, "tap0_kata");
  ASSERT_NE(tap, nullptr);
  EXPECT_EQ(tap->kind, LinkKind::kTap);
  EXPECT_EQ(tap->mtu, 1400u) << "the tap takes the veth's MTU";
  EXPECT_TRUE(tap->up);

  for (auto [dev, other] : {std::pair{"veth0", "tap0_kata"}, std::pair{"tap0_kata", "veth0"}}) {
    EXPECT_TRUE(contains(must(ns(), {"tc", "qdisc", "show", "dev", dev}), "qdisc ingress ffff:"))
        << dev;
    std::string filters = must(ns(), {"tc", "filter", "show", "dev", dev, "ingress"});
    EXPECT_TRUE(contains(filters, "u32")) << filters;
    EXPECT_TRUE(contains(filters, "pref 1 ")) << filters;
    EXPECT_TRUE(contains(filters, std::string("Egress Redirect to device ") + other)) << filters;
  }

  expect_traffic_both_ways(ns(), conn->tap.fd.get());

  auto again = connect(ns(), veth, "tap1_kata");
  ASSERT_FALSE(again) << "a second redirect of the same veth";
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists) << again.error().message();
  EXPECT_FALSE(contains(must(ns(), {"ip", "link"}), "tap1_kata")) << "rolled back";

  ASSERT_TRUE(disconnect(ns(), conn->redirect));
  EXPECT_EQ(must(ns(), {"tc", "qdisc", "show", "dev", "veth0"}), qdiscs_before);
  EXPECT_EQ(must(ns(), {"tc", "filter", "show", "dev", "veth0", "ingress"}), "");
  EXPECT_FALSE(contains(must(ns(), {"ip", "link"}), "tap0_kata"));
  Status twice = disconnect(ns(), conn->redirect);
  EXPECT_TRUE(twice) << "nothing left to remove is no error: " << twice.error().message();
}

// `ip link`'s qlen of veth0: "" when it has none. (Not the whole line: the carrier flags
// settle a moment after the link is up.)
std::string qlen(const NetNs& ns) {
  std::string line = must(ns, {"ip", "-o", "link", "show", "veth0"});
  size_t at = line.find(" qlen ");
  // `ip -o` ends each line part with a backslash.
  return at == std::string::npos ? ""
                                 : line.substr(at + 6, line.find_first_of(" \\", at + 6) - at - 6);
}

TEST_F(NetworkRootTest, DisconnectGivesBackTheTxQueueLengthOfACniVeth) {
  make_veth("1500", "0");
  EXPECT_EQ(qlen(ns()), "");
  auto conn = connect(ns(), ifindex_of(ns(), "veth0"));
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_EQ(conn->redirect.veth_tx_queue_len, 0u);
  EXPECT_EQ(qlen(ns()), "1000") << "the kernel gives a queue to a device that gets a qdisc";
  ASSERT_TRUE(disconnect(ns(), conn->redirect));
  EXPECT_EQ(qlen(ns()), "");
}

TEST_F(NetworkRootTest, DisconnectLeavesSomebodyElsesIngressAsFound) {
  make_veth();
  KATA_RUN_IN(ns(), "tc", "qdisc", "add", "dev", "veth0", "ingress");
  // act_gact (`action pass`) is not built on every kernel; mirred is, as tcfilter needs it.
  KATA_RUN_IN(ns(), "tc", "filter", "add", "dev", "veth0", "ingress", "prio", "100", "protocol",
              "ip", "u32", "match", "ip", "dst", "192.0.2.1/32", "action", "mirred", "egress",
              "mirror", "dev", "peer0");
  std::string qdiscs = must(ns(), {"tc", "qdisc", "show", "dev", "veth0"});
  std::string filters = must(ns(), {"tc", "filter", "show", "dev", "veth0", "ingress"});
  std::string links = must(ns(), {"ip", "-o", "link"});

  auto conn = connect(ns(), ifindex_of(ns(), "veth0"));
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_FALSE(conn->redirect.veth_ingress_added);
  expect_traffic_both_ways(ns(), conn->tap.fd.get());
  ASSERT_TRUE(disconnect(ns(), conn->redirect));

  EXPECT_EQ(must(ns(), {"tc", "qdisc", "show", "dev", "veth0"}), qdiscs);
  EXPECT_EQ(must(ns(), {"tc", "filter", "show", "dev", "veth0", "ingress"}), filters);
  EXPECT_EQ(must(ns(), {"ip", "-o", "link"}), links);
}

TEST_F(NetworkRootTest, TapMadeAtBootIsRedirectedWhenTheVethAppears) {
  auto tap = make_tap(ns(), "tap0_kata", 1500);
  ASSERT_TRUE(tap) << tap.error().message();
  EXPECT_GT(tap->ifindex, 0);

  make_veth();  // as `ctr run --cni` does, after the VM is up
  int veth = ifindex_of(ns(), "veth0");
  auto r = redirect(ns(), tap->ifindex, veth);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->veth_ingress_added);
  expect_traffic_both_ways(ns(), tap->fd.get());

  auto second = make_tap(ns(), "tap9", 1500);
  ASSERT_TRUE(second);
  auto busy = redirect(ns(), second->ifindex, veth);
  ASSERT_FALSE(busy) << "the veth is redirected already";
  EXPECT_EQ(busy.error().code(), Code::kAlreadyExists) << busy.error().message();
  EXPECT_FALSE(contains(must(ns(), {"tc", "qdisc", "show", "dev", "tap9"}), "ingress"))
      << "the failed redirect took back what it added";

  auto not_a_tap = redirect(ns(), veth, tap->ifindex);
  ASSERT_FALSE(not_a_tap);
  EXPECT_EQ(not_a_tap.error().code(), Code::kInvalidArgument);

  ASSERT_TRUE(disconnect(ns(), *r));
  EXPECT_FALSE(contains(must(ns(), {"ip", "link"}), "tap0_kata"));
}

// What a crash leaves: the redirect of veth0 to a tap that died with its last fd (QEMU's
// and the service's). Returns the record the sandbox state kept.
Redirect crashed_redirect(const NetNs& ns) {
  Redirect r;
  {
    auto conn = connect(ns, ifindex_of(ns, "veth0"));
    EXPECT_TRUE(conn) << conn.error().message();
    if (!conn) return {};
    r = conn->redirect;
  }  // closes the tap's only fd: the tap goes, the veth's filter stays
  std::string filters = must(ns, {"tc", "filter", "show", "dev", "veth0", "ingress"});
  EXPECT_TRUE(contains(filters, "Egress Redirect to device *")) << filters;
  return r;
}

TEST_F(NetworkRootTest, LeftoverOfACrashIsRemovedFromTheRecord) {
  make_veth("1500", "0");  // as CNI makes it: the qdisc we add sets its qlen to 1000
  std::string before = must(ns(), {"tc", "qdisc", "show", "dev", "veth0"}) + qlen(ns());
  Redirect r = crashed_redirect(ns());
  ASSERT_GT(r.veth_ifindex, 0);

  auto removed = remove_leftover(ns(), r);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(removed->filter_removed);
  EXPECT_TRUE(removed->qdisc_removed);
  EXPECT_EQ(removed->left_alone, "");
  EXPECT_EQ(must(ns(), {"tc", "filter", "show", "dev", "veth0", "ingress"}), "");
  EXPECT_EQ(must(ns(), {"tc", "qdisc", "show", "dev", "veth0"}) + qlen(ns()), before);

  auto again = remove_leftover(ns(), r);  // containerd may run delete twice
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE(again->filter_removed || again->qdisc_removed);
}

TEST_F(NetworkRootTest, LeftoverOfACrashWhileTheTapLivesGoesWithTheTap) {
  // QEMU killed, the tap's last fd still held (a service stuck in exit): the filter still
  // names the tap, which is ours by ifindex and name.
  make_veth();
  auto conn = connect(ns(), ifindex_of(ns(), "veth0"));
  ASSERT_TRUE(conn) << conn.error().message();
  auto removed = remove_leftover(ns(), conn->redirect);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_TRUE(removed->filter_removed && removed->qdisc_removed) << removed->left_alone;
  EXPECT_EQ(must(ns(), {"tc", "filter", "show", "dev", "veth0", "ingress"}), "");
  EXPECT_FALSE(contains(must(ns(), {"ip", "link"}), "tap0_kata"));
}

// The caller reused its namespace after the crash; each case must leave what it finds.
TEST_F(NetworkRootTest, LeftoverRemovalLeavesWhatIsNoLongerOurs) {
  struct Case {
    std::string name;
    std::vector<std::string> reuse;  // commands run after the crash, words split at spaces
    std::string why;                 // in left_alone
  };
  const std::string del_ours = "tc filter del dev veth0 ingress prio 1";
  const std::vector<Case> cases = {
      {"somebody's mirror at our priority",
       {del_ours,
        "tc filter add dev veth0 ingress prio 1 protocol all u32 match u8 0 0 "
        "action mirred egress mirror dev peer0"},
       "`mirred` action"},
      {"somebody's redirect at our priority",
       {del_ours,
        "tc filter add dev veth0 ingress prio 1 protocol all u32 match u8 0 0 "
        "action mirred egress redirect dev peer0"},
       "a redirect to link"},
      {"the veth renamed", {"ip link set veth0 name other0"}, "now, not `veth0`"},
      {"the veth replaced",
       {"ip link del veth0", "ip link add veth0 type veth peer name peer0"},
       "is gone"},
      {"somebody's filter under our qdisc",
       {del_ours,
        "tc filter add dev veth0 ingress prio 7 protocol ip u32 match ip dst 192.0.2.1/32 "
        "action mirred egress mirror dev peer0"},
       "other filters are under its qdisc"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto fresh = NetNs::create();
    ASSERT_TRUE(fresh) << fresh.error().message();
    ns_.emplace(std::move(*fresh));
    make_veth();
    Redirect r = crashed_redirect(ns());
    for (const std::string& cmd : c.reuse) {
      auto done = run_tool(ns(), split(cmd, ' '));
      ASSERT_TRUE(done) << done.error().message();
    }
    std::string dev = c.name == "the veth renamed" ? "other0" : "veth0";
    std::string found = must(ns(), {"tc", "qdisc", "show", "dev", dev}) +
                        must(ns(), {"tc", "filter", "show", "dev", dev, "ingress"});
    auto removed = remove_leftover(ns(), r);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_FALSE(removed->filter_removed);
    EXPECT_FALSE(removed->qdisc_removed);
    EXPECT_TRUE(contains(removed->left_alone, c.why)) << removed->left_alone;
    EXPECT_EQ(must(ns(), {"tc", "qdisc", "show", "dev", dev}) +
                  must(ns(), {"tc", "filter", "show", "dev", dev, "ingress"}),
              found);
  }
}

TEST_F(NetworkRootTest, MakeTapRefusesAnExistingNameAndDiesWithItsFd) {
  make_veth();
  auto busy = make_tap(ns(), "veth0", 1500);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), Code::kAlreadyExists) << busy.error().message();
  EXPECT_FALSE(make_tap(ns(), "a/b", 1500));

  auto tap = make_tap(ns(), "tapz", 1500);
  ASSERT_TRUE(tap) << tap.error().message();
  EXPECT_EQ(make_tap(ns(), "tapz", 1500).error().code(), Code::kAlreadyExists);
  EXPECT_TRUE(contains(must(ns(), {"ip", "link"}), "tapz"));
  tap->fd.reset();
  EXPECT_FALSE(contains(must(ns(), {"ip", "link"}), "tapz")) << "not persistent";
}

TEST_F(NetworkRootTest, NamespaceIsGoneOnceItsLastFdIsClosed) {
  // A veth with one end in a second namespace: the kernel deletes the pair when that
  // namespace is destroyed, which the end left in ours shows.
  auto created = NetNs::create();
  ASSERT_TRUE(created) << created.error().message();
  std::optional<NetNs> inner(std::move(*created));
  std::string inner_path =
      "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(inner->fd());
  KATA_RUN_IN(ns(), "ip", "link", "add", "a0", "type", "veth", "peer", "name", "b0", "netns",
              inner_path);
  auto there = scan(*inner);
  ASSERT_TRUE(there);
  ASSERT_NE(find(*there, "b0"), nullptr);
  ASSERT_NE(find(*scan(ns()), "a0"), nullptr);

  inner.reset();  // its only reference
  // Namespace teardown runs on a kernel workqueue: wait for it, with a deadline.
  auto deadline = steady_clock::now() + std::chrono::seconds(20);
  bool gone = false;
  while (!gone && steady_clock::now() < deadline) {
    auto ifs = scan(ns());
    ASSERT_TRUE(ifs);
    gone = find(*ifs, "a0") == nullptr;
    if (!gone) ::usleep(20 * 1000);
  }
  EXPECT_TRUE(gone) << "the inner namespace outlived its last fd";
}

}  // namespace
}  // namespace kata::resource::network
