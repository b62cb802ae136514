// podman (Debian's 4.3, with conmon) driving kata-runtime through runc's command
// line (issue 13), each scenario also under runc with the same assertions: output
// and exit codes, stdin, a terminal, a detached container with exec, logs, ps, top,
// stats, pause, stop and wait, kill, rm -f, no network, a memory limit. After every
// container: nothing of its sandbox is left, not even its kata-runtime record.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

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
    services_before_ = service_sockets();
  }
  void TearDown() override {
    for (const std::string& name : names_) {
      (void)podman({"rm", "-f", "-t", "0", name}, 120s);
    }
    for (const std::string& id : ids_)
      EXPECT_EQ(env_->leaks_of(id, sockets_before_), "") << "container " << id;
    EXPECT_EQ(service_sockets(), services_before_) << "a sandbox service's socket was left";
  }

  // kata-runtime's service sockets now (a service removes its own as it exits).
  static std::set<std::string> service_sockets() {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/run/kata-runtime-services", ec)) {
      names.insert(e.path().filename());
    }
    return names;
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
  // A bundle whose process is `sleep 1000`: `runc spec` with busybox as its rootfs.
  std::string sleep_bundle(const std::string& name) {
    std::string bundle =
        fmt::format("{}/bundle-{}-{}", env_->dir(), name, runtime_name(GetParam()));
    Result<CtrResult> made = run_captured(
        {"sh", "-c",
         fmt::format("set -e; mkdir -p {0}/rootfs/bin; cp /bin/busybox {0}/rootfs/bin/; "
                     "ln -s busybox {0}/rootfs/bin/sleep; runc spec --bundle {0}; "
                     "sed -i 's/\"terminal\": true/\"terminal\": false/; "
                     "s/\"sh\"$/\"sleep\", \"1000\"/' {0}/config.json",
                     bundle)},
        30s);
    EXPECT_TRUE(made && made->exit_code == 0) << (made ? made->describe() : made.error().message());
    return made && made->exit_code == 0 ? bundle : "";
  }
  // The runtime's own command line with a root of the bundle's.
  CtrResult runtime(const std::string& bundle, std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", bundle + "-root"});
    Result<CtrResult> out = run_captured(env_->runtime_argv(GetParam(), args), 180s);
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : CtrResult{};
  }
  // Polls `state` until it says `status` (up to 10 s).
  bool wait_for_status(const std::string& bundle, const std::string& id,
                       const std::string& status) {
    for (int i = 0; i < 100; ++i) {
      if (runtime(bundle, {"state", id}).out.find("\"status\": \"" + status + "\"") !=
          std::string::npos) {
        return true;
      }
      ::usleep(100 * 1000);
    }
    return false;
  }
  std::string status_of(const std::string& name) {
    return trimmed(podman({"inspect", "--format", "{{.State.Status}}", name}).out);
  }

  static PodmanEnv* env_;
  static std::string* setup_error_;
  static int next_cid_;
  std::vector<std::string> names_, ids_;
  std::set<std::string> sockets_before_, services_before_;
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
  CtrResult rm = podman({"rm", "-f", "-t", "0", removed});
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
  std::string bundle = sleep_bundle("refuses");
  ASSERT_FALSE(bundle.empty());
  std::string id = fmt::format("cli-{}-{}", runtime_name(GetParam()), ::getpid());
  ids_.push_back(id);
  auto rt = [&](const std::vector<std::string>& args) { return runtime(bundle, args); };
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
  EXPECT_TRUE(wait_for_status(bundle, id, "stopped"));
  EXPECT_NE(rt({"state", id}).out.find("\"pid\": 0"), std::string::npos);
  refused({"kill", id, "KILL"}, "container not running");
  refused({"start", id}, "cannot start a container that has stopped");
  EXPECT_EQ(rt({"delete", id}).exit_code, 0);
  refused({"delete", id}, "container does not exist");
  refused({"kill", id}, "container does not exist");
}

// A fault: the host process the container's life hangs on is killed (Kata++'s sandbox
// service, runc's container init). The container is then stopped, its relay (Kata++)
// exits, and delete cleans up everything, QEMU and virtiofsd included.
TEST_P(PodmanTest, AContainerWhoseHostProcessWasKilledIsStoppedAndDeletes) {
  std::string bundle = sleep_bundle("killed");
  ASSERT_FALSE(bundle.empty());
  std::string id = fmt::format("cli-killed-{}-{}", runtime_name(GetParam()), ::getpid());
  ids_.push_back(id);
  CtrResult created =
      runtime(bundle, {"create", "--bundle", bundle, "--pid-file", bundle + "/pid", id});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  ASSERT_EQ(runtime(bundle, {"start", id}).exit_code, 0);
  Result<std::string> pid_text = fs::read_file(bundle + "/pid");
  ASSERT_TRUE(pid_text);
  pid_t pid = std::stoi(*pid_text);
  pid_t victim = pid;  // runc's init
  if (kata()) {
    Result<std::string> record = fs::read_file(bundle + "-root/" + id + "/state.json");
    ASSERT_TRUE(record);
    auto j = nlohmann::json::parse(*record, nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    victim = j["service"]["pid"].get<pid_t>();  // the sandbox service: VM and all
  }
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  EXPECT_TRUE(wait_for_status(bundle, id, "stopped"));
  // The relay (the pid callers wait on) has ended too.
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(100 * 1000);
  EXPECT_NE(::kill(pid, 0), 0) << "pid " << pid << " still runs";
  CtrResult deleted = runtime(bundle, {"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.describe();
  EXPECT_FALSE(fs::exists(bundle + "-root/" + id));
}

INSTANTIATE_TEST_SUITE_P(Runtimes, PodmanTest,
                         ::testing::Values(OciRuntime::kRunc, OciRuntime::kKata),
                         [](const auto& info) { return std::string(runtime_name(info.param)); });

}  // namespace
}  // namespace kata::e2e
