// Networking through a real containerd (Debian's 1.6), issue 11, under io.containerd.runc.v2
// (the reference) and io.containerd.kata.v2 with the same observations, on Debian's CNI
// bridge plugin on a private subnet (cni_env.h), set up the two ways callers do:
// - `ctr run --cni`: ctr runs the plugins in the namespace of the task's pid after the
//   task is created; for Kata++ that is QEMU's, which must be the sandbox's own and never
//   the host's;
// - as CRI and podman: the harness makes a namespace, runs the plugins itself (CNI exec
//   protocol, with portmap's portMappings) and passes it with `ctr run --with-ns`.
// Observed: eth0 with exactly the address, MAC, MTU and default route of CNI's result;
// traffic host → container, container → host, container ↔ container and through a
// published host port; a container without network sees only lo; after delete the CNI
// namespace holds no tap, qdisc or filter of ours. After every test the host's own
// interfaces, addresses and routes are as they were, and every sandbox is leak-checked.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/strings.h"
#include "e2e/cni_env.h"
#include "e2e/containerd_env.h"
#include "e2e/expect_ctr.h"
#include "e2e/http_server.h"
#include "e2e/leak_check.h"
#include "e2e/net_snapshot.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

// portmap's host port for the server's httpd (8080). The suite runs under
// /tmp/kata-net-e2e.lock, so no other run publishes it at the same time.
constexpr int kHostPort = 18080;

std::unique_ptr<ContainerdEnv> g_env;
std::unique_ptr<CniEnv> g_cni;
std::string g_env_error;
std::string g_host_before;  // ip_snapshot() of the host once the bridge exists

// The bridge plugin creates its bridge on the host at the first ADD: one ADD/DEL in a
// throwaway namespace first, so that the host snapshot has it and every test can be held to
// "the host is exactly as before". The port stays until the bridge's IPv6 link-local
// address has passed duplicate address detection, which it does only while it has carrier:
// the snapshot then holds the bridge as CNI leaves it after any use.
Result<std::string> prepare_host() {
  KATA_ASSIGN_OR_RETURN(auto warmup, g_cni->add_namespace(g_env->unique_id("warmup")));
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    Result<std::string> addr = run_in_netns("", {"ip", "-o", "addr", "show", "dev", kCniBridge});
    if (addr && addr->find("tentative") == std::string::npos) break;
  }
  KATA_TRY(warmup->remove());
  return settled_ip_snapshot(10s);
}

class NetworkEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto env = ContainerdEnv::start(default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
    if (!env) {
      g_env_error = env.error().message();
      return;
    }
    g_env = std::move(*env);
    auto cni = CniEnv::install(g_env->dir());
    if (!cni) {
      g_env_error = cni.error().message();
      return;
    }
    g_cni = std::move(*cni);
    Result<std::string> host = prepare_host();
    if (!host) g_env_error = host.error().message();
    g_host_before = host ? *host : "";
  }
  void TearDown() override {
    g_env.reset();
    g_cni.reset();  // after containerd: no task left to hold the bridge
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new NetworkEnvironment);

ino_t netns_inode(pid_t pid) {
  struct stat st {};
  std::string path = pid > 0 ? "/proc/" + std::to_string(pid) + "/ns/net" : "/proc/self/ns/net";
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string without_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// eth0 as `ip -o link show eth0`, `ip -o -4 addr show eth0` and `ip route` (busybox's or
// iproute2's) print it.
struct Eth0View {
  std::string mac;
  int mtu = 0;
  std::vector<std::string> inet;            // "10.99.7.2/24"
  std::vector<std::string> default_routes;  // "default via 10.99.7.1 dev eth0"
};

Eth0View parse_eth0(const std::string& out) {
  Eth0View v;
  for (const std::string& line : split(out, '\n')) {
    std::vector<std::string> words = split(line, ' ');
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] == "link/ether") v.mac = words[i + 1];
      if (words[i] == "mtu" && line.find("eth0") != std::string::npos)
        v.mtu = std::atoi(words[i + 1].c_str());
      if (words[i] == "inet") v.inet.push_back(words[i + 1]);
    }
    if (starts_with(line, "default")) v.default_routes.emplace_back(trim(line));
  }
  return v;
}

// The MTU the container must see: CNI's result's, else its eth0's in the namespace.
int expected_mtu(const CniNamespace& ns) {
  if (ns.result().mtu > 0) return ns.result().mtu;
  Result<std::string> link = run_in_netns(ns.path(), {"ip", "-o", "link", "show", "eth0"});
  EXPECT_TRUE(link) << link.error().message();
  return link ? parse_eth0(*link).mtu : 0;
}

void expect_eth0_is_cnis(const std::string& container_out, const CniNamespace& ns) {
  const CniResult& cni = ns.result();
  Eth0View eth0 = parse_eth0(container_out);
  std::string context = fmt::format("\ncontainer:\n{}\nCNI result: {}", container_out, cni.json);
  EXPECT_EQ(eth0.inet, std::vector<std::string>{cni.address}) << context;
  EXPECT_EQ(eth0.mac, cni.mac) << context;
  EXPECT_GT(eth0.mtu, 0) << context;
  EXPECT_EQ(eth0.mtu, expected_mtu(ns)) << context;
  ASSERT_EQ(eth0.default_routes.size(), 1u) << context;
  EXPECT_TRUE(starts_with(eth0.default_routes[0], "default via " + cni.default_gateway + " "))
      << context;
  EXPECT_NE(eth0.default_routes[0].find(" dev eth0"), std::string::npos) << context;
}

class NetworkTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(g_env && g_cni && g_env_error.empty()) << "no environment: " << g_env_error;
    sockets_before_ = shim_socket_snapshot();
  }
  void TearDown() override {
    if (!g_env) return;
    EXPECT_EQ(g_env->remove_and_find_leaks(ids_, sockets_before_), "");
    // Polled: the bridge's carrier follows the removal of its last port a moment later.
    Result<std::string> diff = ip_diff_within(g_host_before, 10s);
    ASSERT_TRUE(diff) << diff.error().message();
    EXPECT_EQ(*diff, "") << "the host's own network namespace changed (- before, + now)";
  }

  bool kata() const { return std::string(GetParam()) == kKataRuntime; }

  // Kata++ only: runc's shim reports no network. Traffic has flowed both ways,
  // so the guest's eth0 counted bytes each way; `lo` is not a container NIC.
  void expect_guest_counters(const std::string& id) const {
    CtrResult metrics = expect_ctr(*g_env, {"task", "metrics", "--format", "json", id}, 30s);
    ASSERT_EQ(metrics.exit_code, 0) << metrics.describe();
    nlohmann::json parsed = nlohmann::json::parse(metrics.out, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << metrics.describe();
    ASSERT_TRUE(parsed.contains("network") && parsed["network"].is_array()) << metrics.out;
    const nlohmann::json* eth0 = nullptr;
    for (const nlohmann::json& nic : parsed["network"]) {
      ASSERT_TRUE(nic.is_object()) << metrics.out;
      EXPECT_NE(nic.value("name", ""), "lo") << metrics.out;
      if (nic.value("name", "") == "eth0") eth0 = &nic;
    }
    ASSERT_NE(eth0, nullptr) << "no eth0 in the task metrics: " << metrics.out;
    EXPECT_GT(eth0->value("rx_bytes", uint64_t{0}), 0u) << metrics.out;
    EXPECT_GT(eth0->value("tx_bytes", uint64_t{0}), 0u) << metrics.out;
  }

  std::vector<std::string> run_with_ns(const CniNamespace& ns, const std::string& script) const {
    return g_env->ctr_argv({"run", "--rm", "--with-ns", "network:" + ns.path(), "--runtime",
                            GetParam(), g_env->image(), ns.container_id(), "sh", "-c", script});
  }
  // The client container: fetches the server's page and the host's, then exits.
  void expect_client_reaches(const CniNamespace& client, const CniNamespace& server,
                             const HttpServer& host);
  // While a Kata++ sandbox runs, its tap and redirects are in the namespace (so that the
  // after-delete check is not vacuous) and not in the host's; runc adds none.
  void expect_plumbing_while_running(const CniNamespace& ns);

  std::vector<std::string> ids_;
  std::set<std::string> sockets_before_;
};

TEST_P(NetworkTest, CtrRunCniGivesTheContainerItsAddressAndServesTheHost) {
  std::string id = g_env->unique_id("net");
  ids_.push_back(id);
  ino_t host_ns = netns_inode(0);
  auto run = BackgroundProcess::spawn(g_env->ctr_argv(
      {"run", "--rm", "--cni", "--runtime", GetParam(), g_env->image(), id, "sh", "-c",
       "ip -o -4 addr show eth0; ip route; echo hello-from-$(hostname) > /tmp/index.html; "
       "echo serving; exec httpd -f -p 8080 -h /tmp"}));
  ASSERT_TRUE(run) << run.error().message();
  Result<void> serving = run->wait_for_stdout("serving", 180s);
  ASSERT_TRUE(serving) << serving.error().message() << "\n" << run->err() << g_env->log_tail();

  std::string address = g_cni->address_of(id);
  ASSERT_FALSE(address.empty()) << "host-local leased nothing for " << id;
  EXPECT_NE(run->out().find("inet " + address + "/24"), std::string::npos)
      << "eth0 without CNI's address " << address << ":\n"
      << run->out();
  EXPECT_NE(run->out().find(std::string("default via ") + kCniGateway), std::string::npos)
      << run->out();
  EXPECT_NE(fetch_until_ok(address, 8080, "/index.html", 60s).find("hello-from-"),
            std::string::npos)
      << "the host cannot reach httpd at " << address;

  // The task pid is where ctr ran CNI: never the host's namespace.
  CtrResult tasks = expect_ctr(*g_env, {"task", "ls"}, 30s);
  for (const std::string& line : split(tasks.out, '\n')) {
    if (line.rfind(id + " ", 0) != 0) continue;
    pid_t pid = std::stoi(std::string(trim(line.substr(id.size()))));
    EXPECT_NE(netns_inode(pid), host_ns) << "task pid " << pid << " is in the host's namespace";
  }
  EXPECT_EQ(netns_inode(0), host_ns);

  expect_ctr(*g_env, {"task", "kill", "-s", "SIGKILL", id}, 60s);
  auto done = run->wait(120s);
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_TRUE(g_cni->address_of(id).empty()) << "ctr --rm releases the lease";
}

void NetworkTest::expect_plumbing_while_running(const CniNamespace& ns) {
  Result<std::string> now = tc_snapshot(ns.path());
  ASSERT_TRUE(now) << now.error().message();
  bool tap = now->find("_kata") != std::string::npos;
  bool redirect = now->find("mirred") != std::string::npos;
  EXPECT_EQ(tap, kata()) << "tap of the sandbox in " << ns.path() << ":\n" << *now;
  EXPECT_EQ(redirect, kata()) << "tc redirect on eth0 in " << ns.path() << ":\n" << *now;
  // The plumbing is in the caller's namespace, never in the host's.
  Result<std::string> host = run_in_netns("", {"ip", "-o", "link"});
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_EQ(host->find("_kata"), std::string::npos) << "a tap in the host's namespace:\n" << *host;
}

void NetworkTest::expect_client_reaches(const CniNamespace& client, const CniNamespace& server,
                                        const HttpServer& host) {
  // busybox wget: an IP literal needs no name lookup; its own -T crashes, hence timeout.
  std::string script = fmt::format(
      "echo server:; timeout 30 wget -q -O - http://{}:8080/index.html; echo; "
      "echo host:; timeout 30 wget -q -O - http://{}:{}/; echo; echo done",
      without_prefix(server.result().address), kCniGateway, host.port());
  Result<CtrResult> run = run_captured(run_with_ns(client, script), 180s);
  ASSERT_TRUE(run) << run.error().message() << g_env->log_tail();
  EXPECT_NE(run->out.find("server:\npage-of-" + server.container_id()), std::string::npos)
      << "container ↔ container: " << run->describe();
  EXPECT_NE(run->out.find("host:\npage-of-the-host"), std::string::npos)
      << "container → host: " << run->describe();
  // No NAT on the way: the host sees the address CNI gave the container.
  std::vector<std::string> clients = host.clients();
  EXPECT_NE(std::find(clients.begin(), clients.end(), without_prefix(client.result().address)),
            clients.end())
      << "the host's server saw " << fmt::format("{}", fmt::join(clients, ", "));
}

// Scenarios 1-4 and 7 of issue 11 on two sandboxes: the server's eth0 against CNI's result,
// host → server directly and through portmap's host port, client → server and client →
// host, then the server's namespace without our plumbing after delete.
TEST_P(NetworkTest, CniNamespaceCarriesCniResultAndTrafficFlowsEveryWay) {
  std::string server_id = g_env->unique_id("srv"), client_id = g_env->unique_id("cli");
  ids_ = {server_id, client_id};
  auto server_ns =
      g_cni->add_namespace(server_id, {{.host_port = kHostPort, .container_port = 8080}});
  ASSERT_TRUE(server_ns) << server_ns.error().message();
  auto client_ns = g_cni->add_namespace(client_id);
  ASSERT_TRUE(client_ns) << client_ns.error().message();
  const CniNamespace& server = **server_ns;
  Result<std::string> plumbing_before = tc_snapshot(server.path());
  ASSERT_TRUE(plumbing_before) << plumbing_before.error().message();
  auto host = HttpServer::start(kCniGateway, "page-of-the-host");
  ASSERT_TRUE(host) << host.error().message();

  auto run = BackgroundProcess::spawn(run_with_ns(
      server, "ip -o link show eth0; ip -o -4 addr show eth0; ip route; echo page-of-" + server_id +
                  " > /tmp/index.html; echo serving; exec httpd -f -p 8080 -h /tmp"));
  ASSERT_TRUE(run) << run.error().message();
  Result<void> serving = run->wait_for_stdout("serving", 180s);
  ASSERT_TRUE(serving) << serving.error().message() << "\n" << run->err() << g_env->log_tail();
  expect_eth0_is_cnis(run->out(), server);

  std::string page = "page-of-" + server_id;
  std::string address = without_prefix(server.result().address);
  EXPECT_NE(fetch_until_ok(address, 8080, "/index.html", 60s).find(page), std::string::npos)
      << "host → container: nothing from httpd at " << address << ":8080";
  // portmap DNATs in OUTPUT for any local destination address; the bridge's is one, and
  // needs no route_localnet as 127.0.0.1 would.
  EXPECT_NE(http_get(kCniGateway, kHostPort, "/index.html").find(page), std::string::npos)
      << "host port " << kCniGateway << ":" << kHostPort << " does not reach the container";
  expect_plumbing_while_running(server);
  expect_client_reaches(**client_ns, server, **host);
  if (kata()) expect_guest_counters(server_id);

  expect_ctr(*g_env, {"task", "kill", "-s", "SIGKILL", server_id}, 60s);
  auto done = run->wait(120s);
  ASSERT_TRUE(done) << done.error().message();
  Result<std::string> plumbing_after = tc_snapshot(server.path());
  ASSERT_TRUE(plumbing_after) << plumbing_after.error().message();
  EXPECT_EQ(diff_lines(*plumbing_before, *plumbing_after), "")
      << "the CNI namespace after delete (- before the container, + now)";
  Result<void> removed = (*server_ns)->remove();
  EXPECT_TRUE(removed) << removed.error().message();
  removed = (*client_ns)->remove();
  EXPECT_TRUE(removed) << removed.error().message();
}

// Like runc in a network namespace of its own: no --cni, no --with-ns, only lo.
TEST_P(NetworkTest, WithoutNetworkTheContainerSeesOnlyLo) {
  std::string id = g_env->unique_id("nonet");
  ids_.push_back(id);
  CtrResult run =
      expect_ctr(*g_env, g_env->run_args(GetParam(), id, {"sh", "-c", "ip -o link"}), 180s);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  std::vector<std::string> names;
  for (const std::string& line : split(run.out, '\n')) {
    std::vector<std::string> words = split(line, ' ');
    if (words.size() < 3) continue;
    names.push_back(words[1].substr(0, words[1].find_first_of(":@")));
    // runc brings lo up in a namespace it creates (its "loopback" network).
    if (names.back() == "lo") {
      EXPECT_TRUE(words[2].find("UP") != std::string::npos) << "lo is down (runc brings it up):\n"
                                                            << run.out;
    }
  }
  EXPECT_EQ(names, std::vector<std::string>{"lo"}) << run.out;
}

// The link names of `ip -o link` output ("2: eth0@if5: <...>" → "eth0").
std::vector<std::string> link_names(const std::string& ip_link) {
  std::vector<std::string> names;
  for (const std::string& line : split(ip_link, '\n')) {
    std::vector<std::string> words = split(line, ' ');
    if (words.size() >= 2) names.push_back(words[1].substr(0, words[1].find_first_of(":@")));
  }
  return names;
}

// Host networking: runc shares the host's namespace; a VM cannot, so Kata++ refuses it by
// name, whether the spec has no network entry (`ctr run --net-host`) or names the host's
// own namespace by path (as Docker does for --net=host), rather than run it isolated.
TEST_P(NetworkTest, HostNetworkIsSharedByRuncAndRefusedByKata) {
  Result<std::string> host_links = run_in_netns("", {"ip", "-o", "link"});
  ASSERT_TRUE(host_links) << host_links.error().message();
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--net-host"},
        std::vector<std::string>{"--with-ns", "network:/proc/self/ns/net"}}) {
    std::string id = g_env->unique_id("hostnet");
    ids_.push_back(id);
    CtrResult run = expect_ctr(
        *g_env, g_env->run_args(GetParam(), id, {"sh", "-c", "ip -o link"}, flags), 180s);
    if (!kata()) {
      ASSERT_EQ(run.exit_code, 0) << run.describe();
      EXPECT_EQ(link_names(run.out), link_names(*host_links))
          << "runc's container must see the host's links (" << flags[0] << ")";
      continue;
    }
    EXPECT_NE(run.exit_code, 0) << run.describe();
    std::string named = flags[0] == "--net-host" ? "no `network` entry" : "is the host's own";
    EXPECT_NE(run.err.find(named), std::string::npos) << run.describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Runtimes, NetworkTest, ::testing::Values(kRuncRuntime, kKataRuntime),
                         [](const auto& info) {
                           return std::string(info.param) == kKataRuntime ? "kata" : "runc";
                         });

}  // namespace
}  // namespace kata::e2e
