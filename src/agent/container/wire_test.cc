#include "agent/container/wire.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

InitConfig sample() {
  InitConfig c;
  c.mode = InitMode::kExec;
  c.target_pid = 42;
  c.cgroup_dir = "/sys/fs/cgroup/kata/c1";
  c.spec.id = "c1";
  c.spec.root_path = "/run/c1/rootfs";
  c.spec.hostname = "h";
  c.spec.mounts = {{"/proc", "proc", "proc", {"nosuid"}}};
  c.spec.process.terminal = true;
  c.spec.process.rows = 24;
  c.spec.process.user.username = "alice";
  c.spec.process.user.additional_gids = {1, 2};
  c.spec.process.args = {"sh", "-c", "echo hi"};
  c.spec.process.capabilities = Capabilities{{"CAP_KILL"}, {}, {}, {"CAP_KILL"}, {}};
  c.spec.process.rlimits = {{"RLIMIT_NOFILE", 1024, 512}};
  c.spec.process.oom_score_adj = -5;
  c.spec.process.umask = 0;
  c.spec.domainname = "example.org";
  c.spec.seccomp = Seccomp{"SCMP_ACT_ERRNO", 38, {"SCMP_ARCH_X86_64"}, {}, {}};
  c.spec.sysctls = {{"net.ipv4.ip_forward", "1"}};
  c.spec.devices = {{"/dev/fuse", 'c', 10, 229, 0600, 0, 0}};
  c.join_namespaces = {{"ipc", "/run/kata-containers/sandbox/ns/ipc"}};
  return c;
}

TEST(Wire, ConfigRoundTrip) {
  InitConfig c = sample();
  auto d = decode_config(encode_config(c));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->mode, InitMode::kExec);
  EXPECT_EQ(d->target_pid, 42);
  EXPECT_EQ(d->cgroup_dir, c.cgroup_dir);
  EXPECT_EQ(d->spec.mounts[0].options, std::vector<std::string>{"nosuid"});
  EXPECT_EQ(d->spec.process.args, c.spec.process.args);
  EXPECT_EQ(d->spec.process.user.additional_gids, (std::vector<uint32_t>{1, 2}));
  ASSERT_TRUE(d->spec.process.capabilities);
  EXPECT_EQ(d->spec.process.capabilities->permitted, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(d->spec.process.oom_score_adj, -5);
  EXPECT_EQ(d->spec.process.umask, 0u);
  EXPECT_EQ(d->spec.domainname, "example.org");
  ASSERT_TRUE(d->spec.seccomp);
  EXPECT_EQ(d->spec.seccomp->default_errno_ret, 38u);
  EXPECT_EQ(d->spec.sysctls.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(d->spec.devices[0].minor, 229);
  EXPECT_EQ(d->join_namespaces, c.join_namespaces);
}

TEST(Wire, EveryFieldSurvivesTheRoundTrip) {
  // Re-encoding what was decoded gives the same bytes only if no field got lost.
  std::string bytes = encode_config(sample());
  auto d = decode_config(bytes);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(encode_config(*d), bytes);
}

TEST(Wire, AbsurdCountIsRefusedBeforeAllocating) {
  std::string bytes = encode_config(sample());
  // mode and target_pid (8 bytes each), then cgroup_dir's length: claim 4 GiB.
  for (size_t i = 16; i < 20; ++i) bytes[i] = '\xff';
  EXPECT_FALSE(decode_config(bytes));
}

TEST(Wire, TruncatedConfigIsRefused) {
  std::string bytes = encode_config(sample());
  for (size_t n : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(decode_config(bytes.substr(0, n))) << n;
  }
}

TEST(Wire, StatusMessagesOverASocket) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_TRUE(write_frame(a.get(), encode_error(Error(Code::kNotFound, "exec: \"x\": nope"))));
  ASSERT_TRUE(write_frame(a.get(), encode_pid(77)));
  a.reset();
  auto f1 = read_frame(b.get());
  ASSERT_TRUE(f1);
  auto s1 = decode_status(*f1);
  ASSERT_TRUE(s1);
  EXPECT_EQ(s1->kind, InitMsg::kError);
  EXPECT_EQ(s1->code, Code::kNotFound);
  EXPECT_EQ(s1->message, "exec: \"x\": nope");
  auto s2 = decode_status(*read_frame(b.get()));
  ASSERT_TRUE(s2);
  EXPECT_EQ(s2->pid, 77);
  auto eof = read_frame(b.get());
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().code(), Code::kUnavailable);
}

TEST(Wire, ConsoleFrameCarriesTheMasterAndNoOtherFrameDoes) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd pipe_r(p[0]), pipe_w(p[1]);
  // As an exec's init sends them: its pid, the master, then (create) ready.
  ASSERT_TRUE(write_frame(a.get(), encode_pid(9)));
  ASSERT_TRUE(write_frame(a.get(), encode_console(), pipe_w.get()));
  ASSERT_TRUE(write_frame(a.get(), encode_ready()));
  a.reset();

  auto pid = read_frame_with_fd(b.get());
  ASSERT_TRUE(pid) << pid.error().message();
  EXPECT_FALSE(pid->fd) << "the descriptor must stay with its own frame";
  auto console = read_frame_with_fd(b.get());
  ASSERT_TRUE(console) << console.error().message();
  ASSERT_TRUE(console->fd);
  EXPECT_NE(console->fd.get(), pipe_w.get());
  EXPECT_TRUE(::fcntl(console->fd.get(), F_GETFD) & FD_CLOEXEC);
  auto status = decode_status(console->payload);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->kind, InitMsg::kConsole);
  // The same pipe: what goes into the received end comes out of ours.
  ASSERT_EQ(::write(console->fd.get(), "z", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(pipe_r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'z');
  auto ready = read_frame_with_fd(b.get());
  ASSERT_TRUE(ready);
  EXPECT_FALSE(ready->fd);
  EXPECT_EQ(decode_status(ready->payload)->kind, InitMsg::kReady);
}

TEST(Wire, ReadFrameDropsAnUnexpectedDescriptor) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd pipe_r(p[0]), pipe_w(p[1]);
  ASSERT_TRUE(write_frame(a.get(), std::string(1, kStartByte), pipe_w.get()));
  pipe_w.reset();
  auto frame = read_frame(b.get());
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, std::string(1, kStartByte));
  // Had the received copy leaked, the pipe's reader would not see EOF.
  char c;
  EXPECT_EQ(::read(pipe_r.get(), &c, 1), 0);
}

}  // namespace
}  // namespace kata::agent::container
