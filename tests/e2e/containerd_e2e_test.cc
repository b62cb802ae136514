// End to end through a real containerd (Debian's 1.6) and ctr: every test runs against
// io.containerd.runc.v2 (Debian's runc: proves the harness and gives the reference
// behaviour) and io.containerd.kata.v2 (our shim, one VM per sandbox under TCG). After
// each test nothing of its sandboxes may remain on the host.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/containerd_env.h"
#include "e2e/expect_ctr.h"
#include "e2e/leak_check.h"
#include "shim/testing/logging_script.h"
#include "sys/proc_scan.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ContainerdEnv> g_env;
std::string g_env_error;

// One containerd for the whole binary: starting it and importing the image is cheap,
// but not per test.
class ContainerdEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto env = ContainerdEnv::start(default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR));
    if (env)
      g_env = std::move(*env);
    else
      g_env_error = env.error().message();
  }
  void TearDown() override { g_env.reset(); }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ContainerdEnvironment);

std::string shim_binary() {
  return default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR).shim_dir + "/containerd-shim-kata-v2";
}

class ContainerdTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(g_env) << "containerd did not start: " << g_env_error;
    // The shim and the guest image are part of the build: missing is a failure, not a skip.
    ASSERT_TRUE(!kata() || fs::exists(shim_binary())) << "no `" << shim_binary() << "`";
    ASSERT_TRUE(!kata() || fs::exists(default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR).guest_dir +
                                      "/kata-initrd.img"))
        << "no guest image (run scripts/setup, or set KATA_TEST_GUEST_DIR)";
    sockets_before_ = shim_socket_snapshot();
  }

  void TearDown() override {
    if (!g_env) return;
    EXPECT_EQ(g_env->remove_and_find_leaks(ids_, sockets_before_), "");
    EXPECT_TRUE(g_env->healthy()) << "containerd must survive every test; log:\n"
                                  << g_env->log_tail();
  }

  bool kata() const { return std::string(GetParam()) == kKataRuntime; }
  const char* runtime() const { return GetParam(); }

  std::string new_id(const std::string& name) {
    ids_.push_back(g_env->unique_id(name));
    return ids_.back();
  }

  // ctr's result, or a failed assertion with the harness error and containerd's log.
  CtrResult ctr(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 180s) {
    return expect_ctr(*g_env, args, timeout);
  }

  CtrResult run(const std::string& id, const std::vector<std::string>& cmd,
                const std::vector<std::string>& flags = {}) {
    return ctr(g_env->run_args(runtime(), id, cmd, flags));
  }

  // `ctr run -d`: the task keeps running after ctr returned.
  void start_detached(const std::string& id, const std::vector<std::string>& cmd) {
    std::vector<std::string> args = {"run", "-d", "--runtime", runtime(), g_env->image(), id};
    args.insert(args.end(), cmd.begin(), cmd.end());
    CtrResult r = ctr(args);
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\n" << g_env->log_tail();
  }

  // `ctr oci spec` with the root at `rootfs` (a directory, not a snapshot).
  nlohmann::json base_spec(const std::string& rootfs) {
    CtrResult base = ctr({"oci", "spec"});
    EXPECT_EQ(base.exit_code, 0) << base.describe();
    nlohmann::json spec = nlohmann::json::parse(base.out, nullptr, false);
    if (spec.is_discarded()) spec = nlohmann::json::object();
    spec["root"] = {{"path", rootfs}, {"readonly", false}};
    return spec;
  }

  // `ctr run --rm --config <spec>`: ctr 1.6 has neither --user nor --hostname, so a full
  // spec sets them.
  CtrResult run_spec(const std::string& id, const nlohmann::json& spec) {
    std::string path = g_env->dir() + "/spec-" + id + ".json";
    EXPECT_TRUE(fs::write_file_atomic(path, spec.dump()));
    return ctr({"run", "--rm", "--runtime", runtime(), "--config", path, id});
  }

  // The STATUS column of `ctr task ls` for `id` ("RUNNING", "PAUSED", "STOPPED"...).
  std::string task_status(const std::string& id) {
    CtrResult r = ctr({"task", "ls"});
    for (const std::string& line : split(r.out, '\n')) {
      std::vector<std::string> f = split(line, ' ');
      if (f.size() >= 3 && f[0] == id) return f[2];
    }
    return "";
  }

  std::vector<std::string> ids_;
  std::set<std::string> sockets_before_;
};

// The checker must see each kind of leftover, or a passing leak check means nothing.
TEST(LeakCheck, AnIdIsMentionedOnlyAsAWholeWord) {
  // A sandbox whose id this one prefixes is not this one's leftover.
  EXPECT_TRUE(mentions_id("/usr/bin/qemu-system-x86_64 -name rel-p -machine q35", "rel-p"));
  EXPECT_TRUE(
      mentions_id("virtiofsd -o source=/run/kata-containers/shared/sandboxes/rel-p", "rel-p"));
  EXPECT_TRUE(mentions_id("path=/run/kata-containers/rel-p/qmp.sock,server=on", "rel-p"));
  EXPECT_TRUE(mentions_id("rel-p", "rel-p"));
  EXPECT_FALSE(mentions_id("/usr/bin/qemu-system-x86_64 -name rel-p2", "rel-p"));
  EXPECT_FALSE(mentions_id("source=/run/kata-containers/shared/sandboxes/rel-p-sib", "rel-p"));
  EXPECT_FALSE(mentions_id("/run/kata-containers/xrel-p/qmp.sock", "rel-p"));
}

TEST(LeakCheck, SeesEveryKindOfLeftover) {
  std::string id = "leakcheck-" + std::to_string(::getpid());
  std::set<std::string> before = shim_socket_snapshot();
  char tmpl[] = "/tmp/kleak-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string mount_point = std::string(tmpl) + "/" + id;
  ASSERT_TRUE(fs::mkdir_all(mount_point));
  ASSERT_TRUE(fs::mkdir_all("/run/kata-containers/" + id));
  ASSERT_TRUE(fs::mkdir_all("/run/containerd/s"));
  // A socket file nobody listens on any more, as a crashed shim leaves it.
  std::string stale = "/run/containerd/s/" + id;
  {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", stale.c_str());
    ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  Result<CtrResult> mounted = run_captured({"mount", "-t", "tmpfs", "none", mount_point}, 10s);
  ASSERT_TRUE(mounted && mounted->exit_code == 0) << (mounted ? mounted->describe() : "");
  // The id stays in its command line (as argv[0]) after the exec.
  auto sleeper = BackgroundProcess::spawn({"bash", "-c", "exec -a \"$0\" sleep 60", id});
  ASSERT_TRUE(sleeper);
  // Waits for the exec: before it, bash's command line mentions the id too, but
  // during the exec the process may briefly show none and the check would miss it.
  auto execed = [&] {
    for (const sys::ProcessMention& p : sys::processes_mentioning(id))
      if (starts_with(p.cmdline, id)) return true;
    return false;
  };
  for (int i = 0; i < 500 && !execed(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(execed()) << "the planted process did not exec";

  LeakReport report = check_sandbox_leaks(id, "/tmp/none/c.sock", "ns", before);
  std::string all = report.describe();
  EXPECT_NE(all.find("process"), std::string::npos) << all;
  EXPECT_NE(all.find("mount: "), std::string::npos) << all;
  EXPECT_NE(all.find("directory: /run/kata-containers/" + id), std::string::npos) << all;
  EXPECT_NE(all.find("stale socket that appeared during the test: " + stale), std::string::npos)
      << all;

  sleeper = BackgroundProcess::spawn({"true"});  // the old one is killed and reaped
  (void)run_captured({"umount", mount_point}, 10s);
  ::unlink(stale.c_str());
  (void)fs::remove_all("/run/kata-containers/" + id);
  (void)fs::remove_all(tmpl);
  LeakReport after = check_sandbox_leaks(id, "/tmp/none/c.sock", "ns", before);
  EXPECT_TRUE(after.clean()) << after.describe();
}

TEST_P(ContainerdTest, RunPrintsStdout) {
  CtrResult r = run(new_id("stdout"), {"echo", "hello from the container"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "hello from the container\n") << r.describe();
}

TEST_P(ContainerdTest, ExitCodeReachesCtr) {
  CtrResult r = run(new_id("exit3"), {"sh", "-c", "echo to-stderr >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("to-stderr"), std::string::npos) << r.describe();
}

TEST_P(ContainerdTest, StdinReachesCat) {
  // ctr 1.6 has no -i: `ctr run` always forwards its stdin, and closes the task's stdin
  // at EOF, but only if EOF comes after the task was created (an EOF read earlier is
  // lost and cat never ends). So: write, wait for the echo, then close.
  auto proc = g_env->ctr_background(g_env->run_args(runtime(), new_id("stdin"), {"cat"}));
  ASSERT_TRUE(proc) << proc.error().message();
  ASSERT_TRUE(proc->write_stdin("ping over stdin\n"));
  Result<void> echoed = proc->wait_for_stdout("ping over stdin\n", 180s);
  EXPECT_TRUE(echoed) << echoed.error().message();
  proc->close_stdin();
  Result<CtrResult> r = proc->wait(60s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << r->describe();
  EXPECT_EQ(r->out, "ping over stdin\n") << r->describe();
}

TEST_P(ContainerdTest, TtyFlagGivesAPty) {
  Result<CtrResult> r =
      g_env->ctr_on_pty(g_env->run_args(runtime(), new_id("tty"), {"tty"}, {"-t"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << r->describe();
  EXPECT_NE(r->out.find("/dev/pts/0"), std::string::npos) << r->describe();
}

TEST_P(ContainerdTest, EnvAndCwd) {
  CtrResult r = run(new_id("envcwd"), {"sh", "-c", "echo $FOO; pwd"},
                    {"--env", "FOO=bar baz", "--cwd", "/tmp"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "bar baz\n/tmp\n") << r.describe();
}

// ctr 1.6 has neither --user nor --hostname: a full spec (`ctr run --config`, rootfs from
// a directory instead of a snapshot) sets them, with env and cwd, on the init process.
TEST_P(ContainerdTest, SpecSetsUserHostnameEnvAndCwd) {
  std::string id = new_id("spec");
  std::string rootfs = g_env->dir() + "/rootfs-" + id;
  ASSERT_TRUE(g_env->unpack_image_to(rootfs));
  nlohmann::json spec = base_spec(rootfs);
  spec["hostname"] = "kata-e2e-host";
  spec["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  spec["process"]["args"] = {"/bin/sh", "-c", "id; hostname; echo $FOO; pwd"};
  spec["process"]["env"] = {"PATH=/bin", "FOO=from-spec"};
  spec["process"]["cwd"] = "/tmp";

  CtrResult r = run_spec(id, spec);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "uid=1000(user) gid=1000(user)\nkata-e2e-host\nfrom-spec\n/tmp\n")
      << r.describe();
  (void)fs::remove_all(rootfs);
}

// Host directories and files reach the container as bind mounts, read-only when asked.
TEST_P(ContainerdTest, BindMountsOfAHostDirectoryAndAFile) {
  std::string id = new_id("binds");
  std::string dir = g_env->dir() + "/bind-dir-" + id;
  std::string file = g_env->dir() + "/bind-file-" + id;
  ASSERT_TRUE(fs::mkdir_all(dir));
  ASSERT_TRUE(fs::write_file_atomic(dir + "/in-dir", "from a host dir\n"));
  ASSERT_TRUE(fs::write_file_atomic(file, "from a host file\n"));
  CtrResult r = run(id,
                    {"sh", "-c",
                     "cat /hostdir/in-dir /etc/host-file; "
                     "(echo x > /etc/host-file) 2>/dev/null || echo refused; "
                     "echo y > /hostdir/new && echo wrote"},
                    {"--mount", "type=bind,src=" + dir + ",dst=/hostdir,options=rbind:rw",
                     "--mount", "type=bind,src=" + file + ",dst=/etc/host-file,options=rbind:ro"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "from a host dir\nfrom a host file\nrefused\nwrote\n") << r.describe();
  EXPECT_EQ(*fs::read_file(file), "from a host file\n");
  EXPECT_EQ(*fs::read_file(dir + "/new"), "y\n") << "a write to a rw bind reaches the host";
  (void)fs::remove_all(dir);
  (void)fs::remove_all(file);
}

// `ctr run --log-uri`: the output goes to a file (file://) or to a logging program
// (binary://, containerd's contract: stdout on fd 3, stderr on fd 4, ready on fd 5).
TEST_P(ContainerdTest, LogUriSendsTheOutputToAFileOrALogger) {
  std::string id = new_id("logfile");
  std::string log = g_env->dir() + "/logs-" + id + "/out.log";
  CtrResult r =
      run(id, {"sh", "-c", "echo to-out; echo to-err >&2"}, {"--log-uri", "file://" + log});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
  Result<std::string> logged = fs::read_file(log);
  ASSERT_TRUE(logged) << logged.error().message();
  EXPECT_NE(logged->find("to-out\n"), std::string::npos) << *logged;
  EXPECT_NE(logged->find("to-err\n"), std::string::npos) << *logged;

  id = new_id("logbin");
  std::string logger = g_env->dir() + "/logger-" + id;
  std::string got = g_env->dir() + "/logged-" + id;
  ASSERT_TRUE(shim::testing::write_logging_script(logger, got));
  r = run(id, {"sh", "-c", "echo to-out; echo to-err >&2"}, {"--log-uri", "binary://" + logger});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  // The shim ends the logger at the task's delete, which `ctr run --rm` waits for.
  auto read = [](const std::string& path) {
    Result<std::string> text = fs::read_file(path);
    return text ? *text : "(unreadable: " + text.error().message() + ")";
  };
  EXPECT_EQ(read(got + ".env"), "= " + id + " " + g_env->ns() + " no-home\n");
  EXPECT_EQ(read(got + ".out"), "to-out\n");
  EXPECT_EQ(read(got + ".err"), "to-err\n");
}

// A mount destination that is a symlink pointing out of the rootfs (here: to a host
// directory by its absolute path) must resolve inside the rootfs, never on the host.
TEST_P(ContainerdTest, MountOnASymlinkOutOfTheRootfsStaysInside) {
  std::string id = new_id("symlink");
  std::string rootfs = g_env->dir() + "/rootfs-" + id;
  std::string outside = g_env->dir() + "/outside-" + id;
  ASSERT_TRUE(g_env->unpack_image_to(rootfs));
  ASSERT_TRUE(fs::mkdir_all(outside));
  ASSERT_EQ(::symlink(outside.c_str(), (rootfs + "/escape").c_str()), 0);
  nlohmann::json spec = base_spec(rootfs);
  spec["mounts"].push_back(
      {{"destination", "/escape"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"rw"}}});
  spec["process"]["args"] = {"/bin/sh", "-c", "touch /escape/marker && echo written"};
  spec["process"]["env"] = {"PATH=/bin"};

  CtrResult r = run_spec(id, spec);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "written\n") << r.describe();
  EXPECT_FALSE(fs::exists(outside + "/marker")) << "the container wrote to the host";
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line))
    EXPECT_EQ(line.find(outside), std::string::npos) << "a mount on the host path: " << line;
  (void)fs::remove_all(rootfs);
  (void)fs::remove_all(outside);
}

TEST_P(ContainerdTest, ExecRunsASecondProcessAsAnotherUser) {
  std::string id = new_id("exec");
  start_detached(id, {"sleep", "600"});
  CtrResult r = ctr({"task", "exec", "--exec-id", "second", id, "sh", "-c", "echo from-exec"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "from-exec\n") << r.describe();
  r = ctr({"task", "exec", "--exec-id", "user", "--user", "1000:1000", id, "id"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(starts_with(r.out, "uid=1000(user) gid=1000(user)")) << r.describe();
  r = ctr({"task", "exec", "--exec-id", "three", id, "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.describe();
}

TEST_P(ContainerdTest, KillSigtermReachesTheInitsHandler) {
  std::string id = new_id("sigterm");
  // PID 1 ignores signals it has no handler for: the trap proves SIGTERM arrived.
  auto proc = g_env->ctr_background(g_env->run_args(
      runtime(), id, {"sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 1; done"}));
  ASSERT_TRUE(proc) << proc.error().message();
  Result<void> ready = proc->wait_for_stdout("ready", 180s);
  ASSERT_TRUE(ready) << ready.error().message();
  CtrResult k = ctr({"task", "kill", "-s", "SIGTERM", id});
  EXPECT_EQ(k.exit_code, 0) << k.describe();
  Result<CtrResult> r = proc->wait(60s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 42) << r->describe();
}

TEST_P(ContainerdTest, KillSigtermEndsAnExecWith143) {
  std::string id = new_id("execterm");
  start_detached(id, {"sleep", "600"});
  auto exec = g_env->ctr_background(
      {"task", "exec", "--exec-id", "victim", id, "sh", "-c", "echo ready; exec sleep 600"});
  ASSERT_TRUE(exec) << exec.error().message();
  Result<void> ready = exec->wait_for_stdout("ready", 120s);
  ASSERT_TRUE(ready) << ready.error().message();
  CtrResult k = ctr({"task", "kill", "--exec-id", "victim", "-s", "SIGTERM", id});
  EXPECT_EQ(k.exit_code, 0) << k.describe();
  Result<CtrResult> r = exec->wait(60s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 128 + SIGTERM) << r->describe();
  EXPECT_EQ(task_status(id), "RUNNING") << "killing an exec must leave the init alone";
}

TEST_P(ContainerdTest, KillSigkillGives137) {
  std::string id = new_id("sigkill");
  auto proc = g_env->ctr_background(
      g_env->run_args(runtime(), id, {"sh", "-c", "echo ready; exec sleep 600"}));
  ASSERT_TRUE(proc) << proc.error().message();
  Result<void> ready = proc->wait_for_stdout("ready", 180s);
  ASSERT_TRUE(ready) << ready.error().message();
  CtrResult k = ctr({"task", "kill", "-s", "SIGKILL", id});
  EXPECT_EQ(k.exit_code, 0) << k.describe();
  Result<CtrResult> r = proc->wait(60s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 128 + SIGKILL) << r->describe();
}

TEST_P(ContainerdTest, PauseAndResume) {
  std::string id = new_id("pause");
  start_detached(id, {"sleep", "600"});
  CtrResult p = ctr({"task", "pause", id});
  EXPECT_EQ(p.exit_code, 0) << p.describe();
  EXPECT_EQ(task_status(id), "PAUSED");
  CtrResult r = ctr({"task", "resume", id});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(task_status(id), "RUNNING");
  CtrResult e = ctr({"task", "exec", "--exec-id", "after", id, "echo", "alive"});
  EXPECT_EQ(e.out, "alive\n") << e.describe();
}

TEST_P(ContainerdTest, MetricsShowCgroupStats) {
  std::string id = new_id("metrics");
  start_detached(id, {"sleep", "600"});
  CtrResult m = ctr({"task", "metrics", id});
  EXPECT_EQ(m.exit_code, 0) << m.describe();
  // cgroup v1 (runc on this host) says memory.usage_in_bytes, v2 (the guest) memory.usage.
  EXPECT_NE(m.out.find("memory.usage"), std::string::npos) << m.describe();
  EXPECT_NE(m.out.find("pids.current"), std::string::npos) << m.describe();
}

TEST_P(ContainerdTest, PsListsTheProcesses) {
  std::string id = new_id("ps");
  start_detached(id, {"sleep", "600"});
  auto exec = g_env->ctr_background({"task", "exec", "--exec-id", "extra", id, "sleep", "600"});
  ASSERT_TRUE(exec) << exec.error().message();
  std::vector<std::string> pids;
  CtrResult ps;
  const size_t want = kata() ? 1 : 2;
  for (int i = 0; i < 40 && pids.size() < want; ++i) {
    ps = ctr({"task", "ps", id});
    ASSERT_EQ(ps.exit_code, 0) << ps.describe();
    pids.clear();
    for (const std::string& line : split(ps.out, '\n')) {
      std::string first = split(line, ' ').empty() ? "" : split(line, ' ')[0];
      if (!first.empty() && std::all_of(first.begin(), first.end(), ::isdigit))
        pids.push_back(first);
    }
    if (pids.size() < want) std::this_thread::sleep_for(100ms);
  }
  if (!kata()) {
    EXPECT_EQ(pids.size(), 2u) << "init and the exec; " << ps.describe();
    return;
  }
  // Kata's answer: the host cannot see guest pids, so every process of the
  // task is shown as the VM's (QEMU's) pid, as upstream Kata does.
  ASSERT_EQ(pids.size(), 1u) << ps.describe();
  Result<std::string> cmdline = fs::read_file("/proc/" + pids[0] + "/cmdline");
  ASSERT_TRUE(cmdline) << ps.describe();
  EXPECT_NE(cmdline->find("qemu-system"), std::string::npos) << ps.describe();
}

TEST_P(ContainerdTest, MemoryLimitExceededIsAnOom) {
  std::string id = new_id("oom");
  auto events = g_env->ctr_background({"events"});
  ASSERT_TRUE(events) << events.error().message();
  // dd's 64 MiB buffer alone is four times the limit.
  CtrResult r = run(id, {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"},
                    {"--memory-limit", "16777216"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << "the OOM killer's SIGKILL; " << r.describe();
  Result<void> oom = events->wait_for_stdout("/tasks/oom {\"container_id\":\"" + id, 30s);
  EXPECT_TRUE(oom) << oom.error().message();
}

// Limits are the container's to use. Under Kata++ the VM grows by them (at boot: microvm
// has no hotplug), as upstream Kata sizes a sandbox; under runc the container sees the host.
TEST_P(ContainerdTest, LimitsGrowTheVmByThemselves) {
  const std::vector<std::string> probe = {"sh", "-c", "grep MemTotal /proc/meminfo; nproc"};
  CtrResult plain = run(new_id("size"), probe);
  CtrResult limited = run(new_id("size"), probe, {"--memory-limit", "268435456", "--cpus", "1"});
  ASSERT_EQ(plain.exit_code, 0) << plain.describe();
  ASSERT_EQ(limited.exit_code, 0) << limited.describe();
  auto parse = [](const std::string& out) {
    std::vector<std::string> words = split(out, ' ');
    std::vector<std::string> lines = split(out, '\n');
    return std::pair<long, long>{words.size() > 1 ? std::atol(words[1].c_str()) : 0,
                                 lines.size() > 1 ? std::atol(lines[1].c_str()) : 0};
  };
  auto [plain_kb, plain_cpus] = parse(plain.out);
  auto [limited_kb, limited_cpus] = parse(limited.out);
  ASSERT_GT(plain_kb, 0) << plain.out;
  ASSERT_GT(plain_cpus, 0) << plain.out;
  if (!kata()) {
    EXPECT_EQ(limited_kb, plain_kb) << plain.out << limited.out;
    EXPECT_EQ(limited_cpus, plain_cpus) << plain.out << limited.out;
    return;
  }
  // 256 MiB more guest RAM, less the kernel's page structures for it (about 1.6 %).
  long grown_mib = (limited_kb - plain_kb) / 1024;
  EXPECT_GE(grown_mib, 240) << plain.out << limited.out;
  EXPECT_LE(grown_mib, 256) << plain.out << limited.out;
  long host_cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(limited_cpus, std::min(plain_cpus + 1, std::max(plain_cpus, host_cpus)))
      << plain.out << limited.out;
}

TEST_P(ContainerdTest, NonexistentCommandFailsLikeRunc) {
  CtrResult reference =
      ctr(g_env->run_args(kRuncRuntime, new_id("nocmd-runc"), {"no-such-command"}));
  ASSERT_NE(reference.exit_code, 0) << reference.describe();
  CtrResult r = run(new_id("nocmd"), {"no-such-command"});
  EXPECT_EQ(r.exit_code, reference.exit_code) << r.describe() << "\nrunc: " << reference.describe();
  EXPECT_NE(r.err.find("no-such-command"), std::string::npos) << r.describe();
}

TEST_P(ContainerdTest, InvalidContainerIdIsRejected) {
  for (std::string bad : {"bad/id", "..", "-dash"}) {
    CtrResult r = run(bad, {"true"});
    EXPECT_NE(r.exit_code, 0) << bad << ": " << r.describe();
    EXPECT_NE(r.err.find("identifier"), std::string::npos) << bad << ": " << r.describe();
    // ctr prepares the snapshot before containerd refuses the id, whatever the runtime,
    // and leaves it to the garbage collector: gone before the next runtime tries the id.
    (void)ctr({"snapshots", "rm", bad});
  }
  if (!kata()) return;
  // containerd validates ids before any shim sees them; the shim must refuse on its own
  // too (it is also run by hand and by containerd's cleanup with ids from disk).
  Result<CtrResult> r = run_captured({shim_binary(), "-namespace", g_env->ns(), "-address",
                                      g_env->address(), "-id", "../../escape", "delete"},
                                     30s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE(r->exit_code, 0) << r->describe();
  EXPECT_FALSE(fs::exists("/run/escape"));
}

// The task's host pid is the container's init under runc, QEMU under Kata++: killing it
// with SIGKILL is the crash of the whole sandbox.
TEST_P(ContainerdTest, SigkilledTaskPidIsReportedAndCleanedUp) {
  std::string id = new_id("crash");
  auto events = g_env->ctr_background({"events"});
  ASSERT_TRUE(events) << events.error().message();
  // Detached, so that the dead task stays for `ctr task delete` (a foreground
  // `ctr run` deletes its task itself).
  start_detached(id, {"sleep", "600"});

  CtrResult ls = ctr({"task", "ls"});
  pid_t pid = 0;
  for (const std::string& line : split(ls.out, '\n')) {
    std::vector<std::string> f = split(line, ' ');
    if (f.size() >= 2 && f[0] == id) pid = std::atoi(f[1].c_str());
  }
  ASSERT_GT(pid, 0) << ls.describe();
  if (kata()) {
    Result<std::string> cmdline = fs::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    ASSERT_TRUE(cmdline);
    EXPECT_NE(cmdline->find("qemu"), std::string::npos) << "the task pid must be QEMU's";
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);

  std::string exit_event = "/tasks/exit {\"container_id\":\"" + id + "\"";
  Result<void> exited = events->wait_for_stdout(exit_event, 120s);
  ASSERT_TRUE(exited) << exited.error().message();
  std::string rest = events->out().substr(events->out().find(exit_event));
  rest = rest.substr(0, rest.find('\n'));
  EXPECT_NE(rest.find("\"exit_status\":"), std::string::npos) << "a zero status: " << rest;
  EXPECT_EQ(task_status(id), "STOPPED");
  EXPECT_TRUE(g_env->healthy()) << g_env->log_tail();
  CtrResult del = ctr({"task", "delete", id});
  EXPECT_EQ(del.exit_code, 0) << del.describe();
  CtrResult rm = ctr({"container", "delete", id});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
}

// containerd's own runc shim with kata-runtime as its runc binary (ctr --runc-binary,
// the runtime option BinaryName; issue 13): the shim drives runc's command line, and
// waits on the pid `create` wrote. The same scenarios as above under plain runc.
class RuncShimBinaryTest : public ContainerdTest {
 protected:
  std::vector<std::string> binary_flags() const {
    if (!kata()) return {};
    return {"--runc-binary", std::string(KATA_BUILD_DIR) + "/src/cli/kata-runtime"};
  }
  CtrResult run_via_runc_shim(const std::string& id, const std::vector<std::string>& cmd,
                              const std::vector<std::string>& flags = {}) {
    std::vector<std::string> all = binary_flags();
    all.insert(all.end(), flags.begin(), flags.end());
    return ctr(g_env->run_args(kRuncRuntime, id, cmd, all));
  }
};

TEST_P(RuncShimBinaryTest, RunGivesOutputAndExitCode) {
  CtrResult r = run_via_runc_shim(
      new_id("binary"), {"sh", "-c", "echo out; echo err >&2; cat /proc/version; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_TRUE(starts_with(r.out, "out\n")) << r.describe();
  EXPECT_NE(r.err.find("err"), std::string::npos) << r.describe();
  Result<std::string> host = fs::read_file("/proc/version");
  ASSERT_TRUE(host);
  EXPECT_EQ(r.out.find(trim(*host)) == std::string::npos, kata()) << r.out;
}

TEST_P(RuncShimBinaryTest, TtyExecAndKill) {
  Result<CtrResult> tty = g_env->ctr_on_pty(
      g_env->run_args(kRuncRuntime, new_id("binary-tty"), {"sh", "-c", "tty; exit 5"}, [&] {
        std::vector<std::string> f = binary_flags();
        f.push_back("-t");
        return f;
      }()));
  ASSERT_TRUE(tty) << tty.error().message();
  EXPECT_EQ(tty->exit_code, 5) << tty->describe();
  EXPECT_NE(tty->out.find("/dev/pts/"), std::string::npos) << tty->describe();

  std::string id = new_id("binary-d");
  std::vector<std::string> args = {"run", "-d", "--runtime", kRuncRuntime};
  for (const std::string& f : binary_flags()) args.push_back(f);
  args.insert(args.end(),
              {g_env->image(), id, "sh", "-c", "trap 'exit 9' TERM; sleep 1000 & wait"});
  CtrResult started = ctr(args);
  ASSERT_EQ(started.exit_code, 0) << started.describe();
  CtrResult exec = ctr({"task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.describe();
  EXPECT_EQ(exec.out, "in-exec\n");
  EXPECT_EQ(ctr({"task", "kill", id}).exit_code, 0);
  for (int i = 0; i < 100 && task_status(id) != "STOPPED"; ++i) ::usleep(100 * 1000);
  EXPECT_EQ(task_status(id), "STOPPED");
}

INSTANTIATE_TEST_SUITE_P(Runtimes, RuncShimBinaryTest,
                         ::testing::Values(kRuncRuntime, kKataRuntime),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param) == kKataRuntime ? "kata" : "runc";
                         });

INSTANTIATE_TEST_SUITE_P(Runtimes, ContainerdTest, ::testing::Values(kRuncRuntime, kKataRuntime),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param) == kKataRuntime ? "kata" : "runc";
                         });

}  // namespace
}  // namespace kata::e2e
