// podman (Debian's 4.3, with conmon) driving kata-runtime through runc's command
// line (issue 13), each scenario also under runc with the same assertions: output
// and exit codes, stdin, a terminal, a detached container with exec, logs, ps, top,
// stats, pause, stop and wait, kill, rm -f, no network, a memory limit. After every
// container: nothing of its sandbox is left, not even its kata-runtime record.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/http_server.h"
#include "e2e/leak_check.h"
#include "e2e/podman_env.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::string trimmed(std::string_view text) { return std::string(trim(text)); }

class PodmanTest : public ::testing::TestWithParam<OciRuntime> {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<PodmanEnv>> env =
        PodmanEnv::start(default_podman_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
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
    if (env_ == nullptr) FAIL() << "podman env: " << *setup_error_;
    sockets_before_ = shim_socket_snapshot();
  }
  void TearDown() override {
    for (const std::string& name : names_) {
      (void)podman({"rm", "-f", "-t", "0", name}, 120s);
    }
    for (const std::string& id : ids_)
      EXPECT_EQ(env_->leaks_of(id, sockets_before_), "") << "container " << id;
  }

  bool kata() const { return GetParam() == OciRuntime::kKata; }
  PodmanEnv& env() { return *env_; }

  CtrResult podman(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 180s) {
    Result<CtrResult> out = env_->podman(GetParam(), args, timeout);
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : CtrResult{};
  }

  // A container name of this test; its id is leak-checked at the end.
  std::string name(const std::string& base) {
    std::string n = fmt::format("{}-{}-{}", base, runtime_name(GetParam()), ::getpid());
    names_.push_back(n);
    return n;
  }
  // Records the id podman printed (run -d) or looks it up by name.
  std::string track(const std::string& name_or_id) {
    CtrResult id = podman({"inspect", "--format", "{{.Id}}", name_or_id});
    std::string full = trimmed(id.out);
    if (!full.empty()) ids_.push_back(full);
    return full;
  }
  // A file for podman's --cidfile, new each time.
  std::string cidfile() { return fmt::format("{}/cid-{}", env_->dir(), ++next_cid_); }
  void track_cidfile(const std::string& path) {
    if (Result<std::string> id = fs::read_file(path); id) ids_.push_back(trimmed(*id));
  }
  // `podman run --rm` of `cmd`: its id is found from its --cidfile for the leak check.
  CtrResult run_rm(const std::vector<std::string>& flags, const std::vector<std::string>& cmd) {
    std::string cidfile = this->cidfile();
    std::vector<std::string> args = {"run", "--rm", "--cidfile", cidfile};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(env_->image());
    args.insert(args.end(), cmd.begin(), cmd.end());
    CtrResult out = podman(args);
    track_cidfile(cidfile);
    return out;
  }
  std::string status_of(const std::string& name) {
    return trimmed(podman({"inspect", "--format", "{{.State.Status}}", name}).out);
  }

  static PodmanEnv* env_;
  static std::string* setup_error_;
  static int next_cid_;
  std::vector<std::string> names_, ids_;
  std::set<std::string> sockets_before_;
};

PodmanEnv* PodmanTest::env_ = nullptr;
std::string* PodmanTest::setup_error_ = nullptr;
int PodmanTest::next_cid_ = 0;

TEST_P(PodmanTest, RunRmGivesOutputAndExitCode) {
  CtrResult out =
      run_rm({}, {"sh", "-c", "echo to-stdout; echo to-stderr >&2; cat /proc/version; exit 7"});
  EXPECT_EQ(out.exit_code, 7) << out.describe();
  EXPECT_TRUE(starts_with(out.out, "to-stdout\n")) << out.describe();
  EXPECT_NE(out.err.find("to-stderr"), std::string::npos) << out.describe();
  // The guest's kernel under Kata++, the host's under runc.
  Result<std::string> host = fs::read_file("/proc/version");
  ASSERT_TRUE(host);
  EXPECT_EQ(out.out.find(trimmed(*host)) == std::string::npos, kata()) << out.out;
}

TEST_P(PodmanTest, RunInteractiveReadsStdin) {
  std::string cidfile = this->cidfile();
  Result<BackgroundProcess> run = env().podman_background(
      GetParam(), {"run", "--rm", "-i", "--cidfile", cidfile, env().image(), "sh", "-c",
                   "while read line; do echo got:$line; done; echo eof"});
  ASSERT_TRUE(run) << run.error().message();
  ASSERT_TRUE(run->write_stdin("one\ntwo\n"));
  run->close_stdin();
  Result<CtrResult> done = run->wait(180s);
  ASSERT_TRUE(done) << done.error().message();
  track_cidfile(cidfile);
  EXPECT_EQ(done->exit_code, 0) << done->describe();
  EXPECT_EQ(done->out, "got:one\ngot:two\neof\n") << done->describe();
}

TEST_P(PodmanTest, RunWithATerminal) {
  std::string cidfile = this->cidfile();
  Result<CtrResult> out =
      env().podman_on_pty(GetParam(), {"run", "--rm", "-it", "--cidfile", cidfile, env().image(),
                                       "sh", "-c", "tty; stty size; exit 3"});
  ASSERT_TRUE(out) << out.error().message();
  track_cidfile(cidfile);
  EXPECT_EQ(out->exit_code, 3) << out->describe();
  EXPECT_NE(out->out.find("/dev/pts/"), std::string::npos) << out->describe();
  EXPECT_NE(out->out.find("24 80"), std::string::npos) << "the terminal's size" << out->describe();
}

TEST_P(PodmanTest, DetachedContainerWithExecLogsPsTopStatsPauseAndStop) {
  std::string c = name("detached");
  CtrResult run = podman({"run", "-d", "--name", c, env().image(), "sh", "-c",
                          "trap 'echo got TERM; exit 9' TERM; echo started; sleep 1000 & wait"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  track(c);
  CtrResult exec = podman({"exec", c, "sh", "-c", "echo in-exec; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.describe();
  EXPECT_EQ(exec.out, "in-exec\n");
  CtrResult exec_in = podman({"exec", "-i", c, "cat"});  // no stdin given: EOF at once
  EXPECT_EQ(exec_in.exit_code, 0) << exec_in.describe();
  EXPECT_NE(podman({"logs", c}).out.find("started"), std::string::npos);
  EXPECT_NE(podman({"ps", "--format", "{{.Names}} {{.Status}}"}).out.find(c + " Up"),
            std::string::npos);
  // top lists the container's processes: the workload under runc; under Kata++ the
  // relay that stands for it on the host, and nothing else of the host.
  CtrResult top = podman({"top", c});
  EXPECT_EQ(top.exit_code, 0) << top.describe();
  EXPECT_EQ(top.out.find("podman"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find(kata() ? "kata-runtime" : "sleep 1000"), std::string::npos) << top.out;
  CtrResult stats = podman({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", c});
  EXPECT_EQ(stats.exit_code, 0) << stats.describe();
  EXPECT_TRUE(starts_with(stats.out, c + " ")) << stats.describe();

  EXPECT_EQ(podman({"pause", c}).exit_code, 0);
  EXPECT_EQ(status_of(c), "paused");
  EXPECT_EQ(podman({"unpause", c}).exit_code, 0);
  EXPECT_EQ(status_of(c), "running");
  // SIGTERM reaches the workload's trap: it exits 9, long before stop's timeout.
  CtrResult stop = podman({"stop", "-t", "30", c});
  EXPECT_EQ(stop.exit_code, 0) << stop.describe();
  EXPECT_EQ(trimmed(podman({"wait", c}).out), "9");
  EXPECT_NE(podman({"logs", c}).out.find("got TERM"), std::string::npos);
  EXPECT_EQ(podman({"rm", c}).exit_code, 0);
}

TEST_P(PodmanTest, StopEscalatesKillEndsAndRmForceRemovesARunningContainer) {
  std::string deaf = name("deaf");
  std::string killed = name("killed");
  std::string removed = name("removed");
  for (const std::string& c : {deaf, killed, removed}) {
    CtrResult run = podman({"run", "-d", "--name", c, env().image(), "sh", "-c",
                            "trap '' TERM; echo up; sleep 1000 & wait; sleep 1000"});
    ASSERT_EQ(run.exit_code, 0) << run.describe();
    track(c);
  }
  // SIGTERM is ignored: after the timeout, SIGKILL.
  CtrResult stop = podman({"stop", "-t", "1", deaf});
  EXPECT_EQ(stop.exit_code, 0) << stop.describe();
  EXPECT_EQ(trimmed(podman({"wait", deaf}).out), "137");
  EXPECT_EQ(podman({"kill", killed}).exit_code, 0);
  EXPECT_EQ(trimmed(podman({"wait", killed}).out), "137");
  EXPECT_EQ(status_of(killed), "exited");
  CtrResult rm = podman({"rm", "-f", removed});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
  EXPECT_NE(podman({"inspect", removed}).exit_code, 0);
}

TEST_P(PodmanTest, NoNetworkAndAMemoryLimit) {
  CtrResult out = run_rm({"--network", "none", "--memory", "256m"},
                         {"sh", "-c",
                          "ls /sys/class/net; cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                          "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"});
  EXPECT_EQ(out.exit_code, 0) << out.describe();
  EXPECT_EQ(out.out, "lo\n268435456\n") << out.describe();
}

// podman's default network (CNI bridge and portmap) carried into the VM: a published
// port on the host reaches busybox httpd in the container.
TEST_P(PodmanTest, PublishedPortReachesHttpdInTheContainer) {
  std::string c = name("web");
  auto port = static_cast<uint16_t>(20000 + ::getpid() % 1000 * 2 + (kata() ? 1 : 0));
  CtrResult run =
      podman({"run", "-d", "--name", c, "-p", fmt::format("{}:80", port), env().image(), "sh", "-c",
              "mkdir -p /www; cat /proc/version > /www/index.html; exec httpd -f -p 80 -h /www"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  track(c);
  std::string page = fetch_until_ok("127.0.0.1", port, "/", 60s);
  EXPECT_NE(page.find("200 OK"), std::string::npos) << page;
  Result<std::string> host = fs::read_file("/proc/version");
  ASSERT_TRUE(host);
  EXPECT_EQ(page.find(trimmed(*host)) == std::string::npos, kata()) << page;
  EXPECT_EQ(podman({"rm", "-f", "-t", "0", c}).exit_code, 0);
}

// The runtime's own command line, as conmon and containerd's runc shim meet it: the
// state changes they make, and the bad input runc refuses, refused the same way.
TEST_P(PodmanTest, RuntimeCommandLineRefusesWhatRuncRefuses) {
  std::string bundle = fmt::format("{}/bundle-{}", env().dir(), runtime_name(GetParam()));
  std::string root = bundle + "-root";
  ASSERT_TRUE(fs::mkdir_all(bundle + "/rootfs/bin"));
  ASSERT_EQ(run_captured({"cp", "/bin/busybox", bundle + "/rootfs/bin/"}, 30s)->exit_code, 0);
  ASSERT_EQ(::symlink("busybox", (bundle + "/rootfs/bin/sleep").c_str()), 0);
  ASSERT_EQ(run_captured({"runc", "spec", "--bundle", bundle}, 30s)->exit_code, 0);
  Result<std::string> spec = fs::read_file(bundle + "/config.json");
  ASSERT_TRUE(spec);
  std::string text = *spec;
  text.replace(text.find("\"terminal\": true"), 16, "\"terminal\": false");
  text.replace(text.find("\"sh\""), 4, "\"sleep\", \"1000\"");
  ASSERT_TRUE(fs::write_file_atomic(bundle + "/config.json", text));
  std::string id = fmt::format("cli-{}-{}", runtime_name(GetParam()), ::getpid());
  ids_.push_back(id);
  auto rt = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", root});
    Result<CtrResult> out = run_captured(env().runtime_argv(GetParam(), args), 180s);
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : CtrResult{};
  };
  auto refused = [&](const std::vector<std::string>& args, const std::string& words) {
    CtrResult out = rt(args);
    EXPECT_EQ(out.exit_code, 1) << args[0] << ": " << out.describe();
    EXPECT_NE(out.err.find(words), std::string::npos) << args[0] << ": " << out.describe();
  };
  CtrResult created = rt({"create", "--bundle", bundle, "--pid-file", bundle + "/pid", id});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  EXPECT_TRUE(fs::exists(bundle + "/pid"));
  EXPECT_NE(rt({"state", id}).out.find("\"status\": \"created\""), std::string::npos);
  refused({"create", "--bundle", bundle, id}, "container with given ID already exists");
  EXPECT_EQ(rt({"start", id}).exit_code, 0);
  EXPECT_NE(rt({"state", id}).out.find("\"status\": \"running\""), std::string::npos);
  EXPECT_NE(rt({"list", "-q"}).out.find(id), std::string::npos);
  refused({"start", id}, "cannot start an already running container");
  refused({"delete", id}, "is not stopped: running");
  EXPECT_EQ(rt({"kill", id, "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && rt({"state", id}).out.find("stopped") == std::string::npos; ++i) {
    ::usleep(100 * 1000);
  }
  EXPECT_NE(rt({"state", id}).out.find("\"pid\": 0"), std::string::npos);
  refused({"kill", id, "KILL"}, "container not running");
  refused({"start", id}, "cannot start a container that has stopped");
  EXPECT_EQ(rt({"delete", id}).exit_code, 0);
  refused({"delete", id}, "container does not exist");
  refused({"kill", id}, "container does not exist");
}

INSTANTIATE_TEST_SUITE_P(Runtimes, PodmanTest,
                         ::testing::Values(OciRuntime::kRunc, OciRuntime::kKata),
                         [](const auto& info) { return std::string(runtime_name(info.param)); });

}  // namespace
}  // namespace kata::e2e
