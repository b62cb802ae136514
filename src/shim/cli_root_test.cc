// Runs the real containerd-shim-kata-v2 `start` and its daemon (label root:
// the socket lives in /run/containerd/s, where containerd expects it).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "containerd/shim.pb.h"
#include "shim/address.h"
#include "shim/task_handlers.h"
#include "shim/task_service_test_util.h"
#include "sys/subprocess.h"
#include "sys/unix_socket.h"
#include "ttrpc/client.h"

namespace kata::shim {
namespace {

using namespace std::chrono_literals;

Result<sys::CapturedOutput> run_shim(std::vector<std::string> args, const std::string& cwd) {
  sys::SpawnOptions options;
  options.argv = {KATA_SHIM_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.cwd = cwd;
  return sys::run_capture(options, 30s);
}

TEST(ShimCliRoot, StartLeavesADaemonThatShutsDown) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::TempDir dir;
  std::string bundle = testing::make_bundle(dir.path(), "b");
  std::string containerd = dir.path() + "/c.sock";
  std::vector<std::string> flags = {"-namespace",      "n",         "-address", containerd,
                                    "-publish-binary", "/bin/true", "-id",      "s1"};
  std::vector<std::string> start = flags;
  start.push_back("start");
  Result<sys::CapturedOutput> out = run_shim(start, bundle);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->status.code, 0) << out->err;
  std::string address = socket_address(containerd, "n", "s1");
  EXPECT_EQ(out->out, address);
  std::string written;
  std::getline(std::ifstream(bundle + "/address"), written);
  EXPECT_EQ(written, address);
  int pid = 0;
  std::ifstream(bundle + "/shim.pid") >> pid;
  ASSERT_GT(pid, 0);

  // A second start finds the live shim and prints the same address.
  Result<sys::CapturedOutput> again = run_shim(start, bundle);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->out, address);

  // containerd runs `delete` whenever a connection to the shim closes, also when the
  // daemon lives on (a Shutdown it declined): a live daemon is left alone.
  std::vector<std::string> del = flags;
  del.insert(del.end(), {"-bundle", bundle, "delete"});
  Result<sys::CapturedOutput> deleted = run_shim(del, bundle);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->status.code, 0) << deleted->err;
  EXPECT_EQ(::kill(pid, 0), 0) << "delete ended a live daemon";
  std::string path = *socket_path(address);
  EXPECT_TRUE(std::filesystem::exists(path)) << "delete removed a live daemon's socket";

  Result<UniqueFd> fd = sys::connect_unix(path);
  ASSERT_TRUE(fd) << fd.error().message();
  {
    ttrpc::Client client(std::move(*fd));
    auto connect = client.call<task::ConnectRequest, task::ConnectResponse>(
        kTaskServiceName, "Connect", task::ConnectRequest(), 5s);
    ASSERT_TRUE(connect) << connect.error().message();
    EXPECT_EQ(connect->shim_pid(), static_cast<uint32_t>(pid));
    // The reply may be lost to the exit (containerd ignores that), the exit may not.
    (void)client.call<task::ShutdownRequest, Empty>(kTaskServiceName, "Shutdown",
                                                    task::ShutdownRequest(), 5s);
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(::kill(pid, 0), 0) << "the daemon did not exit";
  EXPECT_FALSE(std::filesystem::exists(path)) << "socket left behind";
  if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
}

}  // namespace
}  // namespace kata::shim
