// Docker 20.10 with kata-runtime added as a runtime (`dockerd --add-runtime
// kata=...`, so containerd's runc shim drives kata-runtime's runc command line;
// issue 13), each scenario also under Docker's runc with the same assertions:
// run's output and exit code, a terminal, a detached container with exec, logs,
// stop and rm. After every container nothing of its sandbox is left.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/docker_env.h"
#include "e2e/leak_check.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::string trimmed(std::string_view text) { return std::string(trim(text)); }

class DockerTest : public ::testing::TestWithParam<OciRuntime> {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<DockerEnv>> env =
        DockerEnv::start(default_podman_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
    if (!env) {
      setup_error_ = new std::string(env.error().message());
      return;
    }
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    if (env_ == nullptr) FAIL() << "docker env: " << *setup_error_;
    sockets_before_ = shim_socket_snapshot();
  }
  void TearDown() override {
    for (const std::string& id : ids_) {
      (void)env_->docker({"rm", "-f", id}, 120s);
      LeakReport leaks = wait_for_no_leaks(id, "", "", sockets_before_);
      EXPECT_TRUE(leaks.clean()) << "container " << id << ":" << leaks.describe();
    }
  }

  CtrResult docker(const std::vector<std::string>& args) {
    Result<CtrResult> out = env_->docker(args);
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : CtrResult{};
  }
  // docker run with this test's runtime, its id kept for the leak check (--cidfile).
  CtrResult run(const std::vector<std::string>& flags, const std::vector<std::string>& cmd,
                bool on_pty = false) {
    std::string cidfile = fmt::format("{}/cid-{}", env_->dir(), ++next_cid_);
    std::vector<std::string> args = {"run", "--runtime", DockerEnv::runtime_flag(GetParam()),
                                     "--cidfile", cidfile};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(env_->image());
    args.insert(args.end(), cmd.begin(), cmd.end());
    Result<CtrResult> out = on_pty ? env_->docker_on_pty(args) : env_->docker(args);
    EXPECT_TRUE(out) << out.error().message();
    if (Result<std::string> id = fs::read_file(cidfile); id) ids_.push_back(trimmed(*id));
    return out ? *out : CtrResult{};
  }
  bool kata() const { return GetParam() == OciRuntime::kKata; }

  static DockerEnv* env_;
  static std::string* setup_error_;
  static int next_cid_;
  std::vector<std::string> ids_;
  std::set<std::string> sockets_before_;
};

DockerEnv* DockerTest::env_ = nullptr;
std::string* DockerTest::setup_error_ = nullptr;
int DockerTest::next_cid_ = 0;

TEST_P(DockerTest, RunGivesOutputAndExitCode) {
  CtrResult out = run({"--rm"}, {"sh", "-c", "echo out; echo err >&2; cat /proc/version; exit 7"});
  EXPECT_EQ(out.exit_code, 7) << out.describe() << env_->log_tail();
  EXPECT_TRUE(starts_with(out.out, "out\n")) << out.describe();
  EXPECT_NE(out.err.find("err"), std::string::npos) << out.describe();
  Result<std::string> host = fs::read_file("/proc/version");
  ASSERT_TRUE(host);
  EXPECT_EQ(out.out.find(trim(*host)) == std::string::npos, kata()) << out.out;
}

TEST_P(DockerTest, RunWithATerminal) {
  CtrResult out = run({"--rm", "-it"}, {"sh", "-c", "tty; exit 5"}, /*on_pty=*/true);
  EXPECT_EQ(out.exit_code, 5) << out.describe();
  EXPECT_NE(out.out.find("/dev/pts/"), std::string::npos) << out.describe();
}

TEST_P(DockerTest, DetachedContainerWithExecLogsStopAndRm) {
  CtrResult started = run(
      {"-d"}, {"sh", "-c", "trap 'echo got TERM; exit 9' TERM; echo started; sleep 1000 & wait"});
  ASSERT_EQ(started.exit_code, 0) << started.describe() << env_->log_tail();
  ASSERT_FALSE(ids_.empty());
  std::string id = ids_.back();
  CtrResult exec = docker({"exec", id, "sh", "-c", "echo in-exec; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.describe();
  EXPECT_EQ(exec.out, "in-exec\n");
  EXPECT_NE(docker({"logs", id}).out.find("started"), std::string::npos);
  CtrResult stop = docker({"stop", "-t", "30", id});
  EXPECT_EQ(stop.exit_code, 0) << stop.describe();
  EXPECT_EQ(trimmed(docker({"inspect", "--format", "{{.State.ExitCode}}", id}).out), "9");
  EXPECT_NE(docker({"logs", id}).out.find("got TERM"), std::string::npos);
  EXPECT_EQ(docker({"rm", id}).exit_code, 0);
  EXPECT_NE(docker({"inspect", id}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, DockerTest,
                         ::testing::Values(OciRuntime::kRunc, OciRuntime::kKata),
                         [](const auto& info) { return std::string(runtime_name(info.param)); });

}  // namespace
}  // namespace kata::e2e
