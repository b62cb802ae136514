#include "sys/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::sys {
namespace {

using std::chrono::milliseconds;

SpawnOptions sh(std::string script) { return SpawnOptions{.argv = {"/bin/sh", "-c", script}}; }

TEST(SubprocessTest, ExitCodeAndSignalAreReported) {
  auto p = Process::spawn(sh("exit 3"));
  ASSERT_TRUE(p) << p.error().message();
  auto st = p->wait_for(milliseconds(5000));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, 3);
  EXPECT_EQ(st->describe(), "exit status 3");
  EXPECT_TRUE(p->reaped());
  EXPECT_EQ(p->wait_for(std::nullopt)->code, 3);  // idempotent

  auto q = Process::spawn(sh("kill -TERM $$"));
  ASSERT_TRUE(q);
  auto st2 = q->wait_for(std::nullopt);
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->signal, SIGTERM);
  EXPECT_FALSE(st2->success());
}

TEST(SubprocessTest, MissingProgramIsReportedByExec) {
  auto p = Process::spawn(SpawnOptions{.argv = {"/nonexistent/qemu"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "exec `/nonexistent/qemu`: No such file or directory");
  EXPECT_EQ(p.error().code(), Code::kNotFound);

  auto q = Process::spawn(SpawnOptions{.argv = {"kata-no-such-program"}});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message(), "exec `kata-no-such-program`: No such file or directory");
}

TEST(SubprocessTest, BadWorkingDirectoryIsReported) {
  SpawnOptions o = sh("true");
  o.cwd = "/nonexistent-dir";
  auto p = Process::spawn(o);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "chdir `/nonexistent-dir`: No such file or directory");
}

TEST(SubprocessTest, WaitTimesOutThenKillWorks) {
  auto p = Process::spawn(SpawnOptions{.argv = {"sleep", "30"}});
  ASSERT_TRUE(p);
  auto st = p->wait_for(milliseconds(50));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kDeadlineExceeded);
  EXPECT_FALSE(p->reaped());
  ASSERT_TRUE(p->kill(SIGKILL));
  auto st2 = p->wait_for(milliseconds(5000));
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->signal, SIGKILL);
  EXPECT_TRUE(p->kill(SIGKILL));  // after reaping: a no-op, not an error
}

// Gone, a zombie, or with SIGKILL pending: kill() does not wait for the victim to run
// and die, so a test without sleeps can only check that the signal reached it.
bool dead_or_dying(pid_t pid) {
  auto status = fs::read_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return true;
  for (const std::string& line : split(*status, '\n')) {
    if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) return true;
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
      uint64_t mask = std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
      if (mask & (1ull << (SIGKILL - 1))) return true;
    }
  }
  return false;
}

TEST(SubprocessTest, DestructorKillsWholeGroup) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid;
  pid_t background;
  {
    SpawnOptions o = sh("sleep 30 & echo $!; wait");
    o.out = Stdio::fd(fds[1]);
    auto p = Process::spawn(o);
    ::close(fds[1]);
    ASSERT_TRUE(p);
    pid = p->pid();
    EXPECT_EQ(::getpgid(pid), pid);
    char buf[32] = {};
    ASSERT_GT(::read(fds[0], buf, sizeof buf - 1), 0);
    background = std::atoi(buf);
    ASSERT_GT(background, 0);
    EXPECT_FALSE(dead_or_dying(background));
  }
  ::close(fds[0]);
  EXPECT_EQ(::kill(pid, 0), -1);           // reaped: the pid is gone
  EXPECT_TRUE(dead_or_dying(background));  // and the background sleep was killed with it
}

TEST(SubprocessTest, RunCaptureCollectsOutputAndEnv) {
  SpawnOptions o = sh("echo out-$KATA_X; echo err >&2; exit 2");
  o.env = {{"KATA_X", "42"}};
  auto r = run_capture(o, milliseconds(5000));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->out, "out-42\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->status.code, 2);
}

TEST(SubprocessTest, RunCaptureTruncatesAndTimesOut) {
  auto big = run_capture(sh("head -c 100000 /dev/zero"), milliseconds(5000), 1000);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->out.size(), 1000u);
  EXPECT_TRUE(big->status.success());

  auto slow = run_capture(sh("echo started; sleep 30"), milliseconds(100));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(slow.error().message(), "run `/bin/sh`: timed out after 100 ms");
}

TEST(SubprocessTest, RedirectsToFileAndSwappedFds) {
  char tmpl[] = "/tmp/kata-subprocess-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string log = dir + "/log";
  SpawnOptions o = sh("echo one; echo two >&2");
  o.out = Stdio::file(log);
  o.err = Stdio::file(log, /*append=*/true);
  auto p = Process::spawn(o);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->wait_for(milliseconds(5000)));
  auto content = fs::read_file(log);
  ASSERT_TRUE(content);
  EXPECT_NE(content->find("one"), std::string::npos);
  EXPECT_NE(content->find("two"), std::string::npos);

  // out=fd(2) and err=fd(1) must not clobber each other.
  int out_pipe[2], err_pipe[2];
  ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  SpawnOptions s = sh("echo to-out; echo to-err >&2");
  s.out = Stdio::fd(out_pipe[1]);
  s.err = Stdio::fd(err_pipe[1]);
  auto q = Process::spawn(s);
  ASSERT_TRUE(q);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ASSERT_TRUE(q->wait_for(milliseconds(5000)));
  char buf[64] = {};
  ASSERT_GT(::read(out_pipe[0], buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "to-out\n");
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  ASSERT_TRUE(fs::remove_all(dir));
}

TEST(SubprocessTest, ExtraFdsArriveAsThreeFourAndEnvCanBeReplaced) {
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);
  ASSERT_EQ(::write(in_w.get(), "ping\n", 5), 5);
  in_w.reset();
  SpawnOptions o = sh("read x <&3; echo \"$x $FOO ${HOME:-no-home}\" >&4");
  o.extra_fds = {in_r.get(), out_w.get()};
  o.env = {{"FOO", "bar"}};
  o.clear_env = true;
  auto p = Process::spawn(o);
  ASSERT_TRUE(p) << p.error().message();
  out_w.reset();
  EXPECT_TRUE(p->wait_for(milliseconds(5000))->success());
  char buf[64] = {};
  ssize_t n = ::read(out_r.get(), buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "ping bar no-home\n");
}

TEST(SubprocessTest, OurFdsDoNotLeakIntoChildren) {
  auto sleeper = Process::spawn(SpawnOptions{.argv = {"sleep", "30"}});
  ASSERT_TRUE(sleeper);
  std::string fd = std::to_string(sleeper->pidfd());
  auto r = run_capture(sh("test -e /proc/self/fd/" + fd + " && echo leaked || echo ok"),
                       milliseconds(5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "ok\n");
}

TEST(SubprocessTest, IgnoredSignalsAreResetInChild) {
  ::signal(SIGPIPE, SIG_IGN);
  auto r = run_capture(sh("grep SigIgn /proc/self/status"), milliseconds(5000));
  ::signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "SigIgn:\t0000000000000000\n");
}

}  // namespace
}  // namespace kata::sys

namespace kata::sys {
namespace {

// Root or not, the child ends with no capability in any set, and exits normally.
TEST(SubprocessTest, DropCapabilitiesLeavesTheChildNone) {
  SpawnOptions o = sh("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status");
  o.drop_capabilities = true;
  auto r = run_capture(o, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->status.success()) << r->status.describe() << " " << r->err;
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_NE(r->out.find(std::string(set) + ":\t0000000000000000"), std::string::npos)
        << set << " in\n"
        << r->out;
  }
}

}  // namespace
}  // namespace kata::sys

namespace kata::sys {
namespace {

std::string link_of(const std::string& path) {
  char buf[64] = {};
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(SubprocessTest, ChildEntersTheNetworkNamespaceItIsGiven) {
  if (::geteuid() != 0) GTEST_SKIP() << "a new network namespace needs root";
  UniqueFd ns;
  std::thread([&ns] {
    // The thread's own namespace; it ends with the thread, the fd keeps it.
    if (::unshare(CLONE_NEWNET) == 0) ns.reset(::open("/proc/thread-self/ns/net", O_RDONLY));
  }).join();
  ASSERT_TRUE(ns) << "unshare(CLONE_NEWNET)";
  struct stat want {};
  ASSERT_EQ(::fstat(ns.get(), &want), 0);
  SpawnOptions o = sh("readlink /proc/self/ns/net");
  o.network_namespace_fd = ns.get();
  auto r = run_capture(o, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->out, "net:[" + std::to_string(want.st_ino) + "]\n");
  EXPECT_NE(r->out, link_of("/proc/self/ns/net") + "\n") << "ours is untouched";

  // The namespace fd where an extra fd goes (3): it is entered before the shuffle.
  UniqueFd saved(::fcntl(3, F_DUPFD_CLOEXEC, 10));  // whatever the process had there
  ASSERT_EQ(::dup2(ns.get(), 3), 3);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  o.extra_fds = {devnull.get()};
  o.network_namespace_fd = 3;
  auto low = run_capture(o, std::chrono::seconds(10));
  if (saved)
    ::dup2(saved.get(), 3);
  else
    ::close(3);
  ASSERT_TRUE(low) << low.error().message();
  EXPECT_EQ(low->out, "net:[" + std::to_string(want.st_ino) + "]\n");
  o.extra_fds.clear();

  UniqueFd not_a_namespace(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  o.network_namespace_fd = not_a_namespace.get();
  auto refused = Process::spawn(o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("enter network namespace in child"), std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace kata::sys
