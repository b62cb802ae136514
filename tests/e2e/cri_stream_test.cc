// The CRI streaming calls (issue 12): Exec, Attach and PortForward return a URL of the CRI
// plugin's streaming server, which our client (cri/stream_client.h) speaks to over
// WebSocket, as `kubectl exec/attach/port-forward` reach it through the API server. Under
// the `runc` and `kata` handlers with the same observations, except PortForward: containerd
// dials the port in the pod's network namespace on the host, where under Kata nothing
// listens (the VM holds the pod's interface), and that is asserted as what happens. Every
// pod leak-checked (cri_fixture.h).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/strings.h"
#include "cri/stream_client.h"
#include "e2e/cri_fixture.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;
using cri::PortForward;
using cri::RemoteCommand;

#define ASSERT_OK(expr)                                         \
  do {                                                          \
    Result<void> ok_ = (expr);                                  \
    ASSERT_TRUE(ok_) << #expr << ": " << ok_.error().message(); \
  } while (0)

// Whether /proc/net/tcp{,6} text shows a listener (state 0A) on port `hex_port`.
bool listening(const std::string& proc_net_tcp, std::string_view hex_port) {
  for (const std::string& line : split(proc_net_tcp, '\n')) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (local.ends_with(":" + std::string(hex_port)) && state == "0A") return true;
  }
  return false;
}

class CriStreamTest : public CriPodFixture {
 protected:
  // A pod with one container running `command`, `adjust`ed; "" after a failed expectation.
  std::string running_container(const std::string& prefix, const std::vector<std::string>& command,
                                const std::function<void(v1::ContainerConfig&)>& adjust = nullptr) {
    v1::PodSandboxConfig pod;
    std::string pod_id = run_pod(prefix, &pod);
    if (pod_id.empty()) return "";
    pod_id_ = pod_id;
    std::string id = start_container(pod_id, pod, "app", command, 0, adjust);
    if (id.empty()) return "";
    Result<v1::ContainerStatus> st = cri::wait_for_state(cri(), id, v1::CONTAINER_RUNNING, 60s);
    EXPECT_TRUE(st) << st.error().message();
    return st ? id : "";
  }

  std::string exec_url(const std::string& id, const std::vector<std::string>& cmd, bool tty) {
    v1::ExecRequest req;
    req.set_container_id(id);
    for (const std::string& arg : cmd) req.add_cmd(arg);
    req.set_tty(tty);
    req.set_stdin(true);
    req.set_stdout(true);
    req.set_stderr(!tty);  // the streaming server refuses both: a tty has one output
    Result<v1::ExecResponse> r = cri().call(&cri::CriClient::Runtime::Exec, "Exec", req);
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->url() : "";
  }

  std::string attach_url(const std::string& id, bool tty) {
    v1::AttachRequest req;
    req.set_container_id(id);
    req.set_stdin(true);
    req.set_tty(tty);
    req.set_stdout(true);
    req.set_stderr(!tty);
    Result<v1::AttachResponse> r = cri().call(&cri::CriClient::Runtime::Attach, "Attach", req);
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->url() : "";
  }

  std::string pod_id_;
};

TEST_P(CriStreamTest, ExecPassesStdinAndReturnsStdoutStderrAndExitCode) {
  std::string app = running_container("exec", {"sleep", "3600"});
  ASSERT_FALSE(app.empty());
  std::string url =
      exec_url(app, {"sh", "-c", "read line; echo got:$line; echo err >&2; exit 3"}, false);
  ASSERT_FALSE(url.empty());

  Result<RemoteCommand> cmd = RemoteCommand::open(url, 30s);
  ASSERT_TRUE(cmd) << cmd.error().message();
  ASSERT_OK(cmd->write_stdin("hello\n"));
  Result<int> code = cmd->wait(60s);
  ASSERT_TRUE(code) << code.error().message();
  EXPECT_EQ(*code, 3) << cmd->output().status;
  EXPECT_EQ(cmd->output().out, "got:hello\n");
  EXPECT_EQ(cmd->output().err, "err\n");

  // A zero exit is a Success status.
  url = exec_url(app, {"sh", "-c", "read line; echo $line"}, false);
  cmd = RemoteCommand::open(url, 30s);
  ASSERT_TRUE(cmd) << cmd.error().message();
  ASSERT_OK(cmd->write_stdin("again\n"));
  code = cmd->wait(60s);
  ASSERT_TRUE(code) << code.error().message();
  EXPECT_EQ(*code, 0) << cmd->output().status;
  EXPECT_EQ(cmd->output().out, "again\n");
}

TEST_P(CriStreamTest, ExecWithTtyGetsATerminalThatFollowsResizes) {
  std::string app = running_container("exectty", {"sleep", "3600"});
  ASSERT_FALSE(app.empty());
  // The resize travels apart from stdin (its own channel, then ResizePty): poll for it.
  std::string url = exec_url(
      app,
      {"sh", "-c",
       "tty; echo before:$(stty size); read x; "
       "for i in $(seq 100); do s=$(stty size); [ \"$s\" = '40 100' ] && break; sleep 0.1; done; "
       "echo after:$s"},
      true);
  ASSERT_FALSE(url.empty());

  Result<RemoteCommand> cmd = RemoteCommand::open(url, 30s);
  ASSERT_TRUE(cmd) << cmd.error().message();
  ASSERT_OK(cmd->wait_for_output("before:", 60s));
  ASSERT_OK(cmd->resize(100, 40));
  ASSERT_OK(cmd->write_stdin("go\n"));
  Result<int> code = cmd->wait(60s);
  ASSERT_TRUE(code) << code.error().message() << "\n" << cmd->output().out;
  EXPECT_EQ(*code, 0) << cmd->output().status;
  const std::string& out = cmd->output().out;
  std::cout << "exec with a tty under " << handler_ << ": `" << out << "`\n";
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  EXPECT_NE(out.find("after:40 100\r\n"), std::string::npos) << out;
  EXPECT_TRUE(cmd->output().err.empty()) << cmd->output().err;
  // A terminal: the line discipline echoes what we typed and ends lines with CR LF.
  EXPECT_NE(out.find("go\r\n"), std::string::npos) << out;
}

TEST_P(CriStreamTest, AttachReachesTheStdinAndStdoutOfTheContainer) {
  // Like `kubectl run -i`: stdin open, closed after the first attach (stdin_once).
  std::string app = running_container("attach", {"sh", "-c", "read x; echo attached:$x; exit 4"},
                                      [](v1::ContainerConfig& c) {
                                        c.set_stdin(true);
                                        c.set_stdin_once(true);
                                      });
  ASSERT_FALSE(app.empty());
  std::string url = attach_url(app, false);
  ASSERT_FALSE(url.empty());

  Result<RemoteCommand> session = RemoteCommand::open(url, 30s);
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_OK(session->write_stdin("hi\n"));
  // The session ends when the container's output does; the status is the attach's, not the
  // container's exit.
  Result<int> code = session->wait(60s);
  ASSERT_TRUE(code) << code.error().message() << "\n" << session->output().out;
  EXPECT_EQ(*code, 0) << session->output().status;
  EXPECT_EQ(session->output().out, "attached:hi\n");
  Result<v1::ContainerStatus> st = cri::wait_for_state(cri(), app, v1::CONTAINER_EXITED, 30s);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->exit_code(), 4);
  EXPECT_NE(wait_for_log("app/0.log", "attached:hi").find("attached:hi"), std::string::npos);
}

TEST_P(CriStreamTest, AttachToATtyContainer) {
  std::string app = running_container("attachtty", {"sh", "-c", "read x; echo attached:$x"},
                                      [](v1::ContainerConfig& c) {
                                        c.set_stdin(true);
                                        c.set_tty(true);
                                      });
  ASSERT_FALSE(app.empty());
  std::string url = attach_url(app, true);
  ASSERT_FALSE(url.empty());

  Result<RemoteCommand> session = RemoteCommand::open(url, 30s);
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_OK(session->write_stdin("there\n"));
  ASSERT_OK(session->wait_for_output("attached:there\r\n", 60s));
  Result<int> code = session->wait(60s);
  ASSERT_TRUE(code) << code.error().message() << "\n" << session->output().out;
  EXPECT_EQ(*code, 0) << session->output().status;
  EXPECT_NE(session->output().out.find("there\r\n"), std::string::npos);  // the echo
  Result<v1::ContainerStatus> st = cri::wait_for_state(cri(), app, v1::CONTAINER_EXITED, 30s);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->exit_code(), 0);
}

TEST_P(CriStreamTest, PortForwardReachesThePodUnderRuncButNotUnderKata) {
  std::string app = running_container(
      "portfwd", {"sh", "-c",
                  "mkdir -p /tmp/www && echo hello-from-pod >/tmp/www/index.html && "
                  "exec httpd -f -p 8080 -h /tmp/www"});
  ASSERT_FALSE(app.empty());
  // Listening on 8080, as the pod's own network namespace shows it (httpd may take IPv6).
  std::string tcp;
  for (auto end = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < end && !listening(tcp, "1F90");
       std::this_thread::sleep_for(200ms))
    tcp = exec(app, {"cat", "/proc/net/tcp", "/proc/net/tcp6"});
  ASSERT_TRUE(listening(tcp, "1F90")) << tcp;

  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod_id_);
  req.add_port(8080);
  Result<v1::PortForwardResponse> r =
      cri().call(&cri::CriClient::Runtime::PortForward, "PortForward", req);
  ASSERT_TRUE(r) << r.error().message();

  Result<PortForward> forward = PortForward::open(r->url(), 8080, 30s);
  ASSERT_TRUE(forward) << forward.error().message();
  ASSERT_OK(forward->write("GET /index.html HTTP/1.0\r\n\r\n"));
  Result<void> done = forward->wait(60s);
  ASSERT_TRUE(done) << done.error().message();
  std::cout << "port-forward under " << handler_ << ": data `" << forward->data() << "`, error `"
            << forward->error() << "`, close " << forward->close_reason() << "\n";
  if (!kata()) {
    EXPECT_TRUE(forward->data().starts_with("HTTP/1.1 200 OK\r\n")) << forward->data();
    EXPECT_NE(forward->data().find("\r\n\r\nhello-from-pod\n"), std::string::npos);
    EXPECT_EQ(forward->error(), "");
    return;
  }
  // Kata: containerd's dial of localhost:8080 in the host-side namespace is refused.
  EXPECT_EQ(forward->data(), "");
  EXPECT_NE(forward->error().find("error forwarding port 8080 to pod " + pod_id_),
            std::string::npos)
      << forward->error();
  EXPECT_NE(forward->error().find("connect: connection refused"), std::string::npos)
      << forward->error();
}

INSTANTIATE_TEST_SUITE_P(Handlers, CriStreamTest, ::testing::Values("runc", "kata"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kata::e2e
