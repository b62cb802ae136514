// Runs the real containerd-shim-kata-v2 binary: the CLI contract containerd relies on.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "containerd/shim.pb.h"
#include "shim/task_service_test_util.h"
#include "sys/subprocess.h"

namespace kata::shim {
namespace {

using namespace std::chrono_literals;

Result<sys::CapturedOutput> run_shim(std::vector<std::string> args, const std::string& cwd = "") {
  sys::SpawnOptions options;
  options.argv = {KATA_SHIM_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.cwd = cwd;
  return sys::run_capture(options, 30s);
}

TEST(ShimCli, VersionAndUsageErrors) {
  Result<sys::CapturedOutput> version = run_shim({"-v"});
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(version->status.code, 0);
  EXPECT_NE(version->out.find(KATA_VERSION), std::string::npos);

  for (std::vector<std::string> bad : {std::vector<std::string>{"-nope"},
                                       {"-namespace", "n", "-id", "x", "frobnicate"},
                                       {"-id", "x", "start"},
                                       {"-namespace"}}) {
    Result<sys::CapturedOutput> out = run_shim(bad);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->status.code, 2) << bad[0];
    EXPECT_FALSE(out->err.empty());
    EXPECT_TRUE(out->out.empty());  // stdout belongs to containerd
  }
}

// An id that is a flag, or not a safe path component, stops every verb before it does
// anything: no socket, no daemon, nothing written to the bundle, nothing on stdout.
TEST(ShimCli, InvalidIdsStartNothing) {
  testing::TempDir dir;
  std::string bundle = testing::make_bundle(dir.path(), "b");
  std::vector<std::string> common = {
      "-namespace", "n", "-address", dir.path() + "/c.sock", "-publish-binary", "/bin/true"};
  struct Case {
    std::vector<std::string> args;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {{"-id", "-debug", "start"}, "flag needs an argument: -id (got the flag `-debug`)"},
           {{"-id=-debug", "start"}, "invalid id `-debug`: starts with '-'"},
           {{"-id=../x", "start"}, "invalid id `../x`"},
           {{"-id=-debug"}, "invalid id `-debug`"},
           {{"-id", "a/b", "-bundle", bundle, "delete"}, "invalid id `a/b`"}}) {
    std::vector<std::string> args = common;
    args.insert(args.end(), c.args.begin(), c.args.end());
    Result<sys::CapturedOutput> out = run_shim(args, bundle);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(out->status.code, 2) << c.args[0];
    EXPECT_NE(out->err.find(c.error), std::string::npos) << out->err;
    EXPECT_TRUE(out->out.empty()) << out->out;
  }
  for (const char* file : {"address", "shim.pid"}) {
    EXPECT_FALSE(std::ifstream(bundle + "/" + file).good()) << file;
  }
}

TEST(ShimCli, DeletePrintsADeleteResponse) {
  testing::TempDir dir;
  std::string bundle = testing::make_bundle(dir.path(), "b");
  Result<sys::CapturedOutput> out =
      run_shim({"-namespace", "n", "-address", dir.path() + "/c.sock", "-publish-binary",
                "/bin/true", "-id", "kata-shim-test-no-such-sandbox", "-bundle", bundle, "delete"});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->status.code, 0) << out->err;
  containerd::task::v2::DeleteResponse resp;
  ASSERT_TRUE(resp.ParseFromString(out->out));
  EXPECT_EQ(resp.exit_status(), 137u);
  EXPECT_GT(resp.exited_at().seconds(), 0);
}

}  // namespace
}  // namespace kata::shim
