// Networking through a real containerd (Debian's 1.6), issue 11: `ctr run --cni` with
// Debian's CNI bridge plugin on a private subnet, under io.containerd.runc.v2 (the
// reference) and io.containerd.kata.v2, with the same observations: the container's
// eth0 has the address host-local leased and the default route via the bridge, and
// busybox httpd in the container answers the host. ctr runs the plugins in the
// namespace of the task's pid after the task is created: for Kata++ that is QEMU's,
// which must be the sandbox's own and never the host's. Every sandbox is
// leak-checked afterwards.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "e2e/cni_env.h"
#include "e2e/containerd_env.h"
#include "e2e/expect_ctr.h"
#include "e2e/leak_check.h"
#include "sys/subprocess.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ContainerdEnv> g_env;
std::unique_ptr<CniEnv> g_cni;
std::string g_env_error;

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

// One HTTP/1.0 GET of `address`:8080 over a plain socket (Debian's static busybox
// wget crashes in its name lookup on the host); the whole answer, "" on failure.
std::string http_get(const std::string& address) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(8080);
  timeval timeout{5, 0};
  if (!fd || ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return "";
  std::string request = "GET /index.html HTTP/1.0\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) return "";
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  return out;
}

// The page busybox httpd in the container serves, fetched from the host; retried while
// httpd starts.
std::string fetch(const std::string& address) {
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
    std::string page = http_get(address);
    if (page.find("200 OK") != std::string::npos) return page;
  }
  return "";
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
  }

  std::vector<std::string> ids_;
  std::set<std::string> sockets_before_;
};

TEST_P(NetworkTest, CtrRunCniGivesTheContainerItsAddressAndServesTheHost) {
  const char* runtime = GetParam();
  std::string id = g_env->unique_id("net");
  ids_.push_back(id);
  ino_t host_ns = netns_inode(0);
  auto run = BackgroundProcess::spawn(g_env->ctr_argv(
      {"run", "--rm", "--cni", "--runtime", runtime, g_env->image(), id, "sh", "-c",
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
  EXPECT_NE(fetch(address).find("hello-from-"), std::string::npos)
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

INSTANTIATE_TEST_SUITE_P(Runtimes, NetworkTest, ::testing::Values(kRuncRuntime, kKataRuntime),
                         [](const auto& info) {
                           return std::string(info.param) == kKataRuntime ? "kata" : "runc";
                         });

}  // namespace
}  // namespace kata::e2e
